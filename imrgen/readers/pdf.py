"""PDF: the published letters exactly as the state publishes them (Word, encrypted with an empty
password, header as a table) and imrgen's own. A PDF imrgen wrote carries its case as an
attachment, read back exactly; otherwise text comes from PDFium, which is fast and keeps each
line's geometry, so paragraphs are found from the space between lines (in imrgen's own PDFs,
from the promises styles/print.css makes: see paragraphs_from_printed)."""

from __future__ import annotations

import ctypes
import re
import unicodedata
from dataclasses import dataclass
from itertools import pairwise
from statistics import median
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ..case.embedding import ATTACHMENT_NAME, case_from_json
from ..case.model import EXTRA_SPACE, PAGE_BREAK, TYPED_BREAK, Case, mark_spaces
from ..errors import ParseError
from .extract import extract
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
    # Where the page body starts (the top of the page's ArtBox), in imrgen's own PDFs; there
    # `bottom` is the baseline, and a line that starts a page this close under it continues
    # the paragraph of the page before.
    body_top: float | None = None
    # For telling a line break typed into the letter from a wrap: how wide the line's first
    # word is (up to where a line may break in it), and a space of its font.
    first_word: float = 0.0
    space: float = 3.0
    # The right edge of the page body, in imrgen's own PDFs (the ArtBox's).
    body_right: float | None = None
    # The bottom of the page body, in imrgen's own PDFs (the ArtBox's).
    body_bottom: float | None = None
    # The line's baseline (in imrgen's own PDFs, `bottom` is the baseline).
    baseline: float | None = None


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
            body = page.get_artbox(fallback_ok=False)
            if body is not None:
                lines += _body_lines(textpage, text, body, number)
                textpage.close()
                page.close()
                continue
            offset = 0
            for raw in text.split("\r\n"):
                start = offset
                offset += len(raw) + 2
                if not raw.strip() or _FURNITURE.match(raw.strip()):
                    continue
                # PDFium joins a printed line that ends in a hyphen to the next one: split them
                # again, so each Line is one printed line with its own place on the page.
                for piece_start, piece in _printed_lines(raw, start):
                    first = piece_start + (len(piece) - len(piece.lstrip()))
                    last = piece_start + len(piece.rstrip()) - 1
                    left, bottom, _, top = textpage.get_charbox(first)
                    # The right edge as far as the last character's advance: what a layout fits.
                    _, _, right, _ = textpage.get_charbox(last, loose=True)
                    word, space = _measures(textpage, text, first, last)
                    lines.append(
                        Line(
                            _spaced(textpage, text, piece_start, piece).replace(
                                _LINE_END_HYPHEN, "-"
                            ),
                            top,
                            bottom,
                            left,
                            right,
                            number,
                            first_word=word,
                            space=space,
                            baseline=_baseline(textpage, first),
                        )
                    )
            textpage.close()
            page.close()
    finally:
        document.close()
    return lines


# PDFium's mark for a hyphen at a line end, which it joins to the next line.
_LINE_END_HYPHEN = "\ufffe"


def _measures(
    textpage: pdfium.PdfTextPage, text: str, first: int, last: int
) -> tuple[float, float]:
    """The width of a line's first word, up to where a line may break in it (a space, or a
    hyphen between letters or digits), and the width of a space on the line (its font's)."""
    end = first
    while end < last:
        following = text[end + 1]
        if (following.isspace() and following != "\xa0") or following == _LINE_END_HYPHEN:
            # A word that cannot start a line (Unicode's rule 13: a closing bracket, "!",
            # ",", "/" ...) goes with the one before it, as the PDF engines lay it out.
            after = end + 1
            while after <= last and text[after] == " ":
                after += 1
            if after > last or not _no_break_between(text[end], text[after]):
                break
            end = after
            continue
        if text[end] == "-" and text[end - 1 : end].isalnum() and following.isalnum():
            break
        end += 1
    word = textpage.get_charbox(end, loose=True)[2] - textpage.get_charbox(first, loose=True)[0]
    for index in range(first, last):
        if text[index] == " ":
            left, _, right, _ = textpage.get_charbox(index, loose=True)
            if right - left > 0.5:
                return word, right - left
    size = pdfium_c.FPDFText_GetFontSize(textpage.raw, first)
    return word, 0.25 * size


