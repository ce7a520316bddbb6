"""The Typst engine of the PDF writer: chosen by --engine or by the family, the same letter as
WeasyPrint's line for line on the corpus letters, case text as data, and no file, package or
font beyond the package's own. The accessibility, archival and determinism checks run for both
engines in tests/test_pdf.py."""

from __future__ import annotations

import io
import os
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from conftest import CORPUS, EXAMPLES

import imrgen
from imrgen.case.model import Case
from imrgen.cli import main
from imrgen.errors import RenderError
from imrgen.letter.templates import TEMPLATES_DIR, TemplateSet
from imrgen.writers import PdfOptions, RenderOptions
from imrgen.writers.pdf_writer import default_engine, engine_for
from imrgen.writers.typst import LAYOUT, letter_blocks, typst_look

EXAMPLE = EXAMPLES / "CM16-0213037.yaml"
TYPST = RenderOptions(engine="typst", embed_data=False)
WEASYPRINT = RenderOptions(engine="weasyprint", embed_data=False)


@pytest.fixture(scope="module")
def example() -> Case:
    return imrgen.load_case(EXAMPLE)


def poppler_lines(data: bytes) -> list[list[str]]:
    """Each page's printed lines as poppler's pdftotext reads them (a reader independent of
    imrgen's and of PDFium), trailing spaces aside."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        out = subprocess.run(
            ["pdftotext", handle.name, "-"], capture_output=True, text=True, check=True
        ).stdout
    # Blank lines are poppler's guesses at paragraphs from font sizes and gaps, not lines.
    return [
        [line.rstrip() for line in page.split("\n") if line.strip()]
        for page in out.split("\f")[:-1]
    ]


# -- choosing the engine ---------------------------------------------------------------------


def test_typst_is_the_default_for_the_shipped_families(example: Case) -> None:
    for family in ("base", "2014", "2015"):
        assert default_engine(RenderOptions(), family) == "typst"
    assert engine_for(example, RenderOptions()) == "typst"
    assert engine_for(example, RenderOptions(engine="weasyprint")) == "weasyprint"
    # The default really is the Typst PDF: Typst's fonts are named without WeasyPrint's dash.
    assert imrgen.render(example, "pdf", RenderOptions(embed_data=False)) == imrgen.render(
        example, "pdf", TYPST
    )


def test_a_designers_family_renders_with_weasyprint(tmp_path: Path, example: Case) -> None:
    family = tmp_path / "mine"
    family.mkdir()
    (family / "family.yaml").write_text("name: mine\nparent: '2015'\n", encoding="utf-8")
    templates = TemplateSet(user_templates=tmp_path)
    assert default_engine(RenderOptions(templates=templates), "mine") == "weasyprint"
    own_styles = TemplateSet(styles=tmp_path)
    assert default_engine(RenderOptions(templates=own_styles), "2015") == "weasyprint"
    # Asked for, Typst still lays a designer's family out, from the package's layout.
    options = RenderOptions(templates=templates, family="mine", engine="typst", embed_data=False)
    assert poppler_lines(imrgen.render(example, "pdf", options)) == poppler_lines(
        imrgen.render(example, "pdf", TYPST)
    )


def test_an_unknown_engine_is_refused(example: Case) -> None:
    with pytest.raises(RenderError, match=r"unknown PDF engine 'prince'; available: typst, weas"):
        imrgen.render(example, "pdf", RenderOptions(engine="prince"))


def test_a_family_without_a_typst_layout_says_so(tmp_path: Path, example: Case) -> None:
    """A full template tree of a designer's own, without letter.typ: Typst cannot lay it out."""
    tree = tmp_path / "templates"
    for family in ("base", "2015"):
        (tree / family).mkdir(parents=True)
        for item in (TEMPLATES_DIR / family).iterdir():
            if item.name != LAYOUT:
                (tree / family / item.name).write_bytes(item.read_bytes())
    options = RenderOptions(templates=TemplateSet(templates=tree), engine="typst")
    with pytest.raises(RenderError, match=r"family '2015' has no Typst layout \(letter\.typ\)"):
        imrgen.render(example, "pdf", options)
    assert default_engine(RenderOptions(templates=TemplateSet(templates=tree)), "2015") == (
        "weasyprint"
    )


