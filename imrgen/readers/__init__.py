"""One registry of input formats, the same shape as the writers': a reader turns a file's bytes
into a Case (most of them by way of paragraphs and imrgen.readers.extract)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ..case.loading import CASE_SUFFIXES, is_case_file, load_case
from ..case.model import Case
from ..errors import CaseError, ParseError, Problem, UnknownFormatError


class Reader(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def suffixes(self) -> tuple[str, ...]: ...

    def read(self, data: bytes, source: str) -> Case: ...


def _registry() -> list[Reader]:
    from . import docx, html, md, pdf, text

    return [
        pdf.PdfReader(),
        docx.DocxReader(),
        html.HtmlReader(),
        md.MarkdownReader(),
        text.TextReader(),
    ]


_READERS: list[Reader] | None = None


def readers() -> list[Reader]:
    global _READERS
    if _READERS is None:
        _READERS = _registry()
    return _READERS


def get_reader(name: str) -> Reader:
    for reader in readers():
        if reader.name == name:
            return reader
    available = ", ".join(sorted(r.name for r in readers()))
    raise UnknownFormatError(f"unknown format '{name}'; available: {available}")


def reader_for(path: str | Path) -> Reader:
    suffix = Path(path).suffix.lower()
    for reader in readers():
        if suffix in reader.suffixes:
            return reader
    known = ", ".join(s for r in readers() for s in r.suffixes)
    raise UnknownFormatError(f"{path}: cannot read '{suffix}' files; readable: {known}")


def parse(source: str | Path, data: bytes | None = None, fmt: str | None = None) -> Case:
    """Read a letter (pdf, html, txt, md ...) back into a Case."""
    source = Path(source)
    reader = get_reader(fmt) if fmt else reader_for(source)
    if data is None:
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise ParseError(source, exc.strerror or str(exc)) from None
    return reader.read(data, str(source))


def read_letter(source: str | Path) -> Case:
    """A letter read back into its case; a file that is neither a case file nor a letter is
    refused naming both kinds."""
    try:
        return parse(source)
    except UnknownFormatError:
        suffix = Path(source).suffix.lower() or "(none)"
        letters = ", ".join(s for r in readers() for s in r.suffixes)
        raise CaseError(
            source,
            [
                Problem(
                    "",
                    f"expected a case file ({', '.join(CASE_SUFFIXES)}) or a letter ({letters}),"
                    f" got a file with the suffix {suffix}",
                )
            ],
        ) from None


def read_case(source: str | Path) -> Case:
    """A case file (YAML, JSON) or a letter in any format imrgen reads, as a Case."""
    return load_case(source) if is_case_file(source) else read_letter(source)
