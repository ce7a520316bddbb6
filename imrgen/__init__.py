"""imrgen: California workers' compensation IMR determination letters.

load -> validate -> [redact] -> render (Jinja -> letter structure) -> write (pdf | docx | html
| txt | md); read (pdf | docx | html | txt | md) -> extract -> Case; batch runs it at scale.
"""

from __future__ import annotations

# The version comes before the imports: imrgen.batch reads it.
__version__ = "0.1.0"

from pathlib import Path

from . import batch  # imrgen.batch.run, imrgen.batch.iter_results
from .errors import CaseError, ImrgenError, ParseError, Problem, RenderError, UnknownFormatError
from .leaks import find_leaks
from .loading import dump_case, load_case
from .model import (
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
    Statement,
)
from .readers import parse
from .redaction import RedactionPolicy, redact
from .writers import RenderOptions, get_writer, writers

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
    return sorted(writers())


def render(
    case: Case | str | Path, fmt: str = "html", options: RenderOptions | None = None
) -> bytes:
    """One letter in one format, as bytes. `case` is a Case or the path of a case file."""
    if not isinstance(case, Case):
        case = load_case(case)
    return get_writer(fmt).write(case, options or RenderOptions())
