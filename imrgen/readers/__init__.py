"""One registry of input formats, the same shape as the writers': a reader turns a file's bytes
into a Case (most of them by way of paragraphs and imrgen.extract)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ..errors import ParseError, UnknownFormatError
from ..model import Case


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
