"""The look is defined once (styles/look.yaml, a family's look.yaml over it): the PDF and the
DOCX both follow it."""

from __future__ import annotations

import ctypes
import io
import json
from collections import Counter
from pathlib import Path

import docx
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from conftest import EXAMPLES

import imrgen
from imrgen.case.model import Case
from imrgen.errors import RenderError
from imrgen.letter.look import Look, load_look, print_css
from imrgen.letter.templates import DEFAULT_TEMPLATES, template_set
from imrgen.writers import RenderOptions, get_writer


@pytest.fixture(scope="module")
def example() -> Case:
    return imrgen.load_case(EXAMPLES / "CM16-0213037.yaml")


def _family(tmp_path: Path, look: str) -> Path:
    folder = tmp_path / "templates" / "big"
    folder.mkdir(parents=True)
    (folder / "family.yaml").write_text('name: big\nparent: "2015"\n')
    (folder / "look.yaml").write_text(look)
    return tmp_path / "templates"


# Points per unit of the font size PDFium reports: WeasyPrint sets text in CSS pixels under a
# 0.75 scale, Typst in points.
SIZE_SCALE = {"weasyprint": 0.75, "typst": 1.0}


def _pdf_body_size(data: bytes, engine: str = "weasyprint") -> float:
    """The font size of most letters on the first page below its header table: the body's."""
    document = pdfium.PdfDocument(data)
    page = document[0]
    text = page.get_textpage()
    sizes: Counter[float] = Counter()
    for index in range(text.count_chars()):
        if text.get_text_range(index, 1).isalpha():
            x, y = ctypes.c_double(), ctypes.c_double()
            pdfium_c.FPDFText_GetCharOrigin(text.raw, index, ctypes.byref(x), ctypes.byref(y))
            if y.value < 600:
                size = pdfium_c.FPDFText_GetFontSize(text.raw, index) * SIZE_SCALE[engine]
                sizes[round(size, 2)] += 1
    document.close()
    return sizes.most_common(1)[0][0]


def test_the_look_is_typed_frozen_and_plain_json() -> None:
    look = load_look(DEFAULT_TEMPLATES, "2015")
    assert isinstance(look, Look)
    with pytest.raises(ValueError, match="frozen"):
        look.body.size = 20  # type: ignore[misc]
    values = json.loads(json.dumps(look.as_dict()))
    assert values["body"]["size"] == 12
    assert values["body"]["line"] == 13.8
    assert values["fonts"]["sans"]["family"] == "Liberation Sans"
    assert values["fonts"]["serif"]["files"]["regular"] == "fonts/LiberationSerif-Regular.ttf"
    assert values["footer"] == {"public-body": False, "full": True}
    for font in values["fonts"].values():
        for file in font["files"].values():
            assert (DEFAULT_TEMPLATES.styles / file).is_file(), file


@pytest.mark.parametrize("engine", ["typst", "weasyprint"])
def test_one_value_changes_the_pdf_and_the_docx(tmp_path: Path, example: Case, engine: str) -> None:
    """A family that sets only the body size: both writers (and both PDF engines) print the
    letter in that size."""
    templates = template_set(_family(tmp_path, "body:\n  size: 13.5\n"))
    assert load_look(templates, "big").body.size == 13.5
    assert load_look(templates, "big").body.line == 13.8  # the rest from the parents
    base = RenderOptions(embed_data=False, engine=engine)
    big = RenderOptions(templates=templates, family="big", embed_data=False, engine=engine)
    pdf = get_writer("pdf")
    assert _pdf_body_size(pdf.write(example, base), engine) == 12.0
    assert _pdf_body_size(pdf.write(example, big), engine) == 13.5
    word = get_writer("docx")
    normal = docx.Document(io.BytesIO(word.write(example, base))).styles["Normal"]
    assert normal.font.size.pt == 12
    normal = docx.Document(io.BytesIO(word.write(example, big))).styles["Normal"]
    assert normal.font.size.pt == 13.5


def _summary_drop(data: bytes) -> float:
    """How far below the last credential line the clinical case summary's heading sits."""
    from layout import poppler_lines

    lines = poppler_lines(data, whole=True)
    at = next(i for i, line in enumerate(lines) if line.text == "CLINICAL CASE SUMMARY")
    return round(lines[at].bottom - lines[at - 1].bottom, 2)


