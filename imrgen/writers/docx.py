"""DOCX: the letter for editing, built with python-docx from the same letter structure as the
HTML (imrgen.letter.structure), with real Word styles, page-number fields, explicit fonts, core
properties from the case and the case itself as a custom XML part. Same case, same bytes."""

from __future__ import annotations

import copy
import io
import re
import uuid
import zipfile
from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import docx
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PACKAGE_URI, PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsmap, qn
from docx.shared import Pt, RGBColor
from docx.text.paragraph import Paragraph
from lxml import etree

from ..case.embedding import case_to_json
from ..case.model import Case, Decision
from ..letter.i18n import LOCALES, translations
from ..letter.look import Look, load_look
from ..letter.structure import Block, HeaderRow, Letter, letter_from_html
from ..letter.templates import DEFAULT_TEMPLATES, TemplateSet
from ..readers.docx import CASE_ELEMENT, CASE_NAMESPACE, TEXT_DIGEST, text_digest
from . import RenderOptions, letter_html

CASE_PARTNAME = "/customXml/item1.xml"
CASE_PROPS_PARTNAME = "/customXml/itemProps1.xml"

# Zip entries carry no clock: 1980-01-01 is the zip format's own epoch.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
FIXED_DATE = datetime(1980, 1, 1, tzinfo=UTC)

STYLE_NORMAL = "Normal"
STYLE_TITLE = "Title"
STYLE_HEADING = "Heading 1"
STYLE_SUBHEADING = "Heading 2"
STYLE_FOOTER = "Footer"
STYLE_TABLE = "Table Grid"
STYLE_LABEL = "Case Header Label"
STYLE_VALUE = "Case Header Value"

# Styles of python-docx's default template worth keeping; the other ~150 (and the latent
# styles, and the theme) go, so nothing can send LibreOffice to a theme font.
_KEEP_STYLES = {
    "Normal",
    "DefaultParagraphFont",
    "TableNormal",
    "NoList",
    "TableGrid",
    "Title",
    "Heading1",
    "Heading2",
    "Footer",
}
_DROP_RELS = {RT.CUSTOM_XML, RT.NUMBERING, RT.THEME, RT.FONT_TABLE, RT.WEB_SETTINGS}
_STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"


def font_table(look: Look) -> bytes:
    """word/fontTable.xml: the look's faces, each with the face it stands in for."""
    entries = "".join(
        f"<w:font w:name={quoteattr(font.family)}><w:altName w:val={quoteattr(font.stands_for)}/>"
        f'<w:charset w:val="00"/><w:family w:val="{"swiss" if role == "sans" else "roman"}"/>'
        '<w:pitch w:val="variable"/></w:font>'
        for role, font in sorted(look.fonts.items())
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"{entries}</w:fonts>"
    ).encode()


APP_PROPERTIES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
    b' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    b"<Application>imrgen</Application><DocSecurity>0</DocSecurity></Properties>"
)


def language_tag(lang: str) -> str:
    """The letter's language as Word tags it: "en" -> "en-US", "es" -> "es-US"."""
    return LOCALES.get(lang, lang).replace("_", "-")


