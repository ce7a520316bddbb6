"""The PDF writer: which engine lays out a letter (Typst for the families imrgen ships, WeasyPrint
for a designer's own), the variants, and what both engines share. An engine's module is loaded
when a letter first goes to it: a batch of Typst letters never imports WeasyPrint (over half a
second of start-up, before the first worker can start)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Protocol

from ..case.model import Case
from ..errors import RenderError
from ..letter.caches import DEFAULT_CACHE, STYLES, RenderCache
from ..letter.look import forget_looks
from ..letter.templates import TemplateSet
from . import ENGINES, RenderOptions

if TYPE_CHECKING:
    from .pdf import WeasyPrintEngine
    from .typst import TypstEngine

VARIANTS = ("pdf/ua-1", "pdf/a-3b")
# Dates when a case has no decision date: the zip epoch, as the docx writer uses.
FIXED_EPOCH = date(1980, 1, 1)


def fixed_moment(case: Case) -> datetime:
    """The one date a letter's file carries: its decision date (or the fixed epoch)."""
    day = case.header.decision_date or FIXED_EPOCH
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def header_cell_id(number: int) -> str:
    """The ID of the header table's n-th named cell, in both engines: "header-a", "header-z",
    "header-ba" for 0, 25, 26. Letters, not digits: the leak check reads runs of digits in a
    PDF's strings ("48-1-0") as dates."""
    return f"header-{_letters(number)}"


def _letters(number: int) -> str:
    """0 -> "a", 25 -> "z", 26 -> "ba": a name without digits."""
    out = ""
    while True:
        number, rest = divmod(number, 26)
        out = chr(97 + rest) + out
        if not number:
            return out


def forget_styles(cache: RenderCache = DEFAULT_CACHE) -> None:
    """Forget the stylesheets parsed into `cache` and the looks they came from (a designer
    saved one)."""
    cache.forget(STYLES)
    forget_looks()


def _unknown(what: str, name: str, available: tuple[str, ...]) -> RenderError:
    return RenderError(f"unknown PDF {what} '{name}'; available: {', '.join(available)}")


def default_engine(options: RenderOptions, family: str) -> str:
    """Typst for a family imrgen ships (about six times faster, the same lines: see
    bench/bench_engines.py and tests/test_typst.py); WeasyPrint for a designer's own family,
    whose look is its CSS, which only WeasyPrint reads."""
    from .typst import ships_typst_layout

    return "typst" if ships_typst_layout(options.templates, family) else "weasyprint"


def engine_for(case: Case, options: RenderOptions) -> str:
    """The engine that lays out this letter: the one asked for, else the family's default."""
    if options.engine is not None:
        if options.engine not in ENGINES:
            raise _unknown("engine", options.engine, ENGINES)
        return options.engine
    return default_engine(options, options.family or case.edition.value)


class Engine(Protocol):
    name: str

    def write(
        self, case: Case, options: RenderOptions, variant: str, moment: datetime
    ) -> bytes: ...


class PdfWriter:
    """The PDF writer: one letter, laid out by one of two engines, which it owns (with their
    caches: forget() clears them), each made when a letter first needs it."""

    name = "pdf"
    suffix = ".pdf"
    media_type = "application/pdf"

    def __init__(self) -> None:
        self._typst: TypstEngine | None = None
        self._weasyprint: WeasyPrintEngine | None = None
        # Each (template set, family)'s default engine: finding it reads the family files.
        self._defaults: dict[tuple[TemplateSet, str], str] = {}

    def engine(self, name: str) -> Engine:
        """The engine of that name (one of ENGINES), its module loaded on first use."""
        if name == "typst":
            if self._typst is None:
                from .typst import TypstEngine

                self._typst = TypstEngine()
            return self._typst
        if self._weasyprint is None:
            from .pdf import WeasyPrintEngine

            self._weasyprint = WeasyPrintEngine()
        return self._weasyprint

    def forget(self, cache: RenderCache = DEFAULT_CACHE) -> None:
        """Drop what the engines keep between letters (the styles parsed into `cache`, compiled
        layouts, the looks) and the families' default engines."""
        self._defaults = {}
        if self._typst is not None:
            self._typst.forget()
        if self._weasyprint is not None:
            self._weasyprint.forget(cache)
        else:
            forget_styles(cache)

    def engine_name(self, case: Case, options: RenderOptions) -> str:
        """engine_for, with each family's default worked out once."""
        if options.engine is not None:
            return engine_for(case, options)
        key = (options.templates, options.family or case.edition.value)
        found = self._defaults.get(key)
        if found is None:
            found = self._defaults[key] = engine_for(case, options)
        return found

    def write(self, case: Case, options: RenderOptions) -> bytes:
        variant = options.pdf.variant
        if variant not in VARIANTS:
            raise _unknown("variant", variant, VARIANTS)
        engine = self.engine(self.engine_name(case, options))
        return engine.write(case, options, variant, fixed_moment(case))
