"""The look of a letter, defined once: styles/look.yaml, which a family may override in its own
look.yaml, read into a frozen, typed Look. The PDF's stylesheet is generated from it
(styles/print.css.j2), the DOCX writer reads it, and other engines read Look.as_dict()."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Literal

import jinja2
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import RenderError
from .templates import TemplateSet

LOOK_FILE = "look.yaml"
STYLESHEET_TEMPLATE = "print.css.j2"
Points = float


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Margins(_Frozen):
    top: Points
    right: Points
    bottom: Points
    left: Points


class Page(_Frozen):
    width: Points
    height: Points
    margin: Margins

    @property
    def text_width(self) -> Points:
        return self.width - self.margin.left - self.margin.right


class FontFiles(_Frozen):
    regular: str
    bold: str
    italic: str
    bold_italic: str


class Font(_Frozen):
    family: str
    stands_for: str  # the face the published letters name, which this one matches in metrics
    files: FontFiles  # relative to the styles folder


class Body(_Frozen):
    font: str
    size: Points
    line: Points  # baseline to baseline
    paragraph_gap: Points  # an empty line between paragraphs
    widows: int = Field(ge=1)
    orphans: int = Field(ge=1)
    kerning: bool
    ligatures: bool
    break_after_hyphen: bool
    break_after_slash: bool


class Heading(_Frozen):
    font: str
    size: Points
    bold: bool
    align: Literal["left", "center"]
    space_before: Points
    space_after: Points
    keep_with_next: bool


class HeaderTable(_Frozen):
    font: str
    size: Points
    line: Points
    columns: tuple[Points, Points, Points, Points]
    padding_x: Points
    padding_y: Points
    border: Points
    border_color: str = Field(pattern=r"^[0-9A-Fa-f]{6}$")
    shading: str = Field(pattern=r"^[0-9A-Fa-f]{6}$")
    label_bold: bool
    blank_shaded: bool


class Letterhead(_Frozen):
    image: str  # a file in the styles folder, or "" for none
    left: Points  # from the left edge of the page
    top: Points  # from the top edge of the page
    width: Points
    height: Points
    alt: str
    body_top: Points  # where the body starts on the first page, below the letterhead
    lines: tuple[str, ...]  # the sender's return address (the full letter only)


class Look(_Frozen):
    page: Page
    fonts: dict[str, Font]
    body: Body
    heading: Heading
    subheading: Heading
    title: Heading
    # More space above the clinical case summary's heading in a letter that decides several
    # items (the templates mark that heading "several-items").
    several_items_summary_space: Points
    label_bold: bool
    credential_label_bold: bool
    decision_bold: bool
    header_table: HeaderTable
    letterhead: Letterhead
    footer: dict[Literal["public-body", "full"], bool]
    footer_size: Points

    def font(self, role: str) -> Font:
        return self.fonts[role]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON values (numbers in points, booleans, strings), for any layout engine."""
        return self.model_dump(mode="json")


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RenderError(f"{path}: not valid YAML ({exc})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise RenderError(f"{path}: expected a mapping of look values, got {type(data).__name__}")
    return data


def look_files(templates: TemplateSet, family: str) -> list[Path]:
    """The files that make a family's look, in the order they are merged: styles/look.yaml,
    then each ancestor's look.yaml, the family's own last."""
    files = [templates.styles / LOOK_FILE]
    for fam in reversed(templates.chain(family)):
        candidate = fam.directory / LOOK_FILE
        if candidate.is_file():
            files.append(candidate)
    return files


@cache
def load_look(templates: TemplateSet, family: str) -> Look:
    """The look of a family: the styles folder's look.yaml with the family chain's overrides."""
    files = look_files(templates, family)
    data: dict[str, Any] = {}
    for path in files:
        data = _merge(data, _read(path))
    try:
        return Look.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        named = ", ".join(str(p) for p in files)
        raise RenderError(f"{named}: {problems}") from None


@cache
def print_css(templates: TemplateSet, family: str, letter: str) -> str:
    """The PDF's stylesheet for one family and letter kind, from styles/print.css.j2."""
    look = load_look(templates, family)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates.styles)),
        autoescape=False,  # a stylesheet, from the look's values only (never case data)
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    try:
        template = env.get_template(STYLESHEET_TEMPLATE)
        return template.render(look=look.as_dict(), letter=letter, css_string=css_string)
    except jinja2.TemplateError as exc:
        raise RenderError(f"{templates.styles / STYLESHEET_TEMPLATE}: {exc}") from None


def css_string(text: str) -> str:
    """A CSS string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ") + '"'


def forget_looks() -> None:
    """Forget the looks and stylesheets read so far (a designer saved a look.yaml)."""
    load_look.cache_clear()
    print_css.cache_clear()