def _set_fonts(rpr: Any, face: str) -> None:
    """Name the face for every script, so no theme or fallback font can stand in."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for key in list(fonts.attrib):
        del fonts.attrib[key]
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), face)


def _clean_style(style: Any) -> None:
    for tag in ("w:link", "w:rsid"):
        for child in style.findall(qn(tag)):
            style.remove(child)
    rpr = style.find(qn("w:rPr"))
    if rpr is not None:
        for tag in ("w:rFonts", "w:color"):
            for child in rpr.findall(qn(tag)):
                rpr.remove(child)


def _paragraph_style(
    doc: Document,
    name: str,
    *,
    face: str,
    size: float,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
    before: float = 0,
    after: float = 0,
    keep_with_next: bool = False,
    line: float | None = None,
) -> None:
    styles = doc.styles
    style = styles[name] if name in styles else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if name != STYLE_NORMAL:
        style.base_style = styles[STYLE_NORMAL]
    style.quick_style = True
    font = style.font
    font.name = face
    font.size = Pt(size)
    font.bold = True if bold else None
    font.color.rgb = RGBColor(0, 0, 0)
    font.kerning = None
    rpr = style.element.get_or_add_rPr()
    _set_fonts(rpr, face)
    # The same size for complex scripts (python-docx sets w:sz only; the template had others).
    size_cs = rpr.find(qn("w:szCs"))
    if size_cs is None:
        size_cs = OxmlElement("w:szCs")
        rpr.find(qn("w:sz")).addnext(size_cs)
    size_cs.set(qn("w:val"), str(round(size * 2)))
    fmt = style.paragraph_format
    fmt.alignment = align
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    # Word's single spacing (the font's own line height), or an exact height where the look's
    # line differs from it (the header table's).
    fmt.line_spacing = Pt(line) if line is not None else 1.0
    fmt.keep_with_next = True if keep_with_next else None
    fmt.widow_control = True


def _add_field(paragraph: Paragraph, instruction: str, placeholder: str) -> None:
    """A complex field (PAGE, NUMPAGES) that Word and LibreOffice compute when they lay out."""

    def char(kind: str) -> Any:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        return element

    run = paragraph.add_run()
    run._r.append(char("begin"))
    run = paragraph.add_run()
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    run._r.append(text)
    paragraph.add_run()._r.append(char("separate"))
    paragraph.add_run(placeholder)
    paragraph.add_run()._r.append(char("end"))


def _template(look: Look, styles_dir: Path, lang: str, letter: str) -> Document:
    """python-docx's default document, trimmed to what a letter uses and styled once, from the
    look (imrgen.letter.look): the same values the PDF's stylesheet is generated from."""
    doc = docx.Document()
    part = doc.part
    for rid, rel in list(part.rels.items()):
        if rel.reltype in _DROP_RELS or rel.reltype == _STYLES_WITH_EFFECTS:
            del part.rels[rid]
    package = part.package
    for rid, rel in list(package.rels.items()):
        if rel.reltype in (RT.THUMBNAIL, RT.EXTENDED_PROPERTIES):
            del package.rels[rid]
    part.relate_to(
        Part(PackURI("/word/fontTable.xml"), CT.WML_FONT_TABLE, font_table(look), package),
        RT.FONT_TABLE,
    )
    package.relate_to(
        Part(PackURI("/docProps/app.xml"), CT.OFC_EXTENDED_PROPERTIES, APP_PROPERTIES, package),
        RT.EXTENDED_PROPERTIES,
    )

    settings = doc.settings.element
    # Theme, revision ids, a math font and picture settings a letter does not use; a spelling
    # state that would claim the text was proofread.
    for tag in (
        "w:rsids",
        "w:themeFontLang",
        "w:clrSchemeMapping",
        "w:savePreviewPicture",
        "w:proofState",
        "m:mathPr",
        "w:doNotAutoCompressPictures",
        "w:shapeDefaults",
        "w14:docId",
    ):
        for child in settings.findall(qn(tag)):
            settings.remove(child)

    styles = doc.styles.element
    for child in list(styles):
        if child.tag == qn("w:latentStyles") or (
            child.tag == qn("w:style") and child.get(qn("w:styleId")) not in _KEEP_STYLES
        ):
            styles.remove(child)
    for style in styles.findall(qn("w:style")):
        _clean_style(style)
    body = look.body
    serif = look.font(body.font).family
    defaults = styles.find(qn("w:docDefaults"))
    default_rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
    _set_fonts(default_rpr, serif)
    for tag in ("w:sz", "w:szCs"):
        default_rpr.find(qn(tag)).set(qn("w:val"), str(round(body.size * 2)))
    # The proofing language of every run: the letter's.
    language = default_rpr.find(qn("w:lang"))
    language.set(qn("w:val"), language_tag(lang))
    language.set(qn("w:eastAsia"), language_tag(lang))
    default_ppr = defaults.find(f"{qn('w:pPrDefault')}/{qn('w:pPr')}")
    spacing = default_ppr.find(qn("w:spacing"))
    spacing.attrib.clear()
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")
    spacing.set(qn("w:lineRule"), "auto")
    # Word 2007 kerns nothing (no w:kern anywhere), and its widow control keeps two lines.
    _paragraph_style(doc, STYLE_NORMAL, face=serif, size=body.size)
    for name, heading in (
        (STYLE_TITLE, look.title),
        (STYLE_HEADING, look.heading),
        (STYLE_SUBHEADING, look.subheading),
    ):
        # The space above a heading is an empty paragraph, as in the published letters; the
        # space below it is the heading's own.
        _paragraph_style(
            doc,
            name,
            face=look.font(heading.font).family,
            size=heading.size,
            bold=heading.bold,
            align=WD_ALIGN_PARAGRAPH.CENTER if heading.align == "center" else None,
            before=heading.space_before,
            after=heading.space_after,
            keep_with_next=heading.keep_with_next,
        )
    # python-docx's Title rules itself off with a theme-coloured border: no theme may be left.
    title_ppr = doc.styles[STYLE_TITLE].element.find(qn("w:pPr"))
    for border in title_ppr.findall(qn("w:pBdr")) if title_ppr is not None else []:
        title_ppr.remove(border)
    _paragraph_style(
        doc, STYLE_FOOTER, face=serif, size=look.footer_size, align=WD_ALIGN_PARAGRAPH.CENTER
    )
    table = look.header_table
    sans = look.font(table.font).family
    line = None if table.line == round(table.size * 1.15, 2) else table.line
    _paragraph_style(doc, STYLE_LABEL, face=sans, size=table.size, bold=table.label_bold, line=line)
    _paragraph_style(doc, STYLE_VALUE, face=sans, size=table.size, line=line)
    table_style = doc.styles[STYLE_TABLE]
    table_style.font.name = sans
    _set_fonts(table_style.element.get_or_add_rPr(), sans)

    page = look.page
    section = doc.sections[0]
    section.page_width, section.page_height = Pt(page.width), Pt(page.height)
    section.top_margin, section.bottom_margin = Pt(page.margin.top), Pt(page.margin.bottom)
    section.left_margin, section.right_margin = Pt(page.margin.left), Pt(page.margin.right)
    section.header_distance = section.footer_distance = Pt(page.margin.top / 2)
    if look.letterhead.image:
        _letterhead(section, look, styles_dir)
    if look.footer[letter]:  # type: ignore[index]
        footers = [section.footer]
        if section.different_first_page_header_footer:
            footers.append(section.first_page_footer)  # page 1 has the letterhead's header
        for footer_part in footers:
            footer = footer_part.paragraphs[0]
            footer.style = doc.styles[STYLE_FOOTER]
            # "Page X of Y" in the letter's language (the same message as the PDF's footer),
            # with the numbers as fields that Word and LibreOffice compute.
            rest = translations(lang).gettext("Page %(page)s of %(pages)s")
            for marker, instruction in (("%(page)s", "PAGE"), ("%(pages)s", "NUMPAGES")):
                before, _, rest = rest.partition(marker)
                if before:
                    footer.add_run(before)
                _add_field(footer, instruction, "1")
            if rest:
                footer.add_run(rest)
    return doc


