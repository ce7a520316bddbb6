"""DOCX: the letter for editing, built with python-docx from the same letter structure as the
HTML (imrgen.structure), with real Word styles, page-number fields, explicit fonts, core
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
from html import unescape
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import docx
import lxml.html
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PACKAGE_URI, PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsmap, qn
from docx.shared import Inches, Pt, RGBColor
from docx.text.paragraph import Paragraph
from lxml import etree

from ..embedding import case_to_json
from ..i18n import LOCALES, translations
from ..model import Case, Decision
from ..readers.docx import CASE_ELEMENT, CASE_NAMESPACE, TEXT_DIGEST, text_digest
from ..structure import Block, blocks_from_html
from . import RenderOptions, letter_html

FONT = "Liberation Serif"  # metric-compatible with Times New Roman, which the published letters use
LABEL_SHADING = "D9D9D9"  # the grey of the published letters' header labels

CASE_PARTNAME = "/customXml/item1.xml"
CASE_PROPS_PARTNAME = "/customXml/itemProps1.xml"

# Zip entries carry no clock: 1980-01-01 is the zip format's own epoch.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
FIXED_DATE = datetime(1980, 1, 1, tzinfo=UTC)

COLUMN_WIDTHS = (Inches(1.45), Inches(1.8), Inches(1.6), Inches(1.65))

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

FONT_TABLE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    f'<w:font w:name="{FONT}"><w:altName w:val="Times New Roman"/><w:charset w:val="00"/>'
    '<w:family w:val="roman"/><w:pitch w:val="variable"/></w:font></w:fonts>'
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


def _set_fonts(rpr: Any) -> None:
    """Name the face for every script, so no theme or fallback font can stand in."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for key in list(fonts.attrib):
        del fonts.attrib[key]
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)


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
    size: float,
    bold: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
    before: float = 0,
    after: float = 12,
    keep_with_next: bool = False,
) -> None:
    styles = doc.styles
    style = styles[name] if name in styles else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if name != STYLE_NORMAL:
        style.base_style = styles[STYLE_NORMAL]
    style.quick_style = True
    font = style.font
    font.name = FONT
    font.size = Pt(size)
    font.bold = True if bold else None
    font.color.rgb = RGBColor(0, 0, 0)
    rpr = style.element.get_or_add_rPr()
    _set_fonts(rpr)
    # The same size for complex scripts (python-docx sets w:sz only; the template had others).
    size_cs = rpr.find(qn("w:szCs"))
    if size_cs is None:
        size_cs = OxmlElement("w:szCs")
        rpr.find(qn("w:sz")).addnext(size_cs)
    size_cs.set(qn("w:val"), str(int(size * 2)))
    fmt = style.paragraph_format
    fmt.alignment = align
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    fmt.line_spacing = 1.0
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


def _template(lang: str) -> Document:
    """python-docx's default document, trimmed to what a letter uses and styled once."""
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
        Part(PackURI("/word/fontTable.xml"), CT.WML_FONT_TABLE, FONT_TABLE, package),
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
    defaults = styles.find(qn("w:docDefaults"))
    default_rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
    _set_fonts(default_rpr)
    for tag, value in (("w:sz", "24"), ("w:szCs", "24")):
        default_rpr.find(qn(tag)).set(qn("w:val"), value)
    # The proofing language of every run: the letter's.
    language = default_rpr.find(qn("w:lang"))
    language.set(qn("w:val"), language_tag(lang))
    language.set(qn("w:eastAsia"), language_tag(lang))
    default_ppr = defaults.find(f"{qn('w:pPrDefault')}/{qn('w:pPr')}")
    spacing = default_ppr.find(qn("w:spacing"))
    spacing.attrib.clear()
    spacing.set(qn("w:after"), "240")
    spacing.set(qn("w:line"), "240")
    spacing.set(qn("w:lineRule"), "auto")

    _paragraph_style(doc, STYLE_NORMAL, size=12)
    _paragraph_style(
        doc,
        STYLE_TITLE,
        size=14,
        bold=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        before=12,
        keep_with_next=True,
    )
    # python-docx's Title rules itself off with a theme-coloured border: no theme may be left.
    title_ppr = doc.styles[STYLE_TITLE].element.find(qn("w:pPr"))
    for border in title_ppr.findall(qn("w:pBdr")) if title_ppr is not None else []:
        title_ppr.remove(border)
    _paragraph_style(
        doc,
        STYLE_HEADING,
        size=12,
        bold=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        before=6,
        keep_with_next=True,
    )
    _paragraph_style(doc, STYLE_SUBHEADING, size=12, bold=True, keep_with_next=True)
    _paragraph_style(doc, STYLE_FOOTER, size=10, align=WD_ALIGN_PARAGRAPH.CENTER, after=0)
    _paragraph_style(doc, STYLE_LABEL, size=10, bold=True, after=0)
    _paragraph_style(doc, STYLE_VALUE, size=10, after=0)
    table_style = doc.styles[STYLE_TABLE]
    table_style.font.name = FONT
    _set_fonts(table_style.element.get_or_add_rPr())

    section = doc.sections[0]
    section.page_width, section.page_height = Inches(8.5), Inches(11)
    section.top_margin = section.bottom_margin = Inches(1)
    section.left_margin = section.right_margin = Inches(1)
    section.header_distance = section.footer_distance = Inches(0.5)
    footer = section.footer.paragraphs[0]
    footer.style = doc.styles[STYLE_FOOTER]
    # "Page X of Y" in the letter's language (the same message as the PDF's footer), with
    # the numbers as fields that Word and LibreOffice compute.
    rest = translations(lang).gettext("Page %(page)s of %(pages)s")
    for marker, instruction in (("%(page)s", "PAGE"), ("%(pages)s", "NUMPAGES")):
        before, _, rest = rest.partition(marker)
        if before:
            footer.add_run(before)
        _add_field(footer, instruction, "1")
    if rest:
        footer.add_run(rest)
    return doc


