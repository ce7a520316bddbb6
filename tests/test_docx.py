"""DOCX: built from the letter structure with real styles, explicit fonts, case properties and
the case embedded; the same bytes every time; read back into the identical case; opened and
converted by LibreOffice."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import docx
import pytest
from conftest import CORPUS, REAL_LETTERS, ROOT, SEEDS, SHARED
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import qn
from docx.shared import Inches
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

import imrgen
from imrgen.case.embedding import case_to_json
from imrgen.case.model import Case, Parties
from imrgen.errors import ParseError
from imrgen.letter.i18n import translations
from imrgen.letter.structure import blocks_from_html
from imrgen.letter.templates import render_html
from imrgen.readers import get_reader, reader_for
from imrgen.readers.docx import DocxReader, document_paragraphs
from imrgen.writers import RenderOptions, get_writer
from imrgen.writers import docx as docx_writer

LETTERS = REAL_LETTERS
FONT = "Liberation Serif"  # the body's face (styles/look.yaml)
SANS = "Liberation Sans"  # the header table's
WRITER = get_writer("docx")

FULL_HEADER = SHARED / "corpus" / "dwc-2016" / "CM16-0213037.pdf"  # 2015, all seven fields
MODIFIED = SHARED / "corpus" / "dwc-2016" / "CM16-0249724.pdf"  # both modification headings
NO_HEADER = SHARED / "seeds" / "000_f14f80886707d236.txt"  # 2014 edition, header lost


def test_the_letters_are_there() -> None:
    assert len(CORPUS) == 65 and len(SEEDS) == 5


@cache
def case_of(path: Path) -> Case:
    return imrgen.parse(path)


@cache
def render(path: Path, embed: bool = True, letter: str = "public-body") -> bytes:
    return WRITER.write(case_of(path), RenderOptions(embed_data=embed, letter=letter))


def open_doc(data: bytes) -> Any:
    return docx.Document(io.BytesIO(data))


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def html_blocks(case: Case) -> list[Any]:
    return blocks_from_html(render_html(case, stylesheets=[]))


def cell_texts(table: Any) -> list[list[str]]:
    return [
        ["".join(t.text or "" for t in tc.iter(qn("w:t"))) for tc in tr.iterchildren(qn("w:tc"))]
        for tr in table._tbl.iterchildren(qn("w:tr"))
    ]


# --- registry -------------------------------------------------------------------------------


def test_docx_is_a_registered_format_both_ways() -> None:
    assert WRITER.name == "docx" and WRITER.suffix == ".docx"
    assert WRITER.media_type == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert "docx" in imrgen.formats()
    assert isinstance(reader_for("letter.DOCX"), DocxReader)
    assert isinstance(get_reader("docx"), DocxReader)


# --- built from the letter structure ---------------------------------------------------------


@pytest.mark.parametrize("path", [FULL_HEADER, MODIFIED, NO_HEADER], ids=lambda p: p.stem)
def test_paragraphs_are_the_html_blocks_with_word_styles(path: Path) -> None:
    case = case_of(path)
    doc = open_doc(render(path))
    blocks = [b for b in html_blocks(case) if b.kind != "field"]
    styles = {"heading": "Heading 1", "subheading": "Heading 2", "para": "Normal"}
    # A paragraph's run of spaces (non-breaking spaces and a space in the HTML) as plain spaces.
    expected = [(styles[b.kind], b.full_text.replace("\u00a0", " ")) for b in blocks]
    # Between blocks, the published letters' empty paragraphs (styles/look.yaml: paragraph_gap).
    assert [(p.style.name, p.text) for p in doc.paragraphs if p.text] == expected
    assert any(not p.text for p in doc.paragraphs)
    # A lead-in label is one bold run and nothing else in the paragraph is bold; the credential
    # labels are in regular weight, as published.
    written = [p for p in doc.paragraphs if p.text]
    for block, paragraph in zip(blocks, written, strict=True):
        bold = [r.text for r in paragraph.runs if r.bold]
        lead_in = block.label and "credential" not in block.classes
        assert bold == ([block.label] if lead_in else [])


def test_the_docx_adds_no_words_to_the_letter() -> None:
    case = case_of(FULL_HEADER)
    doc = open_doc(render(FULL_HEADER))
    letter_words = " ".join(b.full_text for b in html_blocks(case)).split()
    cells = " ".join(text for row in cell_texts(doc.tables[0]) for text in row)
    docx_words = cells.split() + " ".join(p.text for p in doc.paragraphs).split()
    assert len(docx_words) > 500
    assert sorted(docx_words) == sorted(letter_words)
    assert all(p.style.name != "Title" for p in doc.paragraphs)


def test_header_is_a_four_column_table_with_shaded_bold_labels() -> None:
    doc = open_doc(render(FULL_HEADER))
    assert len(doc.tables) == 1
    table = doc.tables[0]
    assert table.style.name == "Table Grid"
    caption = table._tbl.tblPr.find(qn("w:tblCaption"))
    assert caption is not None and caption.get(qn("w:val")) == "Case header"
    assert cell_texts(table) == [
        ["Case Number:", "CM16-0213037", ""],
        ["Date Assigned:", "11/09/2016", "Date of Injury:", "10/13/2016"],
        ["Decision Date:", "12/09/2016", "UR Denial Date:", "11/03/2016"],
        ["Priority:", "Standard", "Application Received:", "11/03/2016"],
    ]
    first_row = list(table._tbl.tr_lst[0].iterchildren(qn("w:tc")))
    assert first_row[2].tcPr.find(qn("w:gridSpan")).get(qn("w:val")) == "2"
    grid = table._tbl.find(qn("w:tblGrid"))
    assert len(grid) == 4
    for tr in table._tbl.tr_lst:
        for index, tc in enumerate(tr.iterchildren(qn("w:tc"))):
            text = "".join(t.text or "" for t in tc.iter(qn("w:t")))
            shading = tc.tcPr.find(qn("w:shd"))
            style = tc.find(qn("w:p")).pPr.pStyle.val
            if index % 2 == 0 and text.endswith(":"):
                assert shading is not None and shading.get(qn("w:fill")) == "D9D9D9"
                assert style == "CaseHeaderLabel"
            elif not text:  # the first row's blank half: one shaded cell, as published
                assert shading is not None and shading.get(qn("w:fill")) == "D9D9D9"
            else:
                assert shading is None
                assert style == "CaseHeaderValue"
    label_style = doc.styles["Case Header Label"]
    assert label_style.font.bold is True
    assert doc.styles["Case Header Value"].font.bold is not True


def test_header_table_holds_only_the_fields_present() -> None:
    case = case_of(FULL_HEADER).model_copy(deep=True)
    case.header.date_of_injury = None
    case.header.priority = None
    case.header.application_received = None
    doc = open_doc(WRITER.write(case, RenderOptions()))
    assert cell_texts(doc.tables[0]) == [
        ["Case Number:", "CM16-0213037", ""],
        ["Date Assigned:", "11/09/2016", ""],
        ["Decision Date:", "12/09/2016", "UR Denial Date:", "11/03/2016"],
    ]


def test_an_empty_pair_before_a_field_is_one_blank_cell_and_reads_back() -> None:
    case = case_of(FULL_HEADER).model_copy(deep=True)
    case.header.date_assigned = None
    case.header.ur_denial_date = None
    data = WRITER.write(case, RenderOptions(embed_data=False))
    table = open_doc(data).tables[0]
    assert cell_texts(table)[1:3] == [
        ["", "Date of Injury:", "10/13/2016"],
        ["Decision Date:", "12/09/2016", ""],
    ]
    spans = [
        [tc.tcPr.find(qn("w:gridSpan")) is not None for tc in tr.iterchildren(qn("w:tc"))]
        for tr in table._tbl.tr_lst[1:3]
    ]
    assert spans == [[True, False, False], [False, False, True]]
    assert imrgen.parse("gaps.docx", data=data) == case


def test_a_spanish_letter_keeps_the_layout_and_reads_back() -> None:
    case = case_of(FULL_HEADER)
    data = WRITER.write(case, RenderOptions(lang="es", embed_data=False))
    doc = open_doc(data)
    rows = cell_texts(doc.tables[0])
    assert [len(r) for r in rows] == [3, 4, 4, 4]
    assert rows[0][1:] == ["CM16-0213037", ""] and rows[0][0] != "Case Number:"
    written = [p for p in doc.paragraphs if p.text]
    assert written[0].style.name == "Heading 1"
    assert written[0].text != "HOW THE IMR FINAL DETERMINATION WAS MADE"
    # The published body has no footer; the full letter numbers its pages in its language.
    assert not doc.sections[0].footer.paragraphs[0].text
    full = open_doc(WRITER.write(case, RenderOptions(lang="es", letter="full")))
    words = translations("es").gettext("Page %(page)s of %(pages)s")
    assert full.sections[0].footer.paragraphs[0].text == words % {"page": 1, "pages": 1}
    assert doc.core_properties.language == "es-US"
    title = doc.core_properties.title  # the HTML's title, translated like the rest
    assert title.endswith(" CM16-0213037") and not title.startswith("Independent")
    assert b'w:val="es-US"' in entries(data)["word/styles.xml"]
    assert imrgen.parse("carta.docx", data=data) == case


def test_a_letter_without_header_has_no_table() -> None:
    doc = open_doc(render(NO_HEADER))
    assert doc.tables == []
    assert doc.paragraphs[0].style.name == "Heading 1"
    assert doc.paragraphs[0].text == "HOW THE IMR FINAL DETERMINATION WAS MADE"


def test_heading_styles_are_centered_bold_black_and_the_body_is_normal() -> None:
    doc = open_doc(render(FULL_HEADER))
    heading, item = doc.styles["Heading 1"], doc.styles["Heading 2"]
    assert heading.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert heading.font.bold and item.font.bold
    assert str(heading.font.color.rgb) == "000000" and str(item.font.color.rgb) == "000000"
    assert heading.font.color.theme_color is None and item.font.color.theme_color is None
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert headings == [
        "HOW THE IMR FINAL DETERMINATION WAS MADE",
        "CLINICAL CASE SUMMARY",
        "IMR ISSUES, DECISIONS AND RATIONALES",
    ]
    items = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    case = case_of(FULL_HEADER)
    assert len(items) == len(case.items)
    for text, disputed in zip(items, case.items, strict=True):
        assert text.endswith(f"{disputed.request}: {disputed.decision.value.capitalize()}")


# --- page, footer, fonts -----------------------------------------------------------------------


def test_us_letter_with_one_inch_margins_and_page_x_of_y_fields() -> None:
    # The full letter numbers its pages (the published body has none: styles/look.yaml).
    assert not open_doc(render(FULL_HEADER)).sections[0].footer.paragraphs[0].text
    doc = open_doc(render(FULL_HEADER, letter="full"))
    section = doc.sections[0]
    assert (section.page_width, section.page_height) == (Inches(8.5), Inches(11))
    margins = (section.top_margin, section.bottom_margin, section.left_margin)
    assert (*margins, section.right_margin) == (Inches(1),) * 4
    footer = section.footer
    assert not footer.is_linked_to_previous
    paragraph = footer.paragraphs[0]
    instructions = [t.text.strip() for t in paragraph._p.iter(qn("w:instrText"))]
    assert instructions == ["PAGE", "NUMPAGES"]
    kinds = [f.get(qn("w:fldCharType")) for f in paragraph._p.iter(qn("w:fldChar"))]
    assert kinds == ["begin", "separate", "end"] * 2
    assert paragraph.text == "Page 1 of 1"  # the fields' cached results, recomputed on layout


def _theme_attributes(xml: bytes) -> list[str]:
    root = etree.fromstring(xml)
    return [
        f"{el.tag}@{name}"
        for el in root.iter()
        if isinstance(el.tag, str)
        for name in el.attrib
        if "theme" in name.lower()
    ]


def test_fonts_are_explicit_everywhere_and_no_theme_is_left() -> None:
    files = entries(render(FULL_HEADER, letter="full"))
    assert not any("theme" in name for name in files)
    for name in ("word/styles.xml", "word/document.xml", "word/footer1.xml", "word/settings.xml"):
        assert _theme_attributes(files[name]) == [], name
    assert b"themeFontLang" not in files["word/settings.xml"]
    styles = etree.fromstring(files["word/styles.xml"])
    w = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
    used = set(re.findall(rb'w:(?:pStyle|tblStyle) w:val="([^"]+)"', files["word/document.xml"]))
    used |= set(re.findall(rb'w:pStyle w:val="([^"]+)"', files["word/footer1.xml"]))
    used_ids = {u.decode() for u in used} | {"Normal"}
    assert {"Heading1", "Heading2", "TableGrid", "CaseHeaderLabel", "Normal"} <= used_ids
    defaults = styles.find("w:docDefaults/w:rPrDefault/w:rPr/w:rFonts", w)
    font_sets = {"docDefaults": defaults}
    for style_id in used_ids:
        font_sets[style_id] = styles.find(f"w:style[@w:styleId='{style_id}']/w:rPr/w:rFonts", w)
    for where, fonts in font_sets.items():
        assert fonts is not None, where
        found = {k.split("}")[1]: v for k, v in fonts.attrib.items()}
        face = SANS if where in ("CaseHeaderLabel", "CaseHeaderValue", "TableGrid") else FONT
        assert found == {"ascii": face, "hAnsi": face, "eastAsia": face, "cs": face}, where
    font_table = etree.fromstring(files["word/fontTable.xml"])
    assert [f.get(qn("w:name")) for f in font_table] == [SANS, FONT]
    # No other face is named anywhere: not in a run, a style, the footer or a math setting.
    named = set()
    for name, blob in files.items():
        if name.endswith(".xml"):
            for element in etree.fromstring(blob).iter(qn("w:rFonts")):
                named |= set(element.attrib.values())
    assert named == {FONT, SANS}
    assert not any(b"Cambria" in blob or b"Calibri" in blob for blob in files.values())


# --- properties, privacy, embedded data --------------------------------------------------------


def test_core_properties_come_from_the_case() -> None:
    case = case_of(FULL_HEADER)
    props = open_doc(render(FULL_HEADER)).core_properties
    assert props.title == "Independent Medical Review Final Determination CM16-0213037"
    assert props.subject == "California workers' compensation IMR: 2 disputed items (2 upheld)"
    decided = datetime(2016, 12, 9, tzinfo=UTC)
    assert case.header.decision_date == decided.date()
    assert (props.created, props.modified, props.last_printed) == (decided,) * 3
    assert props.author == props.last_modified_by == "imrgen"
    assert props.revision == 1
    assert props.comments == ""
    assert props.identifier == "CM16-0213037"


def test_a_case_without_decision_date_gets_the_fixed_epoch() -> None:
    props = open_doc(render(NO_HEADER)).core_properties
    assert case_of(NO_HEADER).header.decision_date is None
    assert props.title == "Independent Medical Review Final Determination"
    assert props.created == props.modified == props.last_printed == datetime(1980, 1, 1, tzinfo=UTC)


def _with_parties(case: Case) -> Case:
    parties = Parties.model_validate(
        {
            "employee": {
                "name": "Zelda Quintanilla-Worker",
                "address": "123 Larkspur Lane\nFresno, CA 93650",
                "claim_number": "CLM-ZQ-998877",
                "date_of_birth": "1971-03-04",
            },
            "employer": {"name": "Orchard Dynamics Incorporated"},
            "requesting_provider": {"name": "Dr. Horatio Ruthven-Smythe"},
            "reviewer": {"name": "Dr. Philippa Confidential-Reviewer"},
        }
    )
    return case.model_copy(update={"parties": parties})


@pytest.mark.parametrize("embed", [True, False])
def test_no_party_appears_anywhere_in_the_package(embed: bool) -> None:
    case = _with_parties(case_of(FULL_HEADER))
    data = WRITER.write(case, RenderOptions(embed_data=embed))
    blob = b"".join(entries(data).values())
    for secret in (
        "Zelda",
        "Quintanilla",
        "Larkspur",
        "CLM-ZQ-998877",
        "1971-03-04",
        "Orchard Dynamics",
        "Ruthven",
        "Philippa",
    ):
        assert secret.encode() not in blob, secret
    back = imrgen.parse("letter.docx", data=data)
    assert back.parties is None
    assert back == case.model_copy(update={"parties": None})


def test_the_full_letter_prints_the_parties_only_where_the_user_asked() -> None:
    case = _with_parties(case_of(FULL_HEADER))
    data = WRITER.write(case, RenderOptions(letter="full"))
    doc = open_doc(data)
    texts = [p.text for p in doc.paragraphs]
    assert "Injured worker\nZelda Quintanilla-Worker\n123 Larkspur Lane\nFresno, CA 93650" in texts
    # The determination after the cover letter starts on a page of its own.
    body = list(doc.element.body.iterchildren())
    table = next(i for i, el in enumerate(body) if el.tag == qn("w:tbl"))
    breaks = body[table - 1].findall(f"{qn('w:r')}/{qn('w:br')}")
    assert [b.get(qn("w:type")) for b in breaks] == ["page"]
    files = entries(data)
    for name in ("docProps/core.xml", "docProps/app.xml", "customXml/item1.xml"):
        assert b"Zelda" not in files[name] and b"Larkspur" not in files[name], name
    assert imrgen.parse("full.docx", data=data) == case.model_copy(update={"parties": None})


def test_the_case_is_a_custom_xml_part_when_embedding() -> None:
    case = case_of(FULL_HEADER)
    data = render(FULL_HEADER, True)
    doc = open_doc(data)
    custom = [r for r in doc.part.rels.values() if r.reltype == RT.CUSTOM_XML]
    assert len(custom) == 1
    part = custom[0].target_part
    assert str(part.partname) == "/customXml/item1.xml"
    root = etree.fromstring(part.blob)
    assert root.tag == "{urn:imrgen:case:1}case"
    assert root.get("media-type") == "application/json"
    assert json.loads(root.text) == json.loads(case_to_json(case))
    props = part.part_related_by(RT.CUSTOM_XML_PROPS)
    assert b"urn:imrgen:case:1" in props.blob


def test_no_custom_xml_without_embedding() -> None:
    data = render(FULL_HEADER, False)
    assert not any(name.startswith("customXml/") for name in entries(data))
    doc = open_doc(data)
    assert not any(r.reltype == RT.CUSTOM_XML for r in doc.part.rels.values())
    assert b"customXml" not in entries(data)["[Content_Types].xml"]


# --- deterministic -----------------------------------------------------------------------------


def test_two_renders_are_byte_identical_with_fixed_zip_entries() -> None:
    case = case_of(MODIFIED)
    first = WRITER.write(case, RenderOptions())
    second = WRITER.write(case.model_copy(deep=True), RenderOptions())
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        infos = archive.infolist()
    names = [i.filename for i in infos]
    assert names[0] == "[Content_Types].xml" and names[1:] == sorted(names[1:])
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}


def test_letters_start_from_an_untouched_copy_of_the_template() -> None:
    first = WRITER.write(case_of(FULL_HEADER), RenderOptions())
    WRITER.write(case_of(NO_HEADER), RenderOptions(embed_data=False))
    WRITER.write(_with_parties(case_of(MODIFIED)), RenderOptions(letter="full"))
    assert WRITER.write(case_of(FULL_HEADER), RenderOptions()) == first
    template = docx_writer._template_document()
    assert [el.tag for el in template.element.body] == [qn("w:sectPr")]
    assert not any(r.reltype == RT.CUSTOM_XML for r in template.part.rels.values())
    assert template.core_properties.title == ""


def test_threads_rendering_at_once_write_the_same_bytes() -> None:
    jobs = [(path, embed) for path in (FULL_HEADER, MODIFIED, NO_HEADER) for embed in (True, False)]
    expected = [render(path, embed) for path, embed in jobs]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(
            pool.map(
                lambda job: WRITER.write(case_of(job[0]), RenderOptions(embed_data=job[1])),
                jobs * 4,
            )
        )
    assert results == expected * 4


def test_a_fresh_process_in_another_time_zone_writes_the_same_bytes(tmp_path: Path) -> None:
    out = tmp_path / "fresh.docx"
    script = (
        "import sys, imrgen\n"
        "from imrgen.writers import RenderOptions\n"
        "data = imrgen.get_writer('docx').write(imrgen.parse(sys.argv[1]), RenderOptions())\n"
        "open(sys.argv[2], 'wb').write(data)\n"
    )
    env = {**os.environ, "TZ": "Pacific/Kiritimati", "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [sys.executable, "-c", script, str(MODIFIED), str(out)], check=True, env=env, timeout=120
    )
    assert out.read_bytes() == render(MODIFIED)


# --- read back ---------------------------------------------------------------------------------


@pytest.mark.parametrize("embed", [True, False], ids=["embedded", "text"])
@pytest.mark.parametrize("path", LETTERS, ids=lambda p: p.stem)
def test_every_letter_survives_docx_and_back(path: Path, embed: bool) -> None:
    case = case_of(path)
    back = imrgen.parse(path.with_suffix(".docx"), data=render(path, embed))
    assert back == case


def test_embedded_data_is_read_first_and_exactly() -> None:
    data = case_of(FULL_HEADER).model_dump(mode="json", exclude_none=True)
    data["summary"][0] += " x\uffferay \x07bell"  # what no file can carry, the model drops
    case = Case.model_validate(data)
    assert case.summary[0].endswith(" xray bell")
    embedded = imrgen.parse("a.docx", data=WRITER.write(case, RenderOptions()))
    from_text = imrgen.parse("a.docx", data=WRITER.write(case, RenderOptions(embed_data=False)))
    assert embedded == case
    assert from_text == case


def _resaved(data: bytes, edit: str | None = None) -> bytes:
    """The letter opened and saved again by another program (python-docx), optionally with
    one word of the first rationale changed, as a person editing it in Word would."""
    doc = open_doc(data)
    if edit is not None:
        paragraph = next(p for p in doc.paragraphs if p.text.startswith("Decision rationale:"))
        run = paragraph.runs[-1]
        run.text = run.text.replace("MRI", edit, 1)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def test_an_edited_letter_is_read_from_its_text_not_its_stale_data() -> None:
    case = case_of(FULL_HEADER).model_copy(deep=True)
    data = WRITER.write(case, RenderOptions())
    assert imrgen.parse("same.docx", data=_resaved(data)) == case
    edited = imrgen.parse("edited.docx", data=_resaved(data, edit="CT scan"))
    assert edited != case
    assert edited.items[0].rationale[0].startswith("CA MTUS/ACOEM")
    assert "CT scan" in edited.items[0].rationale[0]
    assert "CT scan" not in case.items[0].rationale[0]


def _with_text(case: Case, text: str) -> Case:
    data = case.model_dump(mode="json", exclude_none=True)
    data["summary"][0] = f"Note: {text}"
    data["items"][-1]["rationale"].append(f"{text} end.")
    return Case.model_validate(data)


def test_markup_in_case_text_is_printed_as_text() -> None:
    markup = '<img src="file:///etc/passwd"> </w:t><w:p/> ]]> &amp; {{ case }} \\u0041'
    case = _with_text(case_of(FULL_HEADER), markup)
    data = WRITER.write(case, RenderOptions(embed_data=False))
    doc = open_doc(data)
    assert doc.paragraphs[-1].text == f"{markup} end."
    assert not any(r.is_external for r in doc.part.rels.values())
    assert b"TargetMode" not in b"".join(v for k, v in entries(data).items() if k.endswith(".rels"))
    assert imrgen.parse("markup.docx", data=data) == case


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=80))
def test_any_text_survives_both_paths(text: str) -> None:
    case = _with_text(case_of(MODIFIED), text)
    for embed in (True, False):
        back = imrgen.parse("any.docx", data=WRITER.write(case, RenderOptions(embed_data=embed)))
        assert back == case


def test_word_edits_read_as_accepted_changes_and_inside_content_controls() -> None:
    case = case_of(FULL_HEADER)
    doc = open_doc(render(FULL_HEADER, False))
    rationale = next(p for p in doc.paragraphs if p.text.startswith("Decision rationale:"))
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    changes = parse_xml(
        f'<w:x xmlns:w="{w}"><w:del w:id="1" w:author="a"><w:r><w:delText> REMOVED</w:delText>'
        '</w:r></w:del><w:ins w:id="2" w:author="a"><w:r><w:t xml:space="preserve"> ADDED'
        '</w:t></w:r></w:ins><w:moveFrom w:id="3" w:author="a"><w:r><w:t> MOVED</w:t></w:r>'
        '</w:moveFrom><w:r><w:t xml:space="preserve"> non</w:t></w:r><w:r><w:noBreakHyphen/>'
        "<w:t>breaking</w:t></w:r></w:x>"
    )
    for change in list(changes):
        rationale._p.append(change)
    summary = next(p for p in doc.paragraphs if p.text == case.summary[0])
    sdt = parse_xml(f'<w:sdt xmlns:w="{w}"><w:sdtPr/><w:sdtContent/></w:sdt>')
    summary._p.addprevious(sdt)
    sdt.find(qn("w:sdtContent")).append(summary._p)
    buffer = io.BytesIO()
    doc.save(buffer)
    back = imrgen.parse("edited.docx", data=buffer.getvalue())
    assert back.summary == case.summary
    assert back.items[0].rationale[0] == case.items[0].rationale[0] + " ADDED non-breaking"


def test_header_rows_read_back_as_label_value_paragraphs() -> None:
    doc = open_doc(render(FULL_HEADER, False))
    assert document_paragraphs(doc)[:7] == [
        "Case Number: CM16-0213037",
        "Date Assigned: 11/09/2016",
        "Date of Injury: 10/13/2016",
        "Decision Date: 12/09/2016",
        "UR Denial Date: 11/03/2016",
        "Priority: Standard",
        "Application Received: 11/03/2016",
    ]


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def _replace_entry(data: bytes, name: str, content: bytes) -> bytes:
    files = entries(data)
    files[name] = content
    return _zip(files)


def _spreadsheet_in_disguise() -> bytes:
    buffer = io.BytesIO()
    docx.Document().save(buffer)
    files = entries(buffer.getvalue())
    files["[Content_Types].xml"] = files["[Content_Types].xml"].replace(
        b"wordprocessingml.document.main+xml", b"spreadsheetml.sheet.main+xml"
    )
    return _zip(files)


BAD_INPUTS: dict[str, tuple[Callable[[], bytes], str]] = {
    "not-a-zip": (lambda: b"%PDF-1.7 this is no zip", "not a DOCX file"),
    "empty": (lambda: b"", "not a DOCX file"),
    "zip-not-docx": (lambda: _zip({"readme.txt": b"hello"}), "a zip without [Content_Types].xml"),
    "no-main-part": (
        lambda: _zip({"[Content_Types].xml": b'<Types xmlns="x"/>', "_rels/.rels": b"<x/>"}),
        "found a damaged package",
    ),
    "spreadsheet": (_spreadsheet_in_disguise, "main part is application/vnd.openxml"),
    "truncated": (lambda: render(FULL_HEADER)[:5000], "not a DOCX file"),
    "zip-bomb": (
        lambda: _replace_entry(render(FULL_HEADER), "word/media/pad.bin", bytes(65 * 2**20)),
        "expected at most 64 MiB unpacked, found 65 MiB",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_a_parse_error_naming_the_file(name: str, tmp_path: Path) -> None:
    make, message = BAD_INPUTS[name]
    data = make()
    path = tmp_path / f"{name}.docx"
    path.write_bytes(data)
    with pytest.raises(ParseError) as caught:
        imrgen.parse(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


@pytest.mark.parametrize("span", [b"abc", b"999999999", b"-3", b""])
def test_odd_column_spans_do_not_break_the_header(span: bytes) -> None:
    data = render(FULL_HEADER, False)
    document = entries(data)["word/document.xml"]
    assert document.count(b'w:gridSpan w:val="2"') == 1
    odd = document.replace(b'w:gridSpan w:val="2"', b'w:gridSpan w:val="' + span + b'"')
    assert imrgen.parse("odd.docx", data=_replace_entry(data, "word/document.xml", odd)) == (
        case_of(FULL_HEADER)
    )


def test_a_word_file_that_is_no_letter_says_so(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("Dear colleague, here is no determination.")
    document.save(buffer)
    path = tmp_path / "memo.docx"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ParseError, match=r"memo\.docx: not an IMR determination"):
        imrgen.parse(path)


def test_damaged_embedded_data_is_a_parse_error(tmp_path: Path) -> None:
    data = render(FULL_HEADER)
    broken_json = _replace_entry(
        data,
        "customXml/item1.xml",
        b'<imrgen:case xmlns:imrgen="urn:imrgen:case:1">{"summary": []}</imrgen:case>',
    )
    with pytest.raises(ParseError, match=r"x\.docx: embedded case data: "):
        imrgen.parse("x.docx", data=broken_json)
    broken_xml = _replace_entry(data, "customXml/item1.xml", b"<imrgen:case")
    with pytest.raises(ParseError, match=r"y\.docx: custom XML part"):
        imrgen.parse("y.docx", data=broken_xml)


def test_the_cli_parses_a_bad_docx_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(b"PK\x03\x04 truncated")
    result = subprocess.run(
        [sys.executable, "-m", "imrgen", "parse", str(path), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert str(path) in result.stderr


# --- golden structure ----------------------------------------------------------------------------


def structure(data: bytes) -> dict[str, Any]:
    """What a reader of the DOCX sees: paragraph styles and runs, table cells; not bytes."""
    doc = open_doc(data)
    out: dict[str, Any] = {"tables": [], "paragraphs": []}
    for table in doc.tables:
        rows = []
        for tr in table._tbl.tr_lst:
            cells = []
            for tc in tr.iterchildren(qn("w:tc")):
                shading = tc.tcPr.find(qn("w:shd"))
                span = tc.tcPr.find(qn("w:gridSpan"))
                cells.append(
                    {
                        "text": "".join(t.text or "" for t in tc.iter(qn("w:t"))),
                        "style": tc.find(qn("w:p")).pPr.pStyle.val,
                        "fill": shading.get(qn("w:fill")) if shading is not None else "",
                        "span": int(span.get(qn("w:val"))) if span is not None else 1,
                    }
                )
            rows.append(cells)
        out["tables"].append({"style": table.style.name, "rows": rows})
    for paragraph in doc.paragraphs:
        entry: dict[str, Any] = {"style": paragraph.style.name, "text": paragraph.text}
        bold = [r.text for r in paragraph.runs if r.bold]
        if bold:
            entry["bold"] = bold
        out["paragraphs"].append(entry)
    out["footer"] = [p.text for p in doc.sections[0].footer.paragraphs]
    props = doc.core_properties
    out["properties"] = {
        "title": props.title,
        "subject": props.subject,
        "created": props.created.isoformat(),
        "author": props.author,
    }
    return out


@pytest.mark.parametrize("path", [FULL_HEADER, MODIFIED, NO_HEADER], ids=lambda p: p.stem)
def test_golden_structure(path: Path, data_regression: Any) -> None:
    data_regression.check(structure(render(path)))


# --- LibreOffice ---------------------------------------------------------------------------------


def _soffice(tmp_path: Path, target: str, sources: list[Path], out: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice (libreoffice-writer-nogui) must be installed"
    profile = (tmp_path / "lo-profile").as_uri()
    command = [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore"]
    command += ["--convert-to", target, "--outdir", str(out), *map(str, sources)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    # soffice exits 0 even when a file fails; it says so on a line of its own ("Error: ...").
    assert not re.search(r"^Error", result.stderr, re.MULTILINE), result.stderr


LIBREOFFICE_CASES = LETTERS  # one soffice run for all of them: it starts slowly, converts fast


def test_libreoffice_converts_the_letters_with_our_font(tmp_path: Path) -> None:
    sources = []
    for path in LIBREOFFICE_CASES:
        sources.append(tmp_path / f"{path.stem}.docx")
        sources[-1].write_bytes(render(path, letter="full"))
    out = tmp_path / "pdf"
    _soffice(tmp_path, "pdf", sources, out)
    for path, source in zip(LIBREOFFICE_CASES, sources, strict=True):
        pdf = out / f"{source.stem}.pdf"
        assert pdf.is_file() and pdf.stat().st_size > 1000, pdf
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        squeezed = "".join(text.split())
        case = case_of(path)
        if case.header.case_number:
            assert case.header.case_number in squeezed
        headings = [b.text for b in html_blocks(case) if b.kind == "subheading"]
        assert len(headings) == len(case.items)
        for heading, item in zip(headings, case.items, strict=True):
            assert heading.endswith(item.decision.value.capitalize())
            assert "".join(heading.split()) in squeezed
        info = subprocess.run(
            ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True
        ).stdout
        pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)[1])  # type: ignore[index]
        # The fields were computed on layout: every page numbered, out of the right total.
        for page in range(1, pages + 1):
            assert f"Page {page} of {pages}" in text
        fonts = subprocess.run(
            ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
        ).stdout
        names = {line.split()[0].split("+")[-1] for line in fonts.splitlines()[2:]}
        serif = {"LiberationSerif", "LiberationSerif-Bold"}
        sans = {"LiberationSans", "LiberationSans-Bold"}
        assert serif <= names, names
        assert names in (serif, serif | sans), (path.name, names)


RESAVED = [FULL_HEADER, MODIFIED, NO_HEADER, CORPUS[14]]


def test_a_letter_saved_again_by_libreoffice_reads_back_the_same(tmp_path: Path) -> None:
    sources = []
    for path in RESAVED:
        sources.append(tmp_path / f"{path.stem}.docx")
        sources[-1].write_bytes(render(path))
    out = tmp_path / "resaved"
    _soffice(tmp_path, "docx:MS Word 2007 XML", sources, out)
    for path, source in zip(RESAVED, sources, strict=True):
        again = (out / source.name).read_bytes()
        assert again != source.read_bytes()  # LibreOffice wrote its own package
        assert imrgen.parse(source.name, data=again) == case_of(path)


def test_created_date_is_the_decision_date_for_every_corpus_letter() -> None:
    for path in CORPUS[:10]:
        decided = case_of(path).header.decision_date
        assert isinstance(decided, date)
        props = open_doc(render(path)).core_properties
        assert props.created.date() == decided


def test_the_full_letter_has_a_title_in_words_title_style() -> None:
    """The public letter prints no title (the state's layout); the letter as sent does."""
    case = imrgen.load_case(ROOT / "examples" / "draft-full-letter.yaml")
    full = open_doc(WRITER.write(case, RenderOptions(letter="full")))
    titles = [p.text for p in full.paragraphs if p.style is not None and p.style.name == "Title"]
    assert titles == ["Independent Medical Review Final Determination"]
    assert full.styles["Title"].font.name == FONT
    public = open_doc(WRITER.write(case, RenderOptions()))
    assert not [p for p in public.paragraphs if p.style is not None and p.style.name == "Title"]


def test_a_page_break_typed_in_word_before_a_heading_is_read() -> None:
    """A page break typed before a section's heading (Ctrl+Enter: a paragraph holding only
    w:br type="page"), as a Word user makes it, reads as the case's page break; one typed
    anywhere else is layout, as is none."""
    from conftest import EXAMPLES

    case = imrgen.load_case(EXAMPLES / "CM16-0213037.yaml")
    plain = imrgen.render(case, "docx", imrgen.RenderOptions(embed_data=False))
    assert imrgen.parse("plain.docx", data=plain).page_breaks_before == []

    def typed_before(text: str) -> bytes:
        document = docx.Document(io.BytesIO(plain))
        target = next(p for p in document.paragraphs if p.text.startswith(text))
        target.insert_paragraph_before().add_run().add_break(docx.enum.text.WD_BREAK.PAGE)
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()

    issues = typed_before("IMR ISSUES, DECISIONS AND RATIONALES")
    assert imrgen.parse("typed.docx", data=issues).page_breaks_before == [imrgen.Section.ISSUES]
    elsewhere = typed_before("The Final Determination was based")
    assert imrgen.parse("elsewhere.docx", data=elsewhere).page_breaks_before == []
