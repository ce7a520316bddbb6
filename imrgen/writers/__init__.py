"""One registry of output formats. A writer is mostly data (name, suffix, media type) plus one
method; adding a format is one module and one line in WRITERS."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..case.model import Case
from ..errors import UnknownFormatError
from ..letter.caches import DEFAULT_CACHE, RenderCache
from ..letter.templates import DEFAULT_TEMPLATES, TemplateSet, render_html

ENGINES = ("typst", "weasyprint")


@dataclass(frozen=True)
class PdfOptions:
    """The PDF writer's own options (the other writers ignore them)."""

    variant: str = "pdf/ua-1"  # or "pdf/a-3b": archival, with the case attached as JSON


@dataclass(frozen=True)
class RenderOptions:
    templates: TemplateSet = DEFAULT_TEMPLATES
    family: str | None = None  # default: the case's edition
    lang: str = "en"
    letter: str = "public-body"  # or "full": the letter as sent to the parties
    # The layout engine of the PDF: "typst" or "weasyprint"; None: Typst for the families
    # imrgen ships, WeasyPrint for a designer's own (it reads their CSS).
    engine: str | None = None
    pdf: PdfOptions = field(default_factory=PdfOptions)
    embed_data: bool = True  # carry the case itself inside pdf/docx, so parse reads it back exactly
    extras: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    # What rendering keeps between letters, and who may clear it: the process's own by default
    cache: RenderCache = field(default=DEFAULT_CACHE, hash=False, compare=False, repr=False)


def letter_html(case: Case, options: RenderOptions, stylesheets: list[str] | None = None) -> str:
    """The letter structure for these options; stylesheets=[] leaves the inline CSS out (for
    writers that style the letter their own way)."""
    return render_html(
        case,
        options.templates,
        options.family,
        stylesheets=stylesheets,
        lang=options.lang,
        letter=options.letter,
        cache=options.cache,
    )


def check_formats(names: Sequence[str]) -> list[str]:
    """The names, each once and in order; an unknown one fails here, before any work is done."""
    for name in names:
        get_writer(name)
    return list(dict.fromkeys(names))


def parse_formats(value: str) -> list[str]:
    """'pdf,docx' -> ['pdf', 'docx'] (the --formats option)."""
    return check_formats([n.strip() for n in value.split(",") if n.strip()])


class Writer(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def suffix(self) -> str: ...

    @property
    def media_type(self) -> str: ...

    def write(self, case: Case, options: RenderOptions) -> bytes: ...


# name -> "module:class". A writer's module is imported when the format is first asked for, so
# a command that writes no PDF never loads WeasyPrint (`imrgen --help` starts in a blink).
WRITERS = {
    "docx": "docx:DocxWriter",
    "html": "html:HtmlWriter",
    "md": "md:MarkdownWriter",
    "pdf": "pdf_writer:PdfWriter",
    "txt": "txt:TextWriter",
}

_LOADED: dict[str, Writer] = {}


def format_names() -> list[str]:
    """Every output format's name, sorted, without loading any writer."""
    return sorted(WRITERS)


def writers() -> dict[str, Writer]:
    """Every writer by name (this loads them all: use get_writer for one)."""
    return {name: get_writer(name) for name in format_names()}


def get_writer(name: str) -> Writer:
    writer = _LOADED.get(name)
    if writer is None:
        if name not in WRITERS:
            available = ", ".join(format_names())
            raise UnknownFormatError(f"unknown format '{name}'; available: {available}")
        module_name, class_name = WRITERS[name].split(":")
        module = importlib.import_module(f"{__name__}.{module_name}")
        writer = _LOADED[name] = getattr(module, class_name)()
    return writer
