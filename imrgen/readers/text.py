"""Plain text: imrgen's own txt, and text extracted from published PDFs (as in the seeds)."""

from __future__ import annotations

import codecs
import re

from ..case.model import PAGE_BREAK, TYPED_BREAK, Case, mark_spaces
from ..errors import ParseError
from .extract import extract


def paragraphs_from_text(text: str) -> list[str]:
    """Paragraphs of a text letter. In text extracted from Word's PDFs, a paragraph mark shows as
    a line holding only white space and empty lines are layout noise (page breaks, spacing);
    elsewhere an empty line ends a paragraph."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    word_marks = is_word_extraction(lines)
    if word_marks:  # a form feed where the extraction found a page, wherever it fell
        lines = "\n".join(lines).replace("\f", "\n").split("\n")
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if not word_marks and "\f" in line and not line.replace("\f", "").strip():
            # imrgen's txt and md: a page break the letter has (writers/txt.py).
            if current:
                paragraphs.append(join_lines(current))
                current = []
            paragraphs.append(PAGE_BREAK)
            continue
        is_break = (line != "" and not line.strip()) if word_marks else not line.strip()
        if is_break:
            if current:
                paragraphs.append(join_lines(current))
                current = []
        elif line.strip():
            if not word_marks and line.endswith("  "):
                # imrgen's txt: a line break in the paragraph (writers/txt.py).
                line = f"{line.rstrip()} {TYPED_BREAK}"
            current.append(mark_spaces(line))
    if current:
        paragraphs.append(join_lines(current))
    return [p for p in paragraphs if p]


def is_word_extraction(lines: list[str]) -> bool:
    """Whether the lines are text extracted from a Word PDF (as the seeds are): paragraph marks
    as lines of white space only, and every printed line keeping the space it wrapped at. Both
    together: one stray line of spaces in any other text must not merge its paragraphs."""
    marks = sum(1 for line in lines if line and not line.strip())
    printed = [line for line in lines if line.strip()]
    wrapped = sum(1 for line in printed if line != line.rstrip())
    return marks > 0 and wrapped * 2 > len(printed)


def join_lines(lines: list[str]) -> str:
    """Undo line wrapping. A line that ends in a hyphen right after a letter or digit, with no
    space after it, was broken at the hyphen (a date such as 10-28-2016, a compound such as
    45-year-old): rejoin it with the hyphen kept. Any other break was a space."""
    out = ""
    broke_at_space = False
    for raw in lines:
        line = raw.strip()
        if not out:
            out = line
        elif out.endswith("-") and len(out) > 1 and out[-2].isalnum() and not broke_at_space:
            out += line
        else:
            out += " " + line
        broke_at_space = raw != raw.rstrip()
    return " ".join(out.split())


# Byte order marks, longest first (UTF-32's little-endian mark begins with UTF-16's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode(data: bytes, source: str) -> str:
    """A text letter's characters: UTF-8, or the encoding its byte order mark names (UTF-16 and
    UTF-32, as Windows tools save "Unicode" text), or else Windows-1252."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                name = encoding.removesuffix("-sig").upper()
                raise ParseError(
                    source,
                    f"not {name} text, though it starts with a {name} byte order mark"
                    f" ({exc.reason} at byte {exc.start})",
                ) from None
    if b"\x00" in data:
        # Windows-1252 would read NUL bytes as characters; no text letter holds one.
        raise ParseError(
            source,
            "not a text file in a known encoding (expected UTF-8, Windows-1252 or a byte order"
            " mark; found NUL bytes, as UTF-16 or UTF-32 without a byte order mark has)",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise ParseError(source, f"not a text file ({exc.reason})") from None


# Text in the Markdown-like form some published letters come in: a section title as a Markdown
# heading, or a bold header label.
_MARKDOWN_FORM = re.compile(
    r"^#{1,6}\s*HOW THE IMR FINAL DETERMINATION WAS MADE|<b>Case Number:</b>|^\*\*Case Number:\*\*",
    re.MULTILINE,
)


class TextReader:
    name = "txt"
    suffixes = (".txt", ".text")

    def read(self, data: bytes, source: str) -> Case:
        text = decode(data, source)
        if _MARKDOWN_FORM.search(text):
            from .md import unmark

            text = unmark(text)
        return extract(paragraphs_from_text(text), source)
