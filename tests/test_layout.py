"""The published look: every corpus letter parsed, rendered, and laid beside the published PDF
line by line and page by page, as poppler reads both (tests/layout.py); the letterhead; line
breaks after hyphens in the PDF only."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path

import docx
import pikepdf
import pytest
from conftest import CORPUS, EXAMPLES
from docx.oxml.ns import qn
from layout import Comparison, Figures, cached_poppler_lines, docx_to_pdf, figures, poppler_lines

import imrgen
from imrgen.case.model import Case
from imrgen.letter.look import load_look
from imrgen.letter.templates import DEFAULT_TEMPLATES
from imrgen.writers import RenderOptions, get_writer

OPTIONS = RenderOptions(embed_data=False)
# The floors reached on ../shared/corpus/dwc-2016 (65 letters); README "The published look".
PDF_FLOORS = {
    "lines_identical": 0.9985,
    "letters_lines_identical": 0.96,
    "letters_pages_identical": 0.95,
    "letters_same_page_count": 1.0,
}
DOCX_SAMPLE = 6  # letters laid out by LibreOffice (one soffice run: some 10 s)
DOCX_FLOORS = {
    "lines_identical": 1.0,
    "letters_lines_identical": 1.0,
    "letters_pages_identical": 1.0,
    "letters_same_page_count": 1.0,
}


@pytest.fixture(scope="session")
def published_cache(request: pytest.FixtureRequest) -> Path:
    return Path(request.config.cache.mkdir("layout-published"))


@pytest.fixture(scope="session", params=["typst", "weasyprint"])
def pdf_comparisons(published_cache: Path, request: pytest.FixtureRequest) -> list[Comparison]:
    """Each corpus letter's published lines beside imrgen's PDF of the parsed case, once per
    PDF engine: both must reach the floors."""
    writer = get_writer("pdf")
    options = RenderOptions(embed_data=False, engine=request.param)
    return [
        Comparison(
            path.stem,
            cached_poppler_lines(path, published_cache),
            poppler_lines(writer.write(imrgen.parse(path), options)),
        )
        for path in CORPUS
    ]


def _check(found: Figures, floors: dict[str, float]) -> None:
    for name, floor in floors.items():
        assert getattr(found, name) >= floor, f"{name}: {getattr(found, name):.4f} < {floor}"


def test_the_pdf_prints_the_published_lines_and_pages(
    pdf_comparisons: list[Comparison], capsys: pytest.CaptureFixture[str]
) -> None:
    found = figures(pdf_comparisons)
    with capsys.disabled():
        print("\n" + found.report("imrgen PDF beside the published letters"))
    assert found.letters == len(CORPUS) >= 60
    _check(found, PDF_FLOORS)
    # Where lines agree they sit where the published ones do: most within a tenth of a point.
    assert found.drift_median < 0.5


def test_the_comparison_sees_a_changed_look(published_cache: Path) -> None:
    """The figures are not blind: a body half a point larger breaks the lines elsewhere."""
    from imrgen.letter.templates import template_set

    path = CORPUS[0]
    case = imrgen.parse(path)
    root = Path(str(published_cache)) / "bigger"
    family = root / "bigger"
    family.mkdir(parents=True, exist_ok=True)
    (family / "family.yaml").write_text('name: bigger\nparent: "2015"\n')
    (family / "look.yaml").write_text("body:\n  size: 12.5\n")
    options = RenderOptions(templates=template_set(root), family="bigger", embed_data=False)
    published = cached_poppler_lines(path, published_cache)
    same = Comparison(path.stem, published, poppler_lines(get_writer("pdf").write(case, OPTIONS)))
    other = Comparison(path.stem, published, poppler_lines(get_writer("pdf").write(case, options)))
    assert same.lines_identical
    assert not other.lines_identical
    assert other.matched < 0.5 * len(published)


def test_the_docx_laid_out_by_libreoffice_prints_the_published_lines(
    published_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = CORPUS[:: len(CORPUS) // DOCX_SAMPLE][:DOCX_SAMPLE]
    writer = get_writer("docx")
    pdfs = docx_to_pdf({p.stem: writer.write(imrgen.parse(p), OPTIONS) for p in sample})
    comparisons = [
        Comparison(p.stem, cached_poppler_lines(p, published_cache), poppler_lines(pdfs[p.stem]))
        for p in sample
    ]
    found = figures(comparisons)
    with capsys.disabled():
        print("\n" + found.report("imrgen DOCX laid out by LibreOffice"))
    _check(found, DOCX_FLOORS)
    # LibreOffice's PDF is a Word-like letter that is not imrgen's (no ArtBox): the reader of
    # published letters takes the case back from its pages, page breaks and all.
    cases = {p.stem: imrgen.parse(p) for p in sample}
    assert any(case.page_breaks_before for case in cases.values())
    for name, case in cases.items():
        assert imrgen.parse(f"{name}.pdf", data=pdfs[name]) == case, name


# -- line breaks as Word makes them, in the PDF only ------------------------------------------

HYPHENATED = "On 10-30-2016 the range-of-motion of the anti-inflammatory PT/OT and/or three- or"


@pytest.fixture(scope="module")
def example() -> Case:
    return imrgen.load_case(EXAMPLES / "CM16-0213037.yaml")


def test_break_marks_stay_out_of_every_output_but_the_pdf_layout(example: Case) -> None:
    # The same words after 1-49 letters of lead: some line ends fall inside a hyphenated word.
    case = example.model_copy(update={"summary": [f"{'m' * k} {HYPHENATED}" for k in range(1, 50)]})
    for fmt in ("html", "txt", "md"):
        out = get_writer(fmt).write(case, OPTIONS).decode()
        assert "\u200b" not in out and "\u2060" not in out, fmt
        assert f"{'m' * 49} {HYPHENATED}" in " ".join(out.split()), fmt
    data = get_writer("pdf").write(case, OPTIONS)
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    assert "\u200b" not in text and "\u2060" not in text
    # The PDF breaks lines after hyphens between words, never after a slash, and reads back.
    lines = [line.strip() for line in text.splitlines()]
    assert any(re.search(r"[^\W_]-$", line) for line in lines)
    assert not any(line.endswith("/") for line in lines)
    assert imrgen.parse("letter.pdf", data=data).summary == case.summary


def test_printable_marks_the_breaks_word_makes() -> None:
    from imrgen.writers.pdf import printable

    look = load_look(DEFAULT_TEMPLATES, "2015")
    html = "<html><body><p>10-30-2016 PT/OT four- week</p></body></html>"
    out = printable(html, look)
    assert "10-\u200b30-\u200b2016" in out
    assert "PT/\u2060OT" in out
    assert "four-\u2060\u00a0week" in out


# -- line breaks typed into a paragraph ------------------------------------------------------

TYPED = (
    "The injured worker is a 48 year old male.\nHe was treated for the diagnoses of right"
    " shoulder contusion, neck strain, right shoulder injury, scapulothoracic syndrome and right"
    " arm paresthesias.  He was evaluated on 10-19-16 for complaints of neck and back pain.  It"
    " was then   noted."
)


@pytest.mark.parametrize(
    "fmt, engine",
    [
        ("pdf", "typst"),
        ("pdf", "weasyprint"),
        ("docx", None),
        ("html", None),
        ("txt", None),
        ("md", None),
    ],
)
def test_a_typed_line_break_is_printed_and_read_back(
    example: Case, fmt: str, engine: str | None
) -> None:
    """A line break typed into a paragraph (as some published letters have one: the reader
    records it where a line ends although the next word would have fitted), and runs of spaces
    (a double space after a full stop), are printed so in every format and read back from the
    text alone, wherever the lines break."""
    case = example.model_copy(update={"summary": [TYPED, *example.summary[1:]]})
    writer = get_writer(fmt)
    data = writer.write(case, RenderOptions(embed_data=False, engine=engine))
    back = imrgen.parse(f"letter{writer.suffix}", data=data)
    assert back.summary == case.summary
    assert back == case
    if fmt == "pdf":
        lines = [ln.text for ln in poppler_lines(data, whole=True)]
        assert "The injured worker is a 48 year old male." in lines
    elif fmt == "html":
        assert "48 year old male.<br>He was treated" in data.decode()
        assert "paresthesias.\u00a0 He was" in data.decode()
        assert "then\u00a0\u00a0 noted." in data.decode()
    elif fmt == "docx":
        paragraphs = docx.Document(io.BytesIO(data)).paragraphs
        found = [p for p in paragraphs if p.text.startswith("The injured worker is a 48")]
        assert len(found) == 1 and found[0].text.startswith(
            "The injured worker is a 48 year old male.\nHe"
        )
        assert "paresthesias.  He was" in found[0].text


def test_single_spaced_text_and_other_fields_keep_no_line_breaks(example: Case) -> None:
    """Only a paragraph keeps a line break and a run of plain spaces; elsewhere (and in a
    paragraph, around a line break, or any run of other white space) white space is one space,
    and the readers' tokens are no text a case can hold."""
    case = example.model_copy(deep=True)
    case.summary = ["one  two \n\n three\ue000four\ue001 x", " five\r\nsix\t\tseven\u00a0 8 "]
    case.items[0].request = "MRI of  the\nright shoulder\ue001"
    assert case.summary == ["one  two\nthree\nfour  x", "five\nsix seven 8"]
    assert case.items[0].request == "MRI of the right shoulder"
    assert imrgen.load_case(EXAMPLES / "CM16-0213037.yaml").summary == example.summary
    assert not any("\n" in p for p in example.summary)