_QUOTES = "\"'\u2018\u2019\u201c\u201d\u00ab\u00bb"


# A space between two words that is this many spaces wide, or wider, is a run of spaces (as
# PDFium measures advances in the 65 published letters: one space 0.6-1.2 spaces wide, a double
# space after a full stop 1.8-2.1, a triple one 3.0).
SPACE_RUN = 1.5


def _spaced(textpage: pdfium.PdfTextPage, text: str, start: int, piece: str) -> str:
    """A printed line of a published PDF with the spaces it prints beyond one between two words
    as model.EXTRA_SPACE marks (PDFium gives one space for any gap)."""
    out = []
    for offset, char in enumerate(piece):
        index = start + offset
        if (
            char == " "
            and 0 < offset < len(piece) - 1
            and not piece[offset - 1].isspace()
            and not piece[offset + 1].isspace()
        ):
            left, _, right, _ = textpage.get_charbox(index, loose=True)
            width = right - left
            gap = (
                textpage.get_charbox(index + 1, loose=True)[0]
                - textpage.get_charbox(index - 1, loose=True)[2]
            )
            if width > 0.5 and gap >= SPACE_RUN * width:
                out.append(EXTRA_SPACE * (round(gap / width) - 1))
        out.append(char)
    return "".join(out)


def _no_break_between(before: str, after: str) -> bool:
    """Whether Unicode's line breaking rules (13-15, which the PDF engines follow) keep two
    words apart only by spaces on one line: no break before a closing bracket, "!", "?", ",",
    ".", ":", ";" or "/", nor after an opening bracket or quotation mark, nor between a
    quotation mark and an opening bracket."""
    if after in "!?,.:;/" or unicodedata.category(after) == "Pe":
        return True
    if unicodedata.category(before) in ("Ps", "Pi"):
        return True
    return before in _QUOTES and unicodedata.category(after) == "Ps"


def _printed_lines(raw: str, start: int) -> list[tuple[int, str]]:
    """A PDFium text line cut after each line-end hyphen mark: (index of the first character
    in the page's text, the piece with its hyphen mark), skipping pieces of white space only."""
    pieces: list[tuple[int, str]] = []
    begin = 0
    for cut in [i + 1 for i, char in enumerate(raw) if char == _LINE_END_HYPHEN] + [len(raw)]:
        piece = raw[begin:cut]
        if piece.strip():
            pieces.append((start + begin, piece))
        begin = cut
    return pieces


def _body_lines(
    textpage: pdfium.PdfTextPage, text: str, body: tuple[float, float, float, float], page: int
) -> list[Line]:
    """The lines of a page of imrgen's own PDFs, which mark their body with an ArtBox: split
    at every change of baseline (PDFium joins a line that ends in a hyphen to the next), the
    hyphen restored, and nothing outside the body (the footer is page furniture; inside it, even
    a line that reads "Page 2 of 3" is the letter's own text)."""
    left_edge, bottom_edge, right_edge, top_edge = body
    out: list[Line] = []
    current: list[int] = []

    def close() -> None:
        chars = [i for i in current if not text[i].isspace()]
        if chars:
            first, last = chars[0], chars[-1]
            baseline = _baseline(textpage, first)
            left, _, _, top = textpage.get_charbox(first, loose=True)
            _, _, right, _ = textpage.get_charbox(last, loose=True)
            inside = bottom_edge - 1 <= baseline <= top_edge + 1 and left >= left_edge - 1
            if inside:
                words = "".join(text[i] for i in current).replace(_LINE_END_HYPHEN, "-")
                word, space = _measures(textpage, text, first, last)
                out.append(
                    Line(
                        words,
                        top,
                        baseline,
                        left,
                        right,
                        page,
                        top_edge,
                        word,
                        space,
                        right_edge,
                        bottom_edge,
                        baseline,
                    )
                )
        current.clear()

    baseline: float | None = None
    for index, char in enumerate(text):
        if char in "\r\n":
            close()
            baseline = None
            continue
        if not char.isspace():
            origin = _baseline(textpage, index)
            if baseline is not None and abs(origin - baseline) > 1:
                close()
            baseline = origin
        current.append(index)
    close()
    return out