@cache
def template_bytes(lang: str = "en") -> bytes:
    """The styled, empty letter as a package, built once per process and language."""
    buffer = io.BytesIO()
    _template(lang).save(buffer)
    return buffer.getvalue()


@cache
def _template_document(lang: str = "en") -> Document:
    # Loaded back from its bytes, so it is exactly what a reader of the package sees; never
    # changed after this, only copied.
    return docx.Document(io.BytesIO(template_bytes(lang)))


def new_letter(lang: str = "en") -> Document:
    """A fresh copy of the styled, empty letter: a deep copy costs a third of loading it."""
    return copy.deepcopy(_template_document(lang))


HeaderRow = list[Block | None]  # (label, value) pairs left to right; None: an empty pair

_HEADER_TABLE = re.compile(r'<table class="case-header">.*?</table>', re.DOTALL)


def header_rows(html: str, fields: Sequence[Block]) -> list[HeaderRow]:
    """The header table's rows as the HTML lays them out (whatever the labels' language), with
    empty pairs where the HTML has empty cells; without such a table, the fields two by two."""
    match = _HEADER_TABLE.search(html)
    if match is None:
        return [list(fields[i : i + 2]) for i in range(0, len(fields), 2)]
    rows: list[HeaderRow] = []
    for tr in lxml.html.fragment_fromstring(match[0]).iter("tr"):
        row: HeaderRow = []
        empty = 0
        for cell in tr:
            if cell.tag == "th":
                value = cell.getnext()
                text = " ".join(value.text_content().split()) if value is not None else ""
                row.append(Block("field", text, " ".join(cell.text_content().split())))
            elif cell.tag == "td" and "empty" in (cell.get("class") or "").split():
                empty += 1
                if empty % 2 == 0:
                    row.append(None)
        if row:
            rows.append(row)
    return rows


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
        space = ' xml:space="preserve"' if line != line.strip() else ""
        pieces.append(f"<w:t{space}>{xml_text(line)}</w:t>")
    return f"<w:r>{props}{''.join(pieces)}</w:r>"


def _paragraph(style_id: str | None, runs: str = "", spacing: str = "") -> str:
    """One w:p as XML text. The body is written at python-docx's XML layer (one parse_xml per
    letter) because its object layer spends milliseconds a letter on style look-ups."""
    props = (f'<w:pStyle w:val="{style_id}"/>' if style_id else "") + spacing
    return f"<w:p>{f'<w:pPr>{props}</w:pPr>' if props else ''}{runs}</w:p>"


def _cell(width: int, content: str, span: int = 1, shaded: bool = False) -> str:
    props = f'<w:tcW w:w="{width}" w:type="dxa"/>'
    if span > 1:
        props += f'<w:gridSpan w:val="{span}"/>'
    if shaded:
        props += f'<w:shd w:val="clear" w:color="auto" w:fill="{LABEL_SHADING}"/>'
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{content}</w:tc>"