# -- the letterhead ----------------------------------------------------------------------------


def test_the_letterhead_is_page_furniture_on_page_one(example: Case, tmp_path: Path) -> None:
    data = get_writer("pdf").write(example, OPTIONS)
    (tmp_path / "letter.pdf").write_bytes(data)
    listing = subprocess.run(
        ["pdfimages", "-list", str(tmp_path / "letter.pdf")], capture_output=True, check=True
    ).stdout.decode()
    images = [line.split() for line in listing.splitlines()[2:]]
    assert [(row[0], row[3], row[4]) for row in images] == [("1", "376", "92")]  # page 1 only
    # An XObject drawn inside /Artifact content (WeasyPrint paints it as the page's background,
    # Typst, the engine here, places it from page 1's first block).
    pdf = pikepdf.open(io.BytesIO(data))
    fills = []
    depth, artifact = 0, 0
    for operands, operator in pikepdf.parse_content_stream(pdf.pages[0]):
        name = str(operator)
        if name in ("BDC", "BMC"):
            depth += 1
            if artifact or operands[0] == pikepdf.Name.Artifact:
                artifact += 1
        elif name == "EMC":
            depth -= 1
            artifact = max(0, artifact - 1) if artifact else 0
        elif name == "Do":
            fills.append(artifact > 0)
    assert fills and all(fills)


def test_the_docx_carries_the_letterhead_in_the_first_page_header(example: Case) -> None:
    look = load_look(DEFAULT_TEMPLATES, "2015")
    doc = docx.Document(io.BytesIO(get_writer("docx").write(example, OPTIONS)))
    section = doc.sections[0]
    assert section.different_first_page_header_footer
    pictures = list(section.first_page_header._element.iter(qn("wp:docPr")))
    assert [p.get("descr") for p in pictures] == [look.letterhead.alt]
    assert not list(section.header._element.iter(qn("wp:docPr")))  # only page 1