def _baseline(textpage: pdfium.PdfTextPage, index: int) -> float:
    x, y = ctypes.c_double(), ctypes.c_double()
    pdfium_c.FPDFText_GetCharOrigin(textpage.raw, index, ctypes.byref(x), ctypes.byref(y))
    return y.value


def paragraphs_from_lines(lines: list[Line]) -> list[str]:
    """Group lines into paragraphs: a gap clearly larger than the usual line spacing starts a
    new one. At a page break there is no gap to read, so a paragraph ends there only if its
    last line stops short of the right margin after a full stop."""
    if lines and all(line.body_top is not None for line in lines):
        return paragraphs_from_printed(lines)
    steps = [
        a.bottom - b.bottom
        for a, b in pairwise(lines)
        if a.page == b.page and 0 < a.bottom - b.bottom < 40
    ]
    spacing = median(steps) if steps else 14.0
    right_margin = max((ln.right for ln in lines), default=0.0)
    double_spaced = _double_spaced(lines)
    paragraphs: list[list[str]] = []
    previous: Line | None = None
    for index, line in enumerate(lines):
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
        if previous is not None and _page_break_before(
            previous, lines[index : index + 2], spacing, WORD_BODY_BOTTOM, WORD_DESCENT
        ):
            paragraphs.append([PAGE_BREAK])
            new = True
        if new:
            paragraphs.append([])
        elif typed_break(previous, line, right_margin):
            paragraphs[-1][-1] = paragraphs[-1][-1].rstrip() + f" {TYPED_BREAK} "
        elif double_spaced and _hidden_double_space(previous, line, right_margin):
            paragraphs[-1][-1] = paragraphs[-1][-1].rstrip() + f"{EXTRA_SPACE} "
        paragraphs[-1].append(line.text)
        previous = line
    return [join_lines(p) for p in paragraphs]


_SENTENCE_END = r"[.?!][\"')\u201d]?"
_DOUBLE_AFTER_SENTENCE = re.compile(_SENTENCE_END + EXTRA_SPACE + "+ ")
_SINGLE_AFTER_SENTENCE = re.compile(_SENTENCE_END + " (?=[A-Z])")
_ENDS_SENTENCE = re.compile(_SENTENCE_END + "$")


def _double_spaced(lines: list[Line]) -> bool:
    """Whether the letter puts two spaces after a sentence more often than one (as its lines
    print them: PDFium gives one space for a gap, _spaced marks the rest)."""
    text = "\n".join(line.text for line in lines)
    doubles = len(_DOUBLE_AFTER_SENTENCE.findall(text))
    return doubles > len(_SINGLE_AFTER_SENTENCE.findall(text))


def _hidden_double_space(previous: Line | None, line: Line, right_edge: float) -> bool:
    """Whether a line of a letter that double-spaces its sentences ends in the two spaces no PDF
    shows at a line end: it ends a sentence, and the next word would have fitted after one
    space but not after two (Word wraps where a word passes the margin). On the 65 published
    letters: one line, in CM17-0014449, which puts two spaces after 30 of its 37 sentences."""
    if previous is None or not _ENDS_SENTENCE.search(previous.text.rstrip()):
        return False
    slack = right_edge - (previous.right + previous.space + line.first_word)
    return 0 <= slack < previous.space


# A line that ends although the next line's first word would have fitted on it, with a space,
# by more than this (pt), ends where the letter says a line break (typed, or pasted with the
# text). Calibrated on the 65 published 2016-2017 letters, with PDFium's advance widths and the
# widest line as the right edge: the lines Word wrapped leave at most 0.41 pt (one more, 0.92 pt
# after a full stop, is likely a double space that the line end hides), the breaks the letters
# say leave 3.38 pt or more; the threshold sits between the two.
TYPED_BREAK_SLACK = 2.0
# In imrgen's own PDFs the engines wrap a line greedily when the next word would pass the right
# edge of the body (with Unicode's rules for what may end or start a line: _no_break_between).
# Measured on the 65 letters rendered again: the lines they wrapped leave at most 0.31 pt
# (Typst; WeasyPrint none), so more room than this is a line break in the text.
OWN_TYPED_BREAK_SLACK = 1.0


