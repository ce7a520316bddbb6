"""Make styles/fonts/ImrgenMissingGlyph.ttf: one glyph, a hollow box, for every Unicode code
point (cmap format 13, as Unicode's Last Resort font does). The Typst engine lists it after the
letter's font, so a character that font lacks prints as the box a browser would draw and still
extracts as itself, instead of failing PDF/UA's rule that every character be displayable.

    python scripts/make_missing_glyph_font.py
"""

from __future__ import annotations

from pathlib import Path

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib.tables._c_m_a_p import CmapSubtable

FAMILY = "imrgen Missing Glyph"
TARGET = Path(__file__).resolve().parent.parent / "styles" / "fonts" / "ImrgenMissingGlyph.ttf"
UPM = 2048
ASCENT, DESCENT = 1825, 443  # Liberation Serif's, so lines keep their height
WIDTH = 1229  # 0.6 em


def box() -> object:
    pen = TTGlyphPen(None)
    outer = (100, 0, WIDTH - 100, 1400)
    inner = (200, 100, WIDTH - 200, 1300)
    x0, y0, x1, y1 = outer
    pen.moveTo((x0, y0))
    pen.lineTo((x0, y1))
    pen.lineTo((x1, y1))
    pen.lineTo((x1, y0))
    pen.closePath()
    x0, y0, x1, y1 = inner
    pen.moveTo((x0, y0))
    pen.lineTo((x1, y0))
    pen.lineTo((x1, y1))
    pen.lineTo((x0, y1))
    pen.closePath()
    return pen.glyph()


def main() -> None:
    builder = FontBuilder(UPM, isTTF=True)
    builder.setupGlyphOrder([".notdef", "box"])
    builder.setupCharacterMap({0x20: "box"})
    glyph = box()
    builder.setupGlyf({".notdef": glyph, "box": glyph})
    builder.setupHorizontalMetrics({".notdef": (WIDTH, 100), "box": (WIDTH, 100)})
    builder.setupHorizontalHeader(ascent=ASCENT, descent=-DESCENT)
    builder.setupNameTable(
        {
            "familyName": FAMILY,
            "styleName": "Regular",
            "uniqueFontIdentifier": "imrgen:MissingGlyph",
            "fullName": FAMILY,
            "psName": "imrgenMissingGlyph",
            "version": "Version 1.0",
            "copyright": "Made by the imrgen project; public domain (CC0)",
        }
    )
    builder.setupOS2(
        sTypoAscender=ASCENT, sTypoDescender=-DESCENT, usWinAscent=ASCENT, usWinDescent=DESCENT
    )
    builder.setupPost()
    # Format 13: many code points to one glyph. Every plane, less the surrogates.
    table = CmapSubtable.newSubtable(13)
    table.platformID, table.platEncID, table.language = 3, 10, 0
    table.cmap = {}
    font = builder.font
    ranges = [(0x21, 0xD7FF), (0xE000, 0x10FFFF)]
    table.cmap = {cp: "box" for lo, hi in ranges for cp in range(lo, hi + 1)}
    font["cmap"].tables = [table]
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(TARGET))
    print(f"{TARGET} ({TARGET.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
