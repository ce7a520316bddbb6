"""imrgen: California workers' compensation IMR determination letters.

load -> validate -> [redact] -> render (Jinja -> letter structure) -> write (pdf | docx | html
| txt | md); read (pdf | docx | html | txt | md) -> extract -> Case; batch runs it at scale.

Every name below is loaded when first used (PEP 562), so `import imrgen` and a command that
needs only the model (`imrgen validate`) do not pay for WeasyPrint, python-docx or the readers.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The version comes before everything else: imrgen.batch reads it.
__version__ = "0.1.0"

if TYPE_CHECKING:
    from . import batch
    from .case.loading import dump_case, load_case
    from .case.model import (
        Case,
        Decision,
        DisputedItem,
        Edition,
        Eligible,
        GuidelineBasis,
        Header,
        Modification,
        MtusCitation,
        Organization,
        Priority,
        Reviewer,
        Section,
        Statement,
    )
    from .errors import CaseError, ImrgenError, ParseError, Problem, RenderError, UnknownFormatError
    from .public.leaks import find_leaks
    from .public.redaction import RedactionPolicy, redact
    from .readers import parse
    from .writers import RenderOptions
    from .writers import get_writer as get_writer  # not in __all__, kept for old callers

# name -> the module that defines it
_LAZY = {
    "batch": ".batch",
    **dict.fromkeys(
        ["CaseError", "ImrgenError", "ParseError", "Problem", "RenderError", "UnknownFormatError"],
        ".errors",
    ),
    "find_leaks": ".public.leaks",
    "dump_case": ".case.loading",
    "load_case": ".case.loading",
    **dict.fromkeys(
        [
            "Case",
            "Decision",
            "DisputedItem",
            "Edition",
            "Eligible",
            "GuidelineBasis",
            "Header",
            "Modification",
            "MtusCitation",
            "Organization",
            "Priority",
            "Reviewer",
            "Section",
            "Statement",
        ],
        ".case.model",
    ),
    "parse": ".readers",
    "RedactionPolicy": ".public.redaction",
    "redact": ".public.redaction",
    "RenderOptions": ".writers",
    "get_writer": ".writers",
    # Not `writers`: that name is the subpackage imrgen.writers (its writers() lists them).
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'imrgen' has no attribute {name!r}")
    module = importlib.import_module(module_name, __name__)
    value = module if name == "batch" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "Case",
    "CaseError",
    "Decision",
    "DisputedItem",
    "Edition",
    "Eligible",
    "GuidelineBasis",
    "Header",
    "ImrgenError",
    "Modification",
    "MtusCitation",
    "Organization",
    "ParseError",
    "Priority",
    "Problem",
    "RedactionPolicy",
    "RenderError",
    "RenderOptions",
    "Reviewer",
    "Section",
    "Statement",
    "UnknownFormatError",
    "batch",
    "dump_case",
    "find_leaks",
    "formats",
    "load_case",
    "parse",
    "redact",
    "render",
]


def formats() -> list[str]:
    """The names of every output format."""
    from .writers import format_names

    return format_names()


def render(
    case: Case | str | Path, fmt: str = "html", options: RenderOptions | None = None
) -> bytes:
    """One letter in one format, as bytes. `case` is a Case or the path of a case file."""
    from .case.loading import load_case
    from .case.model import Case
    from .writers import RenderOptions, get_writer

    if not isinstance(case, Case):
        case = load_case(case)
    return get_writer(fmt).write(case, options or RenderOptions())