# What a word processor leaves between the end of a header that reaches past the top margin and
# the body (measured with LibreOffice 7 on the corpus letters: 1.75 pt).
HEADER_BODY_GAP = 1.75


def _letterhead(section: Any, look: Look, styles_dir: Path) -> None:
    """The letterhead image in the first page's header, at its place on the published page
    (its right edge past the right margin, as there), with the look's alternative text. The
    header reaches down to where page 1's body starts (letterhead.body_top), as the published
    letters' does: Word and LibreOffice start the body under a header taller than the margin."""
    head = look.letterhead
    section.different_first_page_header_footer = True
    section.header_distance = Pt(head.top)
    paragraph = section.first_page_header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    fmt = paragraph.paragraph_format
    fmt.right_indent = Pt(look.page.margin.left + look.page.text_width - head.left - head.width)
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing = Pt(head.body_top - head.top - HEADER_BODY_GAP)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    run = paragraph.add_run()
    run.add_picture(str(styles_dir / head.image), width=Pt(head.width), height=Pt(head.height))
    for doc_pr in run._r.iter(qn("wp:docPr")):
        doc_pr.set("descr", head.alt)
        doc_pr.set("name", head.image)


@cache
def template_bytes(
    templates: TemplateSet = DEFAULT_TEMPLATES,
    family: str = "2015",
    lang: str = "en",
    letter: str = "public-body",
) -> bytes:
    """The styled, empty letter as a package, built once per process, family look, language
    and letter kind."""
    buffer = io.BytesIO()
    look = load_look(templates, family)
    _template(look, templates.styles, lang, letter).save(buffer)
    return buffer.getvalue()


