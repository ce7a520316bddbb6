"""Markdown: imrgen's own md output, and the Markdown-like form of published letters
(bold as <b>..</b> or **..**, headings as ###, header cells separated by tabs)."""

from __future__ import annotations

import re

from ..case.model import TYPED_BREAK, Case
from .extract import extract
from .text import decode, paragraphs_from_text

# An escaped character, or a piece of markup to drop: bold markers, <b> tags, heading marks.
_TOKEN = re.compile(r"\\([!-/:-@\[-`{-~])|\\$|\*\*|</?b>|^#{1,6} ", re.MULTILINE | re.IGNORECASE)


def unmark(text: str) -> str:
    """Markdown to plain text: drop markup, undo backslash escapes (and only those)."""
    return _TOKEN.sub(_unmark, text).replace("\t", " ")


def _unmark(match: re.Match[str]) -> str:
    if match.group(0) == "\\":
        return f" {TYPED_BREAK}"  # a hard line break: a line break typed into the paragraph
    return match.group(1) or ""


class MarkdownReader:
    name = "md"
    suffixes = (".md", ".markdown")

    def read(self, data: bytes, source: str) -> Case:
        return extract(paragraphs_from_text(unmark(decode(data, source))), source)
