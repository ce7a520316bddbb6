"""DOCX: imrgen's own letters (the case from their custom XML part, while their text is still
the text it was written with) and any Word letter laid out like the published ones, read as
paragraphs: header table rows become "Label: value" paragraphs, every other paragraph is one
paragraph, tracked changes count as accepted."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import docx
from docx.document import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from lxml import etree

from ..case.embedding import case_from_json
from ..case.model import EXTRA_SPACE, PAGE_BREAK, TYPED_BREAK, Case, mark_spaces
from ..errors import ParseError
from .extract import extract

# The case as imrgen.writers.docx embeds it: JSON in one element of a custom XML part.
CASE_NAMESPACE = "urn:imrgen:case:1"
CASE_ELEMENT = f"{{{CASE_NAMESPACE}}}case"
TEXT_DIGEST = "text-sha256"  # of the paragraphs the case was written as, to tell an edited letter

MAX_UNPACKED = 64 * 2**20

_W_P = qn("w:p")
_W_TBL = qn("w:tbl")
_W_TR = qn("w:tr")
_W_TC = qn("w:tc")
_W_SDT = qn("w:sdt")
_W_SDT_CONTENT = qn("w:sdtContent")
_MAX_SPAN = 63  # Word's own limit on columns in a table


def open_docx(data: bytes, source: str) -> Document:
    """The document, or a ParseError that says why the bytes are not one."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ParseError(source, "not a DOCX file (expected a zip package, found no zip)")
    expected = "not a Word document (expected a DOCX package with word/document.xml"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ParseError(source, f"not a DOCX file (a damaged zip: {exc})") from None
    names = {info.filename for info in infos}
    unpacked = sum(info.file_size for info in infos)
    if unpacked > MAX_UNPACKED:
        # python-docx unpacks every part into memory; a letter is some ten kilobytes.
        raise ParseError(
            source,
            f"not a letter (expected at most {MAX_UNPACKED // 2**20} MiB unpacked,"
            f" found {unpacked / 2**20:.0f} MiB)",
        )
    if "[Content_Types].xml" not in names:
        raise ParseError(source, f"{expected}, found a zip without [Content_Types].xml)")
    try:
        return docx.Document(io.BytesIO(data))
    except ValueError as exc:  # python-docx: "file '...' is not a Word file, content type is"
        kind = re.search(r"content type is '([^']+)'", str(exc))
        found = f"a package whose main part is {kind[1]}" if kind else str(exc)
        raise ParseError(source, f"{expected}, found {found})") from None
    except Exception as exc:  # python-docx meets a damaged package with many kinds of error
        message = f"{expected}, found a damaged package: {type(exc).__name__})"
        raise ParseError(source, message) from None


def embedded_case(doc: Document, source: str) -> tuple[bytes, str | None] | None:
    """The case JSON of imrgen's custom XML part, and the digest of the text it was written
    with, if the document carries one."""
    for rel in doc.part.rels.values():
        if rel.reltype != RT.CUSTOM_XML or rel.is_external:
            continue
        try:
            root = etree.fromstring(
                rel.target_part.blob, etree.XMLParser(resolve_entities=False, no_network=True)
            )
        except etree.XMLSyntaxError as exc:
            raise ParseError(source, f"custom XML part {rel.target_ref}: {exc}") from None
        if root.tag == CASE_ELEMENT:
            return (root.text or "").encode("utf-8"), root.get(TEXT_DIGEST)
    return None


_W_T = qn("w:t")
_W_MOVE_FROM = qn("w:moveFrom")
_W_BR = qn("w:br")
_W_TYPE = qn("w:type")
_SPACES = {qn("w:tab"), _W_BR, qn("w:cr")}
_TEXT_NODES = (_W_T, qn("w:noBreakHyphen"), *_SPACES)