@cache
def _template_document(
    templates: TemplateSet = DEFAULT_TEMPLATES,
    family: str = "2015",
    lang: str = "en",
    letter: str = "public-body",
) -> Document:
    # Loaded back from its bytes, so it is exactly what a reader of the package sees; never
    # changed after this, only copied.
    return docx.Document(io.BytesIO(template_bytes(templates, family, lang, letter)))


def new_letter(
    templates: TemplateSet = DEFAULT_TEMPLATES,
    family: str = "2015",
    lang: str = "en",
    letter: str = "public-body",
) -> Document:
    """A fresh copy of the styled, empty letter: a deep copy costs a third of loading it."""
    return copy.deepcopy(_template_document(templates, family, lang, letter))


# Characters XML 1.0 cannot carry (controls, U+FFFE, U+FFFF). Visible text shows U+FFFD for
# them; the embedded case keeps them exactly, as JSON escapes.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """Text as XML can carry it: escaped, and U+FFFD for characters XML 1.0 forbids."""
    return escape(_NOT_XML.sub("\ufffd", text))


def _run(text: str, bold: bool = False) -> str:
    """One run; a line break in the text (an address in the full letter) is a w:br."""
    props = "<w:rPr><w:b/></w:rPr>" if bold else ""
    pieces = []
    for index, line in enumerate(text.split("\n")):
        if index:
            pieces.append("<w:br/>")
        # A paragraph's run of spaces as Word's letters have it: plain spaces.
        line = line.replace("\u00a0", " ")
        space = ' xml:space="preserve"' if line != line.strip() or "  " in line else ""
        pieces.append(f"<w:t{space}>{xml_text(line)}</w:t>")
    return f"<w:r>{props}{''.join(pieces)}</w:r>"


def _regular_run(text: str) -> str:
    """A run in regular weight inside a bold paragraph style (w:b w:val=0)."""
    return _run(text).replace("<w:r>", '<w:r><w:rPr><w:b w:val="0"/></w:rPr>', 1)


def _paragraph(style_id: str | None, runs: str = "", properties: str = "") -> str:
    """One w:p as XML text (`properties`: w:pPr's children after the style, in schema order).
    The body is written at python-docx's XML layer (one parse_xml per letter) because its
    object layer spends milliseconds a letter on style look-ups."""
    props = (f'<w:pStyle w:val="{style_id}"/>' if style_id else "") + properties
    return f"<w:p>{f'<w:pPr>{props}</w:pPr>' if props else ''}{runs}</w:p>"


