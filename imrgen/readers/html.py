"""HTML: imrgen's own html output, read through the same letter structure the writers use."""

from __future__ import annotations

from ..case.model import PAGE_BREAK, TYPED_BREAK, Case, mark_spaces
from ..letter.structure import NEW_PAGE, blocks_from_html
from .extract import extract
from .text import decode


class HtmlReader:
    name = "html"
    suffixes = (".html", ".htm")

    def read(self, data: bytes, source: str) -> Case:
        paragraphs: list[str] = []
        for block in blocks_from_html(decode(data, source)):
            if NEW_PAGE in block.classes:
                paragraphs.append(PAGE_BREAK)
            # A <br> in a paragraph: a line break typed into it.
            paragraphs.append(
                f" {TYPED_BREAK} ".join(map(mark_spaces, block.full_text.split("\n")))
            )
        return extract(paragraphs, source)