@pytest.mark.parametrize("engine", ["typst", "weasyprint"])
def test_render_command_takes_the_engine(engine: str, tmp_path: Path) -> None:
    code = main(
        ["render", str(EXAMPLE), "-f", "pdf", "-o", str(tmp_path), "--engine", engine,
         "--no-embed", "--pdf-variant", "pdf/a-3b"]
    )  # fmt: skip
    assert code == 0
    data = (tmp_path / "CM16-0213037.pdf").read_bytes()
    case = imrgen.load_case(EXAMPLE)
    options = RenderOptions(engine=engine, embed_data=False, pdf=PdfOptions(variant="pdf/a-3b"))
    assert data == imrgen.render(case, "pdf", options)


def test_batch_and_public_take_the_engine(tmp_path: Path) -> None:
    case = imrgen.load_case(EXAMPLE)
    assert main(["batch", str(EXAMPLE), "-f", "pdf", "-o", str(tmp_path / "b"), "-q",
                 "--engine", "weasyprint", "-j", "1"]) == 0  # fmt: skip
    batch_pdf = (tmp_path / "b" / "CM16-0213037.pdf").read_bytes()
    assert batch_pdf == imrgen.render(case, "pdf", RenderOptions(engine="weasyprint"))
    assert main(["public", str(EXAMPLE), "-f", "pdf", "-o", str(tmp_path / "p"), "-q",
                 "--engine", "typst"]) == 0  # fmt: skip
    public_pdf = (tmp_path / "p" / "CM16-0213037.pdf").read_bytes()
    assert "LiberationSerif" in _font_names(public_pdf)  # Typst's name for it
    assert "Liberation-Serif" not in _font_names(public_pdf)  # WeasyPrint's (Pango's)


def _font_names(data: bytes) -> str:
    """Every embedded font's /BaseFont, however the file stores its objects."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        names = {
            str(font.get("/BaseFont"))
            for page in pdf.pages
            for font in page.Resources.get("/Font", {}).values()
        }
    return " ".join(sorted(names))


# -- the same letter -------------------------------------------------------------------------

# Every corpus letter for the public body in English; every fourth for the full letter and for
# Spanish, unless IMRGEN_LAYOUT_ALL=1 (then all 65 of each).
EVERY = 1 if os.environ.get("IMRGEN_LAYOUT_ALL") else 4


@pytest.mark.parametrize(
    ("letter", "lang", "stride"),
    [("public-body", "en", 1), ("full", "en", EVERY), ("public-body", "es", EVERY),
     ("full", "es", EVERY)],
)  # fmt: skip
def test_both_engines_break_lines_and_pages_alike_on_the_corpus(
    letter: str, lang: str, stride: int, parsed_letters: dict[Path, Case]
) -> None:
    """Corpus letters, parsed and rendered by both engines: the same lines on the same pages,
    as poppler reads them."""
    differ = []
    for path in CORPUS[::stride]:
        case = parsed_letters[path]
        pages = {
            engine: poppler_lines(
                imrgen.render(case, "pdf", RenderOptions(engine=engine, letter=letter, lang=lang))
            )
            for engine in ("typst", "weasyprint")
        }
        if pages["typst"] != pages["weasyprint"]:
            differ.append(path.stem)
    assert differ == []


def test_a_changed_look_value_changes_the_typst_lines(example: Case) -> None:
    """The layout reads the look, not numbers of its own: a smaller body size fits more words
    on a line (so the line test above would catch a look the engines do not share)."""
    from imrgen.writers import typst as typst_engine

    normal = poppler_lines(imrgen.render(example, "pdf", TYPST))
    original = typst_engine.look_values

    def smaller(templates: TemplateSet, family: str) -> dict[str, object]:
        look = original(templates, family)
        look["body"]["size"] = 10.0
        return look

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typst_engine, "look_values", smaller)
        changed = poppler_lines(imrgen.render(example, "pdf", TYPST))
    assert sum(len(p) for p in changed) < sum(len(p) for p in normal)


def test_the_typst_look_is_the_one_look() -> None:
    """The layout reads imrgen.letter.look's values, the ones the print stylesheet is made from."""
    from imrgen.letter.look import load_look, print_css

    templates = TemplateSet()
    look = typst_look(templates, "2015")
    one = load_look(templates, "2015").as_dict()
    assert {key: look[key] for key in one} == one
    css = print_css(templates, "2015", "public-body")
    assert f"line-height: {one['body']['line']}pt" in css
    assert look["metrics"]["serif"] == pytest.approx({"ascent": 1825 / 2048, "descent": 443 / 2048})


