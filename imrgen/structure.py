"""The letter structure: the rendered HTML read as a list of blocks that every non-HTML writer
(and the HTML reader) works from, so wording lives only in the templates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import lxml.etree
import lxml.html

Kind = Literal["field", "title", "heading", "subheading", "para"]


@dataclass(frozen=True)
class Block:
    kind: Kind
    text: str
    label: str = ""  # a field's label, or a paragraph's bold lead-in ("Decision rationale:")

    @property
    def full_text(self) -> str:
        return f"{self.label} {self.text}".strip() if self.label else self.text


def _text(element: lxml.html.HtmlElement) -> str:
    """The element's text, white space normalized; a <br> is kept as a line break."""
    for br in element.iter("br"):
        br.tail = "\n" + (br.tail or "")
    lines = (" ".join(line.split()) for line in element.text_content().split("\n"))
    return "\n".join(line for line in lines if line)


def blocks_from_html(html: str) -> list[Block]:
    """The blocks of a letter's HTML, in reading order."""
    try:
        root = lxml.html.document_fromstring(html.encode("utf-8"))
    except lxml.etree.ParserError:
        return []  # no document at all ("", "<!"): a letter with no blocks, refused as such

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
            kind: Kind = "title" if "title" in (element.get("class") or "").split() else "heading"
            out.append(Block(kind, _text(element)))
        elif tag == "h2":
            out.append(Block("subheading", _text(element)))
        else:
            label_el = element.find("span[@class='label']")
            if (
                label_el is not None
                and element.index(label_el) == 0
                and not (element.text or "").strip()
            ):
                label = _text(label_el)
                rest = _text(element)[len(label) :].strip()
                out.append(Block("para", rest, label))
            else:
                out.append(Block("para", _text(element)))
    return out
