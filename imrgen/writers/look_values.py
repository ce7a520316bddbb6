"""The look as the Typst layout reads it: imrgen.letter.look's one definition (Look.as_dict(), the
same values the print stylesheet and the DOCX follow), plus what a layout engine needs to put
lines where CSS puts them: each font's ascent and descent, read from the shipped font files."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont

from ..letter.look import load_look
from ..letter.templates import TemplateSet

MISSING_GLYPH_FAMILY = "imrgen Missing Glyph"


@cache
def font_metrics(path: Path) -> dict[str, float]:
    """A font's ascent and descent in em (hhea, as Pango places a line's baseline)."""
    font = TTFont(str(path), lazy=True)
    try:
        units = float(font["head"].unitsPerEm)
        hhea = font["hhea"]
        return {"ascent": hhea.ascent / units, "descent": -hhea.descent / units}
    finally:
        font.close()


def look_values(templates: TemplateSet, family: str) -> dict[str, Any]:
    """A fresh dictionary (the caller may add to it) of the family's look for Typst."""
    values = load_look(templates, family).as_dict()
    values["metrics"] = {
        role: font_metrics((templates.styles / font["files"]["regular"]).resolve())
        for role, font in values["fonts"].items()
    }
    values["missing_glyph"] = MISSING_GLYPH_FAMILY
    return values
