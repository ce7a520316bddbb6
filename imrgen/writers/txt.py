"""Plain text: the header as "Label: value" lines, then the sections, wrapped for reading."""

from __future__ import annotations

from ..case.model import Case
from ..letter.structure import NEW_PAGE, blocks_from_html
from . import RenderOptions, letter_html

# A page break the case asks for (Case.page_breaks_before): a line of one form feed, as plain
# text marks a new page (readers/text.py reads it back).
PAGE_BREAK_LINE = "\f"

WIDTH = 78
# The blocks that are lines, not a paragraph (the full letter's cover: templates/base/full.html).
_LINE_BLOCKS = {"address", "return-address", "reference"}


def wrap(text: str, width: int = WIDTH) -> list[str]:
    """Greedy wrap at spaces. Never breaks after a word that ends in a hyphen, so that a reader
    can always rejoin a line ending in '-' without a space (as published letters need)."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width or current.endswith("-"):
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


class TextWriter:
    name = "txt"
    suffix = ".txt"
    media_type = "text/plain"

    def write(self, case: Case, options: RenderOptions) -> bytes:
        html = letter_html(case, options, [])
        chunks: list[str] = []
        fields: list[str] = []
        for block in blocks_from_html(html):
            if block.kind == "field":
                fields.append(f"{block.label} {block.text}")
                continue
            if fields:
                chunks.append("\n".join(fields))
                fields = []
            if NEW_PAGE in block.classes:
                chunks.append(PAGE_BREAK_LINE)
            # A line break typed into a paragraph ends its line with two spaces, as Markdown
            # marks a hard break: the reader tells it from a wrap. A block of lines (an
            # address on the full letter's cover) just has its lines.
            joiner = "\n" if _LINE_BLOCKS & set(block.classes) else "  \n"
            chunks.append(
                joiner.join("\n".join(wrap(line)) for line in block.full_text.split("\n"))
            )
        if fields:
            chunks.append("\n".join(fields))
        return ("\n\n".join(chunks) + "\n").encode("utf-8")