def _header_table(rows: Sequence[HeaderRow], style_ids: dict[str, str], caption: str) -> str:
    """The four-column header table: shaded bold label cells beside their values; the blank
    part of a row is one cell, as in the published letters. The caption is the table's name
    for screen readers (Word's alt text), not printed."""
    widths = [int(w.twips) for w in COLUMN_WIDTHS]
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
                start = column - blank
                cells.append(_cell(sum(widths[start:column]), _paragraph(value_style), blank))
                blank = 0
            label = _paragraph(label_style, _run(pair.label))
            cells.append(_cell(widths[column], label, shaded=True))
            cells.append(_cell(widths[column + 1], _paragraph(value_style, _run(pair.text))))
            column += 2
        if blank:
            start = column - blank
            cells.append(_cell(sum(widths[start:column]), _paragraph(value_style), blank))
        xml_rows.append(f"<w:tr><w:trPr><w:cantSplit/></w:trPr>{''.join(cells)}</w:tr>")
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    return (
        f'<w:tbl><w:tblPr><w:tblStyle w:val="{style_ids[STYLE_TABLE]}"/>'
        f'<w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:jc w:val="center"/>'
        '<w:tblLayout w:type="fixed"/>'
        '<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0"'
        ' w:lastColumn="0" w:noHBand="1" w:noVBand="1"/>'
        f"<w:tblCaption w:val={quoteattr(caption)}/></w:tblPr>"
        f"<w:tblGrid>{grid}</w:tblGrid>{''.join(xml_rows)}</w:tbl>"
    )


def _body_xml(html: str, style_ids: dict[str, str], caption: str) -> str:
    blocks = blocks_from_html(html)
    fields = [b for b in blocks if b.kind == "field"]
    parts: list[str] = []
    after_table = False
    for block in blocks:
        if block.kind == "field":
            if block is fields[0]:
                if parts:
                    # The determination after a cover letter (the full letter) starts a page.
                    parts.append('<w:p><w:r><w:br w:type="page"/></w:r></w:p>')
                parts.append(_header_table(header_rows(html, fields), style_ids, caption))
                after_table = True
            continue
        if block.kind == "title":
            parts.append(_paragraph(style_ids[STYLE_TITLE], _run(block.text)))
        elif block.kind == "heading":
            # A line's space between the header table and the first heading.
            spacing = '<w:spacing w:before="240"/>' if after_table else ""
            parts.append(_paragraph(style_ids[STYLE_HEADING], _run(block.text), spacing))
        elif block.kind == "subheading":
            parts.append(_paragraph(style_ids[STYLE_SUBHEADING], _run(block.text)))
        elif block.label:
            runs = _run(block.label, bold=True) + (_run(" " + block.text) if block.text else "")
            parts.append(_paragraph(None, runs))
        else:
            parts.append(_paragraph(None, _run(block.text)))
        after_table = False
    return f'<w:body xmlns:w="{nsmap["w"]}">{"".join(parts)}</w:body>'


def _add_body(doc: Document, html: str, lang: str) -> None:
    """The letter's blocks (imrgen.structure) as Word paragraphs, the fields as one table."""
    style_ids = _style_ids()
    caption = translations(lang).gettext("Case header")
    fragment = parse_xml(_body_xml(html, style_ids, caption))
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


_TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)


def letter_title(html: str) -> str:
    """The letter's title as its HTML gives it (in the letter's language): the document's
    title property, never a paragraph, so the DOCX adds no words to the letter."""
    match = _TITLE.search(html)
    return " ".join(unescape(match[1]).split()) if match else ""


def _subject(case: Case) -> str:
    counts = {d: sum(1 for i in case.items if i.decision is d) for d in Decision}
    n = len(case.items)
    tally = ", ".join(f"{counts[d]} {d.value}" for d in Decision if counts[d])
    noun = "item" if n == 1 else "items"
    return f"California workers' compensation IMR: {n} disputed {noun} ({tally})"


def _document_date(case: Case) -> datetime:
    decided: date | None = case.header.decision_date
    return datetime(decided.year, decided.month, decided.day, tzinfo=UTC) if decided else FIXED_DATE


def _set_properties(doc: Document, case: Case, html: str, lang: str) -> None:
    props = doc.core_properties
    when = _document_date(case)
    props.title = letter_title(html)
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
    html = letter_html(case, options, [])
    doc = new_letter(options.lang)
    _add_body(doc, html, options.lang)
    _set_properties(doc, case, html, options.lang)
    if options.embed_data:
        _embed(doc, case)
    return doc


class DocxWriter:
    name = "docx"
    suffix = ".docx"
    media_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

    def write(self, case: Case, options: RenderOptions) -> bytes:
        return package_bytes(build_document(case, options))
