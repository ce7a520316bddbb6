"""The letter structure: the rendered HTML read as a list of blocks that every non-HTML writer
(and the HTML reader) works from, so wording lives only in the templates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import lxml.etree
import lxml.html

Kind = Literal["field", "title", "heading", "subheading", "para"]
# The class of a heading that starts a new page (Case.page_breaks_before).
NEW_PAGE = "new-page"


@dataclass(frozen=True)
class Block:
    kind: Kind
    text: str
    label: str = ""  # a field's label, or a paragraph's bold lead-in ("Decision rationale:")
    # The end of a heading set in regular weight (an item's decision word, "Upheld"), if any.
    plain: str = ""
    classes: tuple[str, ...] = ()  # the HTML element's classes ("credential", "basis", ...)

    @property
    def full_text(self) -> str:
        return f"{self.label} {self.text}".strip() if self.label else self.text


def _text(element: lxml.html.HtmlElement) -> str:
    """The element's text, white space normalized; a <br> is kept as a line break."""
    for br in element.iter("br"):
        br.tail = "\n" + (br.tail or "")
    # White space collapsed, but for non-breaking spaces (a paragraph's printed run of spaces).
    lines = (
        re.sub(r"[^\S\u00a0]+", " ", line).strip(" ") for line in element.text_content().split("\n")
    )
    return "\n".join(line for line in lines if line)


HeaderRow = tuple[Block | None, ...]  # (label, value) pairs left to right; None: a blank pair


@dataclass(frozen=True)
class Letter:
    """What the writers need of a letter: its title, its blocks in reading order, and the
    header table's rows as laid out (with the blank pairs where the table has blank cells)."""

    title: str
    blocks: tuple[Block, ...]
    header_rows: tuple[HeaderRow, ...]


def letter_from_html(html: str) -> Letter:
    """The letter structure of a letter's HTML."""
    root = lxml.html.document_fromstring(html.encode("utf-8"))
    title = root.find("head/title")
    return Letter(
        title=" ".join(title.text_content().split()) if title is not None else "",
        blocks=tuple(_blocks(root)),
        header_rows=tuple(_header_rows(root)),
    )


def _header_rows(root: lxml.html.HtmlElement) -> list[HeaderRow]:
    rows: list[HeaderRow] = []
    table = root.find(".//table[@class='case-header']")
    if table is None:
        return rows
    for tr in table.iter("tr"):
        row: list[Block | None] = []
        for cell in tr:
            if cell.tag == "th":
                value = cell.getnext()
                row.append(Block("field", _text(value) if value is not None else "", _text(cell)))
            elif cell.tag == "td" and "empty" in (cell.get("class") or "").split():
                span = cell.get("colspan", "1")
                row.extend([None] * max(1, int(span) // 2 if span.isdigit() else 1))
        if row:
            rows.append(tuple(row))
    return rows


def blocks_from_html(html: str) -> list[Block]:
    """The blocks of a letter's HTML, in reading order."""
    try:
        root = lxml.html.document_fromstring(html.encode("utf-8"))
    except lxml.etree.ParserError:
        return []  # no document at all ("", "<!"): a letter with no blocks, refused as such
    return _blocks(root)


def _blocks(root: lxml.html.HtmlElement) -> list[Block]:
    body = root.find("body")
    if body is None:
        return []
    out: list[Block] = []
    for element in body.iter("th", "h1", "h2", "p"):
        tag = element.tag
        if tag == "th":
            cell = element.getnext()
            value = _text(cell) if cell is not None else ""
            out.append(Block("field", value, _text(element)))
        elif tag == "h1":
            classes = tuple((element.get("class") or "").split())
            kind: Kind = "title" if "title" in classes else "heading"
            out.append(Block(kind, _text(element), classes=classes))
        elif tag == "h2":
            decision = element.find("span[@class='decision']")
            plain = _text(decision) if decision is not None and not decision.tail else ""
            out.append(Block("subheading", _text(element), plain=plain))
        else:
            classes = tuple((element.get("class") or "").split())
            label_el = element.find("span[@class='label']")
            if (
                label_el is not None
                and element.index(label_el) == 0
                and not (element.text or "").strip()
            ):
                label = _text(label_el)
                rest = _text(element)[len(label) :].strip()
                out.append(Block("para", rest, label, classes=classes))
            else:
                out.append(Block("para", _text(element), classes=classes))
    return out
