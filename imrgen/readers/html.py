"""HTML: imrgen's own html output, read through the same letter structure the writers use."""

from __future__ import annotations

from ..case.model import TYPED_BREAK, Case, mark_spaces
from ..letter.structure import blocks_from_html
from .extract import extract
from .text import decode


class HtmlReader:
    name = "html"
    suffixes = (".html", ".htm")

    def read(self, data: bytes, source: str) -> Case:
        blocks = blocks_from_html(decode(data, source))
        # A <br> in a paragraph: a line break typed into it.
        breaks = f" {TYPED_BREAK} "
        return extract(
            [breaks.join(mark_spaces(ln) for ln in b.full_text.split("\n")) for b in blocks],
            source,
        )