EMPTY_LINE = "<w:p/>"  # the published letters' space between paragraphs: an empty paragraph


def _cell(width: int, content: str, look: Look, span: int = 1, shaded: bool = False) -> str:
    props = f'<w:tcW w:w="{width}" w:type="dxa"/>'
    if span > 1:
        props += f'<w:gridSpan w:val="{span}"/>'
    if shaded:
        props += f'<w:shd w:val="clear" w:color="auto" w:fill="{look.header_table.shading}"/>'
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{content}</w:tc>"


def _blank_cell(widths: Sequence[int], style_id: str, look: Look) -> str:
    """The blank part of a row as one cell over its columns (shaded, as published)."""
    shaded = look.header_table.blank_shaded
    return _cell(sum(widths), _paragraph(style_id), look, len(widths), shaded=shaded)


def _twips(points: float) -> int:
    return round(points * 20)


def _header_table(
    rows: Sequence[HeaderRow], style_ids: dict[str, str], caption: str, look: Look
) -> str:
    """The four-column header table: shaded bold label cells beside their values; the blank
    part of a row is one (shaded) cell, as in the published letters. The caption is the table's
    name for screen readers (Word's alt text), not printed."""
    geometry = look.header_table
    widths = [_twips(w) for w in geometry.columns]
    columns = 2 * max(2, *(len(row) for row in rows))
    widths += [widths[-1]] * (columns - len(widths))
    label_style, value_style = style_ids[STYLE_LABEL], style_ids[STYLE_VALUE]
    xml_rows = []
    for row in rows:
        cells = []
        blank = 0  # columns of empty pairs not yet written
        column = 0

        for pair in [*row, *[None] * (columns // 2 - len(row))]:
            if pair is None:
                blank += 2
                column += 2
                continue
            if blank:
                cells.append(_blank_cell(widths[column - blank : column], value_style, look))
                blank = 0
            label = _paragraph(label_style, _run(pair.label))
            cells.append(_cell(widths[column], label, look, shaded=True))
            cells.append(_cell(widths[column + 1], _paragraph(value_style, _run(pair.text)), look))
            column += 2
        if blank:
            cells.append(_blank_cell(widths[column - blank : column], value_style, look))
        xml_rows.append(f"<w:tr><w:trPr><w:cantSplit/></w:trPr>{''.join(cells)}</w:tr>")
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    border = round(geometry.border * 8)  # eighths of a point
    borders = "".join(
        f'<w:{side} w:val="single" w:sz="{border}" w:space="0" w:color="{geometry.border_color}"/>'
        for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    pad_x, pad_y = _twips(geometry.padding_x), _twips(geometry.padding_y)
    return (
        f'<w:tbl><w:tblPr><w:tblStyle w:val="{style_ids[STYLE_TABLE]}"/>'
        f'<w:tblW w:w="{sum(widths)}" w:type="dxa"/>'
        f'<w:tblInd w:w="{-pad_x}" w:type="dxa"/>'
        f"<w:tblBorders>{borders}</w:tblBorders>"
        '<w:tblLayout w:type="fixed"/>'
        f'<w:tblCellMar><w:top w:w="{pad_y}" w:type="dxa"/><w:left w:w="{pad_x}" w:type="dxa"/>'
        f'<w:bottom w:w="{pad_y}" w:type="dxa"/><w:right w:w="{pad_x}" w:type="dxa"/>'
        "</w:tblCellMar>"
        '<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0"'
        ' w:lastColumn="0" w:noHBand="1" w:noVBand="1"/>'
        f"<w:tblCaption w:val={quoteattr(caption)}/></w:tblPr>"
        f"<w:tblGrid>{grid}</w:tblGrid>{''.join(xml_rows)}</w:tbl>"
    )


def _body_xml(letter: Letter, style_ids: dict[str, str], caption: str, look: Look) -> str:
    """The blocks as Word paragraphs, with the published letters' empty paragraphs between
    them (none right under a heading, none between the credential lines)."""
    parts: list[str] = []
    first_field = True
    previous: Block | None = None
    for block in letter.blocks:
        if block.kind == "field":
            if first_field:
                if parts:
                    # The determination after a cover letter (the full letter) starts a page.
                    parts.append('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')
                parts.append(_header_table(letter.header_rows, style_ids, caption, look))
                first_field = False
            previous = block
            continue
        if previous is not None and _gap_before(block, previous):
            parts.append(EMPTY_LINE)
        if block.kind == "title":
            parts.append(_paragraph(style_ids[STYLE_TITLE], _run(block.text)))
        elif block.kind == "heading":
            props = "<w:pageBreakBefore/>" if "new-page" in block.classes else ""
            if "several-items" in block.classes:
                before = look.heading.space_before + look.several_items_summary_space
                props += f'<w:spacing w:before="{_twips(before)}"/>'
            parts.append(_paragraph(style_ids[STYLE_HEADING], _run(block.text), props))
        elif block.kind == "subheading":
            runs = _run(block.text)
            if block.plain and block.text.endswith(block.plain) and not look.decision_bold:
                runs = _run(block.text[: -len(block.plain)]) + _regular_run(block.plain)
            parts.append(_paragraph(style_ids[STYLE_SUBHEADING], runs))
        elif block.label:
            bold = look.credential_label_bold if "credential" in block.classes else look.label_bold
            runs = _run(block.label, bold=bold) + (_run(" " + block.text) if block.text else "")
            parts.append(_paragraph(None, runs))
        else:
            parts.append(_paragraph(None, _run(block.text)))
        previous = block
    return f'<w:body xmlns:w="{nsmap["w"]}">{"".join(parts)}</w:body>'


def _gap_before(block: Block, previous: Block) -> bool:
    """Whether an empty line separates the block from the one before (the PDF's stylesheet
    makes the same choice: styles/print.css.j2)."""
    if previous.kind in ("heading", "title"):
        return False
    return not ("credential" in block.classes or "letter-date" in previous.classes)


def _add_body(doc: Document, letter: Letter, lang: str, look: Look) -> None:
    """The letter's blocks (imrgen.letter.structure) as Word paragraphs, the fields as one table."""
    style_ids = _style_ids()
    caption = translations(lang).gettext("Case header")
    fragment = parse_xml(_body_xml(letter, style_ids, caption, look))
    body = doc.element.body
    section = body.sectPr
    for element in list(fragment):
        if section is not None:
            section.addprevious(element)
        else:
            body.append(element)


@cache
def _style_ids() -> dict[str, str]:
    doc = _template_document()
    return {
        name: doc.styles[name].style_id
        for name in (
            STYLE_TITLE,
            STYLE_HEADING,
            STYLE_SUBHEADING,
            STYLE_TABLE,
            STYLE_LABEL,
            STYLE_VALUE,
        )
    }


def _subject(case: Case) -> str:
    counts = {d: sum(1 for i in case.items if i.decision is d) for d in Decision}
    n = len(case.items)
    tally = ", ".join(f"{counts[d]} {d.value}" for d in Decision if counts[d])
    noun = "item" if n == 1 else "items"
    return f"California workers' compensation IMR: {n} disputed {noun} ({tally})"


def _document_date(case: Case) -> datetime:
    decided: date | None = case.header.decision_date
    return datetime(decided.year, decided.month, decided.day, tzinfo=UTC) if decided else FIXED_DATE


def _set_properties(doc: Document, case: Case, title: str, lang: str) -> None:
    props = doc.core_properties
    when = _document_date(case)
    props.title = title
    props.subject = _subject(case)
    props.author = "imrgen"
    props.last_modified_by = "imrgen"
    props.comments = ""
    props.keywords = "IMR; Independent Medical Review; final determination"
    props.category = "IMR Final Determination"
    props.content_status = "Final"
    props.identifier = case.header.case_number or ""
    props.language = language_tag(lang)
    props.created = props.modified = props.last_printed = when
    props.revision = 1


def _embed(doc: Document, case: Case) -> None:
    """The case (less its parties: the letter names no one) as a custom XML part."""
    data = case_to_json(case.model_copy(update={"parties": None}))
    root = etree.Element(CASE_ELEMENT, nsmap={"imrgen": CASE_NAMESPACE})
    root.set("media-type", "application/json")
    root.set(TEXT_DIGEST, text_digest(doc))
    root.text = _NOT_XML.sub(lambda m: f"\\u{ord(m[0]):04x}", data.decode("utf-8"))
    blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    package = doc.part.package
    item = Part(PackURI(CASE_PARTNAME), CT.XML, blob, package)
    # Word wants a datastore item id; one derived from the data keeps the bytes fixed.
    item_id = str(uuid.uuid5(uuid.NAMESPACE_URL, CASE_NAMESPACE + data.decode())).upper()
    props_xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<ds:datastoreItem xmlns:ds="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'customXml" ds:itemID="{{{item_id}}}"><ds:schemaRefs>'
        f'<ds:schemaRef ds:uri="{CASE_NAMESPACE}"/></ds:schemaRefs></ds:datastoreItem>'
    ).encode()
    props = Part(PackURI(CASE_PROPS_PARTNAME), CT.OFC_CUSTOM_XML_PROPERTIES, props_xml, package)
    item.relate_to(props, RT.CUSTOM_XML_PROPS)
    doc.part.relate_to(item, RT.CUSTOM_XML)


def _zip_entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 0
    info.external_attr = 0
    return info


def _content_types(parts: Sequence[Part]) -> bytes:
    """[Content_Types].xml: defaults for .rels and plain .xml, an override for every other."""
    overrides = sorted(
        (str(part.partname), part.content_type)
        for part in parts
        if not (part.partname.ext == "xml" and part.content_type == CT.XML)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Default Extension="rels" ContentType="{CT.OPC_RELATIONSHIPS}"/>'
        f'<Default Extension="xml" ContentType="{CT.XML}"/>'
        + "".join(f'<Override PartName="{name}" ContentType="{kind}"/>' for name, kind in overrides)
        + "</Types>"
    ).encode()


def package_bytes(doc: Document) -> bytes:
    """The package as python-docx would save it, but with fixed entry times, order and
    compression (python-docx stamps the current time on every entry)."""
    package = doc.part.package
    parts = list(package.iter_parts())
    for part in parts:
        part.before_marshal()
    entries = {
        "[Content_Types].xml": _content_types(parts),
        PACKAGE_URI.rels_uri.membername: package.rels.xml,
    }
    for part in parts:
        entries[part.partname.membername] = part.blob
        if len(part.rels):
            entries[part.partname.rels_uri.membername] = part.rels.xml
    order = ["[Content_Types].xml", *sorted(n for n in entries if n != "[Content_Types].xml")]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in order:
            archive.writestr(_zip_entry(name), entries[name], compresslevel=6)
    return out.getvalue()


def build_document(case: Case, options: RenderOptions) -> Document:
    """The letter as a python-docx Document, before packaging."""
    letter = letter_from_html(letter_html(case, options, []))
    family = options.family or case.edition.value
    look = load_look(options.templates, family)
    doc = new_letter(options.templates, family, options.lang, options.letter)
    _add_body(doc, letter, options.lang, look)
    _set_properties(doc, case, letter.title, options.lang)
    if options.embed_data:
        _embed(doc, case)
    return doc


class DocxWriter:
    name = "docx"
    suffix = ".docx"
    media_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

    def write(self, case: Case, options: RenderOptions) -> bytes:
        return package_bytes(build_document(case, options))