def typed_break(previous: Line | None, line: Line, right_edge: float) -> bool:
    """Whether the break between two lines of a paragraph is one the letter says."""
    end = previous.text.rstrip() if previous is not None else ""
    if previous is None or not end or _HYPHEN_BREAK.search(end):
        return False
    if unicodedata.category(end[-1]) in ("Ps", "Pi"):
        return False  # no line ends there as the PDF engines lay out (an opening bracket)
    slack = TYPED_BREAK_SLACK
    if previous.body_right is not None:
        right_edge, slack = previous.body_right, OWN_TYPED_BREAK_SLACK
    # The spaces the line ends in count: imrgen prints a run of spaces as non-breaking ones and
    # a space (model.mark_spaces), and the line broke after them.
    run = len(previous.text.rstrip(" ")) - len(previous.text.rstrip(" \u00a0"))
    fitted = previous.right + previous.space * (1 + run) + line.first_word
    return fitted < right_edge - slack


# The contract between imrgen's own PDFs (styles/print.css.j2, imrgen/writers/pdf.py) and this
# reader, in font ascents (the median line's, 10.7 pt for the body's 12 pt):
# - the lines of one paragraph (13.8 pt apart: 1.3 ascents) and the rows of the header table
#   (13.15 pt) are closer than this; the block under a heading starts 20.28 pt lower (1.9
#   ascents), any other block 27.6 pt lower (an empty line between them);
NEW_BLOCK_ASCENTS = 1.6
# - the page body (the page's ArtBox) starts an empty line above a page's first line when that
#   line starts a block, and right above it when it continues the paragraph of the page before:
#   a first baseline more than this many font ascents under the ArtBox's top starts a block;
NEW_BLOCK_AT_PAGE_TOP_ASCENTS = 1.5
# - lines break at spaces, or after a hyphen between two letters or digits (the PDF writer
#   keeps a space after such a hyphen from breaking), so a line that ends in a letter or digit
#   and a hyphen continues the word on the next line.
_HYPHEN_BREAK = re.compile(r"[^\W_]-$")


# A page break that the layout did not make: a block of one line in capitals (a section's
# heading: nothing else starts a page for the case, so no paragraph is ever split) that starts
# a page although it would have fitted at the foot of the page before, an empty line (two line
# steps from the baseline of the page's last line) under it. Word letters laid out as the published
# ones end their page body 72 pt above the bottom edge and set a line there when its descent
# (0.216 of Times New Roman's size, its size 1/1.15 of the line step) stays above that; Word
# moves such a heading to the next page only where the letter says so (a typed page break, or
# its document keeping the heading with the next paragraph, as 7 of the 65 published letters
# do and 11 do not: tests/test_parse.py). imrgen's own PDFs end the body at the ArtBox's bottom
# and a line's box reaches 0.2065 line steps under its baseline (CSS's half leading, 13.8 pt
# lines of 12 pt type), and they break pages only where the text does not fit or the case says.
WORD_BODY_BOTTOM = 72.0
WORD_DESCENT = 0.216 / 1.15
OWN_DESCENT = 0.2065


def _page_break_before(
    last: Line, block: list[Line], step: float, body_bottom: float, descent: float
) -> bool:
    """Whether the block starting with block[0] (block[1], the line after it, if any) starts its
    page after a page break that the layout did not make (see WORD_BODY_BOTTOM)."""
    first = block[0]
    if first.page == last.page or last.baseline is None:
        return False
    if not first.text.strip().isupper():
        return False  # only a section's heading (in capitals) starts a page for the case
    if len(block) > 1 and block[1].page == first.page:
        following = block[1]
        if first.baseline is None or following.baseline is None:
            return False
        if first.baseline - following.baseline < 1.25 * step:
            return False  # a block of more than one line: widows and orphans may move it
    would_be = last.baseline - 2 * step
    return would_be - descent * step >= body_bottom - 0.05