# -- case text is data -----------------------------------------------------------------------

HOSTILE = [
    '#read("/etc/passwd")',
    '#import "@preview/x:0.1.0"',
    '#include "letter.typ"',
    "]",
    "$x^2$",
    "\\",
    "<label>",
    "@ref",
    "// a comment",
    "/* a block",
    "#set page(width: 1pt)",
    "*bold* _emph_ `raw` = heading",
]


def test_hostile_case_text_prints_as_itself(example: Case) -> None:
    text = "The records quote " + " and ".join(HOSTILE) + " verbatim."
    case = example.model_copy(update={"summary": [text, *example.summary], "items": example.items})
    data = imrgen.render(case, "pdf", TYPST)
    words = " ".join(" ".join(" ".join(page) for page in poppler_lines(data)).split())
    for literal in HOSTILE:
        assert literal in words
    assert "root:" not in words  # /etc/passwd was not read
    assert imrgen.parse("letter.pdf", data=data) == case


def test_very_long_words_and_lines_are_laid_out(example: Case) -> None:
    word = "x" * 400
    url = "https://example.com/" + "/".join(["segment"] * 40)
    case = example.model_copy(update={"summary": [f"{word} {url}", "y " * 3000]})
    data = imrgen.render(case, "pdf", TYPST)
    # An unbreakable word runs past the margin, as it does in a browser; it is still text.
    document = pdfium.PdfDocument(data)
    text = "".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    assert word in text and url in text.replace("\r\n", "")
    assert text.count("y ") >= 2900


def test_the_layout_reads_no_file_and_no_package() -> None:
    """The compiler's root is the layout's folder, and the layout asks for nothing in it."""
    source = (TEMPLATES_DIR / "base" / LAYOUT).read_text(encoding="utf-8")
    code = re.sub(r"//[^\n]*", "", source)
    for call in ("#import", "#include", "read(", "csv(", "yaml(", "@preview"):
        assert call not in code
    # Data comes only from sys.inputs: the letter, and the letterhead image as its bytes.
    assert re.findall(r"json\([^)]*\)", code) == [
        "json(bytes(sys.inputs.letter)",
        "json(bytes(sys.inputs.letterhead)",
    ]
    assert re.findall(r"image\(\w+\(", code) == ["image(bytes("]


def test_the_blocks_carry_text_not_markup(example: Case) -> None:
    from imrgen.writers import letter_html

    case = example.model_copy(update={"summary": ["<b>not bold</b> &amp; #strong[x]"]})
    look = typst_look(TemplateSet(), "2015")
    blocks, _, title = letter_blocks(letter_html(case, RenderOptions(), []), look)
    texts = ["".join(t for t, _ in run["tokens"]) for b in blocks for run in b.get("runs", [])]
    assert "<b>not bold</b> &amp; #strong[x]" in texts
    assert title == "Independent Medical Review Final Determination CM16-0213037"


# -- only the shipped fonts; a missing glyph is a box ----------------------------------------


