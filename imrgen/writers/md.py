"""Markdown: headings, bold labels, and case text escaped so it prints exactly as written."""

from __future__ import annotations

import re

from ..case.model import Case
from ..letter.structure import NEW_PAGE, blocks_from_html
from . import RenderOptions, letter_html
from .txt import PAGE_BREAK_LINE

_INLINE = re.compile(r"([\\`*_\[\]<>|~])|(&(?=#?\w+;))")
_LINE_START = re.compile(r"^(#|=|-|\+|\d+(?=[.)]))")


def escape(text: str) -> str:
    """Backslash-escape what Markdown would read as markup; CommonMark allows it before any
    ASCII punctuation, and imrgen's reader undoes exactly this."""
    text = _INLINE.sub(lambda m: "\\" + m.group(0), text)
    match = _LINE_START.match(text)
    if match:
        end = match.end()
        if match.group(0)[0].isdigit():
            return text[:end] + "\\" + text[end:]
        return "\\" + text
    return text


def _lines(text: str) -> str:
    """Escaped text; a line break inside a paragraph (an address) as a hard break."""
    return "\\\n".join(escape(line) for line in text.split("\n"))


class MarkdownWriter:
    name = "md"
    suffix = ".md"
    media_type = "text/markdown"

    def write(self, case: Case, options: RenderOptions) -> bytes:
        html = letter_html(case, options, [])
        chunks: list[str] = []
        for block in blocks_from_html(html):
            if block.kind == "field":
                chunks.append(f"**{escape(block.label)}** {escape(block.text)}")
            elif block.kind == "title":
                chunks.append(f"# {escape(block.text)}")
            elif block.kind == "heading":
                if NEW_PAGE in block.classes:
                    chunks.append(PAGE_BREAK_LINE)  # white space to Markdown, a page to imrgen
                chunks.append(f"## {escape(block.text)}")
            elif block.kind == "subheading":
                chunks.append(f"### {escape(block.text)}")
            elif block.label:
                chunks.append(f"**{escape(block.label)}** {_lines(block.text)}")
            else:
                chunks.append(_lines(block.text))
        return ("\n\n".join(chunks) + "\n").encode("utf-8")