def paragraphs_from_printed(lines: list[Line]) -> list[str]:
    """Paragraphs of imrgen's own PDFs, by the contract above."""
    ascent = median(line.top - line.bottom for line in lines)
    steps = [
        a.bottom - b.bottom
        for a, b in pairwise(lines)
        if a.page == b.page and 0 < a.bottom - b.bottom < 1.5 * ascent
    ]
    step = median(steps) if steps else 13.8
    paragraphs: list[list[str]] = []
    previous: Line | None = None
    for index, line in enumerate(lines):
        if previous is None:
            new = True
        elif line.page == previous.page:
            new = previous.bottom - line.bottom > NEW_BLOCK_ASCENTS * ascent
        else:
            body_top = line.top if line.body_top is None else line.body_top
            new = body_top - line.bottom > NEW_BLOCK_AT_PAGE_TOP_ASCENTS * ascent
        if (
            previous is not None
            and line.body_bottom is not None
            and _page_break_before(
                previous, lines[index : index + 2], step, line.body_bottom, OWN_DESCENT
            )
        ):
            # The heading of a section the case starts on a new page (the reader's contract
            # puts no empty line above it there).
            paragraphs.append([PAGE_BREAK])
            new = True
        if new:
            paragraphs.append([])
        elif typed_break(previous, line, 0.0):
            paragraphs[-1][-1] = paragraphs[-1][-1].rstrip() + f" {TYPED_BREAK}"
        paragraphs[-1].append(line.text)
        previous = line
    return [_join_printed(p) for p in paragraphs]


def _join_printed(lines: list[str]) -> str:
    text = ""
    for line in lines:
        line = " ".join(mark_spaces(line).split())
        if text and not _HYPHEN_BREAK.search(text):
            text += " "
        text += line
    return text


class PdfReader:
    name = "pdf"
    suffixes = (".pdf",)

    def read(self, data: bytes, source: str) -> Case:
        """The case imrgen embedded, while the text says the same; otherwise what the text says.

        The check is on what the letter says (what_it_says), not on its bytes, so it holds for a
        PDF from any engine; the embedded case is then what is returned, exact where the text
        cannot be (paragraph breaks, fields the letter never prints)."""
        embedded = embedded_case(data, source)
        paragraphs = paragraphs_from_lines(pdf_lines(data, source))
        if embedded is None:
            return extract(paragraphs, source)
        carried = case_from_json(embedded, source)
        try:
            printed = extract(paragraphs, source)
        except ParseError as exc:
            detail = str(exc).removeprefix(f"{source}: ")
            raise ParseError(
                source,
                f"{detail} (the file carries a case, but a text that does not read as a letter"
                " cannot confirm it)",
            ) from None
        # A PDF edited since imrgen wrote it is read from what it now says.
        return carried if what_it_says(printed) == what_it_says(carried) else printed


def as_printed(case: Case) -> Case:
    """The case as its letter prints it: less what only the drafter sees."""
    header = case.header.model_copy(update={"records_received": None})
    return case.model_copy(update={"header": header, "parties": None})


def what_it_says(case: Case) -> list[tuple[str, str]]:
    """Every field the letter prints, in order, with its characters but not its white space:
    what an edit of the letter changes, and the way a layout breaks lines and paragraphs (which
    the text can only guess back) does not."""
    out: list[tuple[str, str]] = []

    def walk(value: Any, key: str) -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                walk(item, name)
        elif isinstance(value, list):
            # Paragraphs as one run of text: where one ends, the text alone cannot always tell.
            words = [str(v) for v in value if not isinstance(v, dict | list) and v is not None]
            out.append((key, "".join("".join(words).split())))
            for item in value:
                if isinstance(item, dict | list):
                    walk(item, key)
        elif value is not None:
            out.append((key, "".join(str(value).split())))

    walk(as_printed(case).model_dump(mode="json"), "")
    return out


def embedded_case(data: bytes, source: str) -> bytes | None:
    """The bytes of the attachment imrgen writes (imrgen.case.embedding.ATTACHMENT_NAME), if any."""
    try:
        document = pdfium.PdfDocument(data, password="")
    except pdfium.PdfiumError as exc:
        raise ParseError(source, f"not a readable PDF ({exc})") from None
    try:
        for index in range(document.count_attachments()):
            attachment = document.get_attachment(index)
            if attachment.get_name() == ATTACHMENT_NAME:
                try:
                    return bytes(attachment.get_data())
                except pdfium.PdfiumError as exc:
                    raise ParseError(source, f"{ATTACHMENT_NAME}: unreadable ({exc})") from None
    finally:
        document.close()
    return None