def test_a_character_no_font_has_is_a_box_not_a_failure(example: Case) -> None:
    odd = "Hangul \uac00, Tamil \u0b95, Osmanya \U000104a0, a private \ue000 and \U0010fffd."
    case = example.model_copy(update={"summary": [odd]})
    for variant in ("pdf/ua-1", "pdf/a-3b"):
        options = RenderOptions(engine="typst", pdf=PdfOptions(variant=variant))
        data = imrgen.render(case, "pdf", options)
        pdf = pikepdf.open(io.BytesIO(data))
        fonts = {
            str(font.BaseFont).split("+")[-1]
            for page in pdf.pages
            for font in page.Resources.Font.values()
        }
        # The letter's serif, the header table's sans, and the missing-glyph box.
        assert fonts == {
            "LiberationSerif",
            "LiberationSerif-Bold",
            "LiberationSans",
            "LiberationSans-Bold",
            "imrgenMissingGlyph",
        }
        assert "Hangul \uac00, Tamil \u0b95" in " ".join(
            line for page in poppler_lines(data) for line in page
        )


# -- threads: no lock between renders, no environment changed --------------------------------


class _RecordingEnviron(dict[str, str]):
    """os.environ's stand-in, which remembers every change."""

    changed: list[str]

    def __setitem__(self, key: str, value: str) -> None:
        self.changed.append(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.changed.append(key)
        super().__delitem__(key)

    def pop(self, key: str, *default: str) -> str:  # type: ignore[override]
        self.changed.append(key)
        return super().pop(key, *default)


@pytest.mark.parametrize("engine", ["typst", "weasyprint"])
def test_threads_render_at_once_the_same_bytes_and_leave_the_environment(
    engine: str, example: Case
) -> None:
    """Each thread gets its own fonts and compiler (created here, in new threads), so renders
    run side by side without a lock, change no environment variable, and give the bytes a
    render alone gives."""
    options = RenderOptions(engine=engine)
    alone = imrgen.render(example, "pdf", options)
    recording = _RecordingEnviron(os.environ)
    recording.changed = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "environ", recording)
        with ThreadPoolExecutor(3) as pool:
            results = list(pool.map(lambda _: imrgen.render(example, "pdf", options), range(6)))
    assert recording.changed == []
    assert results == [alone] * 6


def _header_cells(data: bytes) -> list[list[tuple[str, str, int, int]]]:
    """Each header row's cells: (type, scope, how many headers it names, column span)."""
    pdf = pikepdf.open(io.BytesIO(data))
    rows: list[list[tuple[str, str, int, int]]] = []

    def walk(element: pikepdf.Dictionary) -> None:
        kids = element.get("/K")
        items = kids if isinstance(kids, pikepdf.Array) else [kids]
        children = [k for k in items if isinstance(k, pikepdf.Dictionary) and "/S" in k]
        if element.get("/S") == "/TR":
            row = []
            for cell in children:
                a = cell.get("/A", pikepdf.Dictionary())
                row.append(
                    (
                        str(cell.S),
                        str(a.get("/Scope", "")),
                        len(a.get("/Headers", [])),
                        int(a.get("/ColSpan", 1)),
                    )
                )
            rows.append(row)
        for child in children:
            walk(child)

    walk(pdf.Root.StructTreeRoot)
    return rows


def test_header_cells_are_tagged_as_weasyprint_tags_them(example: Case) -> None:
    """Row headers with their scope, data cells naming their row's labels, the blank pair one
    cell over two columns: the same in both engines, also with a blank pair on the left."""
    left_blank = example.model_copy(
        update={"header": example.header.model_copy(update={"date_assigned": None})}
    )
    for case in (example, left_blank):
        typst_rows = _header_cells(imrgen.render(case, "pdf", RenderOptions(engine="typst")))
        weasy_rows = _header_cells(imrgen.render(case, "pdf", RenderOptions(engine="weasyprint")))
        assert typst_rows == weasy_rows
        assert ("/TH", "/Row", 0, 1) in typst_rows[1]
