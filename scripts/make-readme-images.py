"""Make the README's images of the published look: a published page beside imrgen's page of the
same letter (docs/img/side-by-side-page1.png, -page2.png), and imrgen's page 1 alone
(docs/img/pdf-letter-page1.png). Needs poppler's pdftoppm and ../shared/corpus."""

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

import imrgen
from imrgen.writers import RenderOptions, get_writer

ROOT = Path(__file__).resolve().parent.parent
LETTER = ROOT.parent / "shared" / "corpus" / "dwc-2016" / "CM16-0213037.pdf"
EXAMPLE = ROOT / "examples" / "CM16-0213037.yaml"
OUT = ROOT / "docs" / "img"
DPI = "60"


def pages(pdf: Path, folder: Path, prefix: str) -> list[Path]:
    subprocess.run(
        ["pdftoppm", "-upw", "", "-r", DPI, "-png", str(pdf), str(folder / prefix)], check=True
    )
    return sorted(folder.glob(f"{prefix}-*.png"))


def side_by_side(left: Path, right: Path, out: Path) -> None:
    a, b = Image.open(left).convert("RGB"), Image.open(right).convert("RGB")
    caption = 18
    sheet = Image.new("RGB", (a.width + b.width + 12, max(a.height, b.height) + caption), "white")
    sheet.paste(a, (0, caption))
    sheet.paste(b, (a.width + 12, caption))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.truetype(str(ROOT / "styles" / "fonts" / "LiberationSans-Regular.ttf"), 12)
    draw.text((4, 2), "published (Word 2007)", fill="black", font=font)
    draw.text((a.width + 16, 2), "imrgen (WeasyPrint)", fill="black", font=font)
    draw.rectangle((0, caption, a.width - 1, sheet.height - 1), outline=(160, 160, 160))
    draw.rectangle(
        (a.width + 12, caption, sheet.width - 1, sheet.height - 1), outline=(160, 160, 160)
    )
    sheet.save(out, optimize=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        mine = folder / "imrgen.pdf"
        mine.write_bytes(
            get_writer("pdf").write(imrgen.load_case(EXAMPLE), RenderOptions(embed_data=False))
        )
        published, made = pages(LETTER, folder, "published"), pages(mine, folder, "imrgen")
        if len(published) != len(made):
            sys.exit(f"page counts differ: {len(published)} published, {len(made)} imrgen")
        for number, (left, right) in enumerate(zip(published, made, strict=True), start=1):
            side_by_side(left, right, OUT / f"side-by-side-page{number}.png")
        Image.open(made[0]).save(OUT / "pdf-letter-page1.png", optimize=True)
        Image.open(published[0]).save(OUT / "pdf-published-page1.png", optimize=True)


if __name__ == "__main__":
    main()
