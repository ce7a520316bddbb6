"""PDF: the published letters exactly as the state publishes them (Word, encrypted with an empty
password, header as a table) and imrgen's own. Text comes from PDFium, which is fast and keeps
each line's geometry, so paragraphs are found from the space between lines."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from statistics import median

import pypdfium2 as pdfium

from ..errors import ParseError
from ..extract import extract
from ..model import Case
from .text import join_lines

# Page furniture that imrgen's own PDFs print (marked as artifacts, but still text on the page).
_FURNITURE = re.compile(r"^(Page \d+ of \d+|Página \d+ de \d+)$")


@dataclass(frozen=True)
class Line:
    text: str  # with its trailing space, if the PDF has one: it tells a wrap at a space
    top: float
    bottom: float
    left: float
    right: float
    page: int


def pdf_lines(data: bytes, source: str) -> list[Line]:
    try:
        document = pdfium.PdfDocument(data, password="")
    except pdfium.PdfiumError as exc:
        raise ParseError(source, f"not a readable PDF ({exc})") from None
    lines: list[Line] = []
    try:
        for number in range(len(document)):
            page = document[number]
            textpage = page.get_textpage()
            text = textpage.get_text_range()
            offset = 0
            for raw in text.split("\r\n"):
                start = offset
                offset += len(raw) + 2
                stripped = raw.strip()
                if not stripped or _FURNITURE.match(stripped):
                    continue
                first = start + (len(raw) - len(raw.lstrip()))
                last = start + len(raw.rstrip()) - 1
                left, bottom, _, top = textpage.get_charbox(first)
                _, _, right, _ = textpage.get_charbox(last)
                lines.append(Line(raw, top, bottom, left, right, number))
            textpage.close()
            page.close()
    finally:
        document.close()
    return lines


def paragraphs_from_lines(lines: list[Line]) -> list[str]:
    """Group lines into paragraphs: a gap clearly larger than the usual line spacing starts a
    new one. At a page break there is no gap to read, so a paragraph ends there only if its
    last line stops short of the right margin after a full stop."""
    steps = [
        a.bottom - b.bottom
        for a, b in pairwise(lines)
        if a.page == b.page and 0 < a.bottom - b.bottom < 40
    ]
    spacing = median(steps) if steps else 14.0
    right_margin = max((ln.right for ln in lines), default=0.0)
    paragraphs: list[list[str]] = []
    previous: Line | None = None
    for line in lines:
        new = previous is None
        if previous is not None:
            if line.page == previous.page:
                gap = previous.bottom - line.bottom
                new = gap > spacing * 1.45 or (gap < -spacing * 0.5 and line.left < previous.left)
            else:
                new = (
                    previous.text.rstrip().endswith((".", ":", "?", "!", '"', "\u201d"))
                    and previous.right < right_margin - 36
                )
        if new:
            paragraphs.append([])
        paragraphs[-1].append(line.text)
        previous = line
    return [join_lines(p) for p in paragraphs]


class PdfReader:
    name = "pdf"
    suffixes = (".pdf",)

    def read(self, data: bytes, source: str) -> Case:
        return extract(paragraphs_from_lines(pdf_lines(data, source)), source)
