"""Lines and pages of a letter as poppler reads them (pdftotext -bbox-layout), independent of
imrgen's own readers, and the figures that compare imrgen's pages with the published ones.

Run as a script to see the figures and the differences letter by letter:
    .venv/bin/python tests/layout.py [--engine typst|weasyprint] [--docx N] [LETTER ...]
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

from lxml import etree

FIRST_HEADING = "HOW THE IMR FINAL DETERMINATION WAS MADE"
_FOOTER = re.compile(r"^(Page \d+ of \d+|Página \d+ de \d+)$")
_XHTML = "{http://www.w3.org/1999/xhtml}"


@dataclass(frozen=True)
class PrintedLine:
    page: int
    # poppler's yMax of the line: its baseline plus the font's descent, which the shipped faces
    # share with the ones they stand for (poppler's yMin uses an ascent that differs between an
    # embedded Liberation face and a Times New Roman the PDF does not embed).
    bottom: float
    left: float
    text: str


def poppler_lines(data: bytes, whole: bool = False) -> list[PrintedLine]:
    """Every text line of every page, in order down each page, from the first heading on
    (`whole`: from the top); page-number footers left out."""
    with tempfile.TemporaryDirectory() as folder:
        pdf = Path(folder) / "letter.pdf"
        pdf.write_bytes(data)
        out = subprocess.run(
            ["pdftotext", "-upw", "", "-bbox-layout", str(pdf), "-"],
            capture_output=True,
            check=True,
        ).stdout
    root = etree.fromstring(out, etree.XMLParser(recover=True, huge_tree=True))
    lines: list[PrintedLine] = []
    for number, page in enumerate(root.iter(f"{_XHTML}page")):
        found = []
        for line in page.iter(f"{_XHTML}line"):
            words = [w.text or "" for w in line.iter(f"{_XHTML}word")]
            text = " ".join(" ".join(words).split())
            if not text or _FOOTER.match(text):
                continue
            found.append(
                PrintedLine(number, float(line.get("yMax")), float(line.get("xMin")), text)
            )
        found.sort(key=lambda ln: (round(ln.bottom), ln.left))
        lines += found
    if whole:
        return lines
    start = next((i for i, ln in enumerate(lines) if ln.text == FIRST_HEADING), 0)
    return lines[start:]


def cached_poppler_lines(path: Path, cache: Path) -> list[PrintedLine]:
    """poppler_lines of a file, kept in `cache` under the digest of its bytes."""
    data = path.read_bytes()
    key = cache / (hashlib.sha256(data).hexdigest()[:24] + ".json")
    if key.is_file():
        return [PrintedLine(**item) for item in json.loads(key.read_text())]
    lines = poppler_lines(data)
    cache.mkdir(parents=True, exist_ok=True)
    key.write_text(json.dumps([line.__dict__ for line in lines]))
    return lines


@dataclass
class Comparison:
    name: str
    published: list[PrintedLine]
    made: list[PrintedLine]
    matched: int = 0
    drifts: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        a = [ln.text for ln in self.published]
        b = [ln.text for ln in self.made]
        matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
        for block in matcher.get_matching_blocks():
            self.matched += block.size
            for k in range(block.size):
                pub, mine = self.published[block.a + k], self.made[block.b + k]
                if pub.page == mine.page:
                    self.drifts.append(abs(pub.bottom - mine.bottom))

    @property
    def lines_identical(self) -> bool:
        return [ln.text for ln in self.published] == [ln.text for ln in self.made]

    @property
    def pages_identical(self) -> bool:
        return [(ln.page, ln.text) for ln in self.published] == [
            (ln.page, ln.text) for ln in self.made
        ]

    def page_count(self, lines: list[PrintedLine]) -> int:
        return max((ln.page for ln in lines), default=0) + 1

    @property
    def same_page_count(self) -> bool:
        return self.page_count(self.published) == self.page_count(self.made)

    def differences(self) -> list[str]:
        a = [f"{ln.page + 1}: {ln.text}" for ln in self.published]
        b = [f"{ln.page + 1}: {ln.text}" for ln in self.made]
        return list(difflib.unified_diff(a, b, "published", "imrgen", n=0, lineterm=""))


@dataclass(frozen=True)
class Figures:
    letters: int
    lines: int
    lines_identical: float  # share of the published body lines found, in order, in imrgen's
    letters_lines_identical: float
    letters_pages_identical: float  # every line identical and on the same page
    letters_same_page_count: float
    drift_median: float  # points between a line's place on the published page and on imrgen's
    drift_p95: float
    drift_max: float

    def report(self, what: str) -> str:
        return (
            f"{what}: {self.letters} letters, {self.lines} published body lines\n"
            f"  body lines identical:                 {self.lines_identical:7.2%}\n"
            f"  letters with every line identical:    {self.letters_lines_identical:7.2%}\n"
            f"  letters with the same page breaks:    {self.letters_pages_identical:7.2%}\n"
            f"  letters with the same page count:     {self.letters_same_page_count:7.2%}\n"
            f"  baseline drift (pt), same page:       median {self.drift_median:.2f},"
            f" 95% {self.drift_p95:.2f}, max {self.drift_max:.2f}"
        )


def figures(comparisons: Iterable[Comparison]) -> Figures:
    items = list(comparisons)
    n = len(items)
    total = sum(len(c.published) for c in items)
    drifts = sorted(d for c in items for d in c.drifts) or [0.0]
    return Figures(
        letters=n,
        lines=total,
        lines_identical=sum(c.matched for c in items) / total,
        letters_lines_identical=sum(c.lines_identical for c in items) / n,
        letters_pages_identical=sum(c.pages_identical for c in items) / n,
        letters_same_page_count=sum(c.same_page_count for c in items) / n,
        drift_median=median(drifts),
        drift_p95=drifts[int(0.95 * (len(drifts) - 1))],
        drift_max=drifts[-1],
    )


def docx_to_pdf(documents: dict[str, bytes]) -> dict[str, bytes]:
    """DOCX files laid out by LibreOffice (headless), as PDFs: one soffice run for all."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, data in documents.items():
            (root / f"{name}.docx").write_bytes(data)
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{root / 'profile'}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(root / "out"),
                *[str(root / f"{name}.docx") for name in documents],
            ],
            capture_output=True,
            check=True,
            timeout=600,
        )
        return {name: (root / "out" / f"{name}.pdf").read_bytes() for name in documents}