def _text(element: Any) -> str:
    """A paragraph's visible text, tracked changes as if accepted (inserted text in, deleted
    and moved-away text out): w:t runs, Word's non-breaking hyphens, tabs and breaks as
    spaces; a line break in a paragraph as
    model.TYPED_BREAK."""
    pieces: list[str] = []
    for node in element.iter(*_TEXT_NODES):
        run = node.getparent()
        if run is not None and run.getparent() is not None and run.getparent().tag == _W_MOVE_FROM:
            continue
        if node.tag == _W_T:
            pieces.append(node.text or "")
        elif node.tag == _W_BR and node.get(_W_TYPE) in (None, "textWrapping"):
            pieces.append(f" {TYPED_BREAK} ")  # a line break in the paragraph
        else:
            pieces.append(" " if node.tag in _SPACES else "-")
    return " ".join(mark_spaces("".join(pieces)).split())


def _row_paragraphs(row: Any) -> Iterator[str]:
    """A header row as "Label: value" paragraphs: grid columns taken two by two, so a blank
    cell that spans a pair's columns stands for that pair."""
    grid: list[str] = []
    for tc in row.iterchildren(_W_TC):
        span = tc.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}")
        value = span.get(qn("w:val"), "1") if span is not None else "1"
        columns = min(int(value), _MAX_SPAN) if value.isdigit() and int(value) > 0 else 1
        grid.append(" ".join(_text(p) for p in tc.iter(_W_P)).strip())
        grid.extend([""] * (columns - 1))
    for label, value in zip(grid[::2], grid[1::2], strict=False):
        text = f"{label} {value}".strip()
        if text:
            yield text


def _blocks(container: Any) -> Iterator[Any]:
    """Paragraphs and tables in reading order, looking inside content controls (w:sdt)."""
    for element in container.iterchildren(_W_P, _W_TBL, _W_SDT):
        if element.tag == _W_SDT:
            content = element.find(_W_SDT_CONTENT)
            if content is not None:
                yield from _blocks(content)
        else:
            yield element


_PAGE_BREAK_BEFORE = f"{qn('w:pPr')}/{qn('w:pageBreakBefore')}"
_OFF = {"0", "false", "off"}


def _page_breaks(paragraph: Any) -> tuple[bool, bool]:
    """Whether a page break comes before and after the paragraph's text: its own "page break
    before", a page break typed before its first text (Ctrl+Enter), or one after its text."""
    flag = paragraph.find(_PAGE_BREAK_BEFORE)
    before = flag is not None and flag.get(qn("w:val"), "true") not in _OFF
    after = False
    seen_text = False
    for node in paragraph.iter(_W_T, _W_BR):
        if node.tag == _W_T and (node.text or "").strip():
            seen_text = True
        elif node.tag == _W_BR and node.get(_W_TYPE) == "page":
            after = after or seen_text
            before = before or not seen_text
    return before, after


def document_paragraphs(doc: Document) -> list[str]:
    """The body's paragraphs in reading order, tables row by row; empty ones left out. A page
    break is a paragraph of its own (model.PAGE_BREAK)."""
    out: list[str] = []
    for element in _blocks(doc.element.body):
        if element.tag == _W_P:
            text = _text(element)
            before, after = _page_breaks(element)
            out += [PAGE_BREAK] * before + ([text] if text else []) + [PAGE_BREAK] * after
        else:
            for row in element.iterchildren(_W_TR):
                out.extend(_row_paragraphs(row))
    return out


def text_digest(doc: Document) -> str:
    """A fingerprint of what the letter says (its paragraphs, not its XML or layout), its words
    as DOCX files written before the case kept typed line breaks and runs of spaces had it, so
    that those files still verify."""
    words = (
        " ".join(p.replace(TYPED_BREAK, " ").replace(EXTRA_SPACE, "").split())
        for p in document_paragraphs(doc)
        if p != PAGE_BREAK
    )
    return hashlib.sha256("\n".join(words).encode("utf-8")).hexdigest()


class DocxReader:
    name = "docx"
    suffixes = (".docx",)

    def read(self, data: bytes, source: str) -> Case:
        doc = open_docx(data, source)
        embedded = embedded_case(doc, source)
        # The embedded case stands only while the text is the one it was written as: a letter
        # edited in Word since is read from what it now says.
        if embedded is not None:
            payload, digest = embedded
            if digest is None or digest == text_digest(doc):
                return case_from_json(payload, source)
        return extract(document_paragraphs(doc), source)
