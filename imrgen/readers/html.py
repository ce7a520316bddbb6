"""HTML: imrgen's own html output, read through the same letter structure the writers use."""

from __future__ import annotations

from ..case.model import Case
from ..letter.structure import blocks_from_html
from .extract import extract
from .text import decode


class HtmlReader:
    name = "html"
    suffixes = (".html", ".htm")

    def read(self, data: bytes, source: str) -> Case:
        blocks = blocks_from_html(decode(data, source))
        return extract([b.full_text for b in blocks], source)