def _main(argv: list[str]) -> None:
    import imrgen
    from imrgen.writers import RenderOptions, get_writer

    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here))
    from conftest import CORPUS

    parser = argparse.ArgumentParser(
        description="imrgen's pages beside the published letters' (poppler), letter by letter"
    )
    parser.add_argument("--engine", choices=["typst", "weasyprint"], default="typst")
    parser.add_argument("--docx", type=int, default=0, metavar="N", help="also N DOCX letters")
    parser.add_argument("letters", nargs="*", help="corpus letters by name (default: all)")
    args = parser.parse_args(argv)
    docx_sample, engine = args.docx, args.engine
    chosen = [p for p in CORPUS if not args.letters or p.stem in args.letters]
    if not chosen:
        parser.error(f"no corpus letter named {', '.join(args.letters)}")
    cache = here.parent / ".pytest_cache" / "layout"
    options = RenderOptions(embed_data=False)
    pdf_options = RenderOptions(embed_data=False, engine=engine)
    comparisons = []
    for path in chosen:
        case = imrgen.parse(path)
        made = poppler_lines(get_writer("pdf").write(case, pdf_options))
        comparisons.append(Comparison(path.stem, cached_poppler_lines(path, cache), made))
    for c in comparisons:
        if not c.pages_identical:
            print(f"== {c.name}")
            print("\n".join(c.differences()[2:40]))
    print(figures(comparisons).report(f"PDF ({engine})"))
    if docx_sample:
        sample = chosen[:: max(1, len(chosen) // docx_sample)][:docx_sample]
        documents = {p.stem: get_writer("docx").write(imrgen.parse(p), options) for p in sample}
        pdfs = docx_to_pdf(documents)
        docx_comparisons = [
            Comparison(p.stem, cached_poppler_lines(p, cache), poppler_lines(pdfs[p.stem]))
            for p in sample
        ]
        for c in docx_comparisons:
            if not c.lines_identical:
                print(f"== {c.name} (docx)")
                print("\n".join(c.differences()[2:30]))
        print(figures(docx_comparisons).report("DOCX via LibreOffice"))


if __name__ == "__main__":
    _main(sys.argv[1:])