@pytest.mark.parametrize("engine", ["typst", "weasyprint"])
def test_a_letter_of_several_items_sets_its_summary_lower(
    tmp_path: Path, example: Case, engine: str
) -> None:
    """The published letters that decide several items came from a Word template that sets the
    clinical case summary 6.84 pt lower: one look value, in both PDF engines and the DOCX."""
    assert len(example.items) > 1
    one = example.model_copy(update={"items": example.items[:1]})
    space = load_look(DEFAULT_TEMPLATES, "2015").several_items_summary_space
    assert space == 6.84
    templates = template_set(_family(tmp_path, "several_items_summary_space: 20\n"))
    options = RenderOptions(embed_data=False, engine=engine)
    other = RenderOptions(templates=templates, family="big", embed_data=False, engine=engine)
    pdf = get_writer("pdf")
    single = _summary_drop(pdf.write(one, options))
    assert _summary_drop(pdf.write(example, options)) == pytest.approx(single + space, abs=0.05)
    assert _summary_drop(pdf.write(one, other)) == single
    assert _summary_drop(pdf.write(example, other)) == pytest.approx(single + 20, abs=0.05)

    def before(case: Case, opts: RenderOptions) -> float | None:
        document = docx.Document(io.BytesIO(get_writer("docx").write(case, opts)))
        heading = next(p for p in document.paragraphs if p.text == "CLINICAL CASE SUMMARY")
        found = heading.paragraph_format.space_before
        return None if found is None else found.pt

    heading_space = load_look(DEFAULT_TEMPLATES, "2015").heading.space_before
    assert before(one, options) is None  # the heading style's own space
    assert before(example, options) == pytest.approx(heading_space + space, abs=0.05)
    assert before(example, other) == pytest.approx(heading_space + 20, abs=0.05)


def test_the_stylesheet_comes_from_the_look(tmp_path: Path) -> None:
    templates = template_set(_family(tmp_path, "header_table:\n  shading: ABCDEF\n"))
    assert "#ABCDEF" in print_css(templates, "big", "public-body")
    assert "#ABCDEF" not in print_css(DEFAULT_TEMPLATES, "2015", "public-body")
    # The footer per letter kind: the published body has none, the full letter numbers pages.
    assert "counter(pages)" not in print_css(DEFAULT_TEMPLATES, "2015", "public-body")
    assert "counter(pages)" in print_css(DEFAULT_TEMPLATES, "2015", "full")


def test_a_bad_look_names_the_file_and_the_field(tmp_path: Path) -> None:
    templates = template_set(_family(tmp_path, "body:\n  size: big\n"))
    with pytest.raises(RenderError, match=r"look\.yaml: body\.size: Input should be a valid"):
        load_look(templates, "big")
    other = template_set(_family(tmp_path / "x", "header_table:\n  colour: red\n"))
    with pytest.raises(RenderError, match=r"header_table\.colour: Extra inputs"):
        load_look(other, "big")


def test_the_structure_carries_what_the_docx_writer_needs(example: Case) -> None:
    """The title, the header rows as laid out (a blank pair where the table has a blank cell)
    and the weights of the parts come from imrgen.letter.structure, never from the HTML's text."""
    from imrgen.letter.structure import letter_from_html
    from imrgen.writers import letter_html

    letter = letter_from_html(letter_html(example, RenderOptions(), []))
    assert letter.title == "Independent Medical Review Final Determination CM16-0213037"
    rows = [[(b.label, b.text) if b else None for b in row] for row in letter.header_rows]
    assert rows[0] == [("Case Number:", "CM16-0213037"), None]
    assert rows[3] == [("Priority:", "Standard"), ("Application Received:", "11/03/2016")]
    items = [b for b in letter.blocks if b.kind == "subheading"]
    assert [b.plain for b in items] == ["Upheld", "Upheld"]
    assert all(b.text.endswith(": Upheld") for b in items)
    credentials = [b for b in letter.blocks if "credential" in b.classes]
    assert [b.label for b in credentials] == [
        "State(s) of Licensure:",
        "Certification(s)/Specialty:",
    ]
