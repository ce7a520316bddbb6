"""Template families (search path: user dir -> family -> parent -> base), the Jinja environment,
and the filters the templates use."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

import jinja2
import yaml
from babel.numbers import format_decimal
from markupsafe import Markup, escape

from ..case.model import Case, MtusCitation
from ..errors import ImrgenError, RenderError
from ..files import write_atomic
from .caches import DEFAULT_CACHE, TEMPLATES, RenderCache
from .i18n import (
    DEFAULT_LANGUAGE,
    LOCALES,
    check_language,
    format_long_date,
    format_numeric_date,
    translations,
)


def _data_dir(name: str) -> Path:
    """templates/ or styles/: inside the installed wheel, or beside the package in a checkout."""
    packaged = Path(str(resources.files("imrgen"))) / "_data" / name
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / name


TEMPLATES_DIR = _data_dir("templates")
STYLES_DIR = _data_dir("styles")


def letter_date(value: date | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """Header dates in the letter's locale; in English as the state prints them: 01/06/2017."""
    return format_numeric_date(value, lang) if value else ""


def long_date(value: date | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """A date written out, for the top of a full letter: December 9, 2016."""
    return format_long_date(value, lang) if value else ""


def mtus_citation(c: MtusCitation) -> str:
    """One MTUS citation as the letters print it (2016: part, year, sections; 2014: pages)."""
    text = c.part
    if c.year is not None:
        text += f" {c.year}"
    if c.sections:
        text += ", Section(s): " + ", ".join(c.sections)
    if c.pages:
        text += f" Page(s): {c.pages}"
    return text


def lines(value: str) -> Markup:
    """A paragraph's text, escaped, with the line breaks typed into it as <br> and a run of n
    spaces as n - 1 non-breaking spaces and a space (HTML shows them; the line may break after
    the run, as Word's does)."""
    return Markup("<br>").join(
        escape(re.sub(r" {2,}", lambda m: "\u00a0" * (len(m[0]) - 1) + " ", line))
        for line in value.split("\n")
    )


def number(value: int | float, lang: str = DEFAULT_LANGUAGE) -> str:
    return format_decimal(value, locale=LOCALES[lang])


FILTERS = {
    "number": number,
    "letter_date": letter_date,
    "long_date": long_date,
    "mtus_citation": mtus_citation,
    "lines": lines,
}
LETTERS = {"public-body": "letter.html", "full": "full.html"}


@dataclass(frozen=True)
class Family:
    name: str
    parent: str | None
    directory: Path


@dataclass(frozen=True)
class TemplateSet:
    """Where templates and styles come from: the package's, or a designer's folders first."""

    templates: Path = TEMPLATES_DIR
    styles: Path = STYLES_DIR
    user_templates: Path | None = None
    extra: tuple[str, ...] = field(default=())

    def families(self) -> dict[str, Family]:
        found: dict[str, Family] = {}
        for root in (self.templates, self.user_templates):
            if root is None:
                continue
            for meta in sorted(root.glob("*/family.yaml")):
                data = yaml.safe_load(meta.read_text(encoding="utf-8")) or {}
                name = str(data.get("name") or meta.parent.name)
                parent = data.get("parent")
                found[name] = Family(name, str(parent) if parent else None, meta.parent)
        return found

    def chain(self, name: str) -> list[Family]:
        """The family and its ancestors, nearest first."""
        families = self.families()
        out: list[Family] = []
        current: str | None = name
        while current is not None:
            if current not in families:
                known = ", ".join(sorted(families))
                raise ImrgenError(f"unknown template family '{current}'; available: {known}")
            if any(f.name == current for f in out):
                raise ImrgenError(f"template family '{name}' has a cycle in its parents")
            out.append(families[current])
            current = families[current].parent
        return out

    def search_path(self, family: str) -> list[Path]:
        roots = (
            [self.templates]
            if self.user_templates is None
            else [self.user_templates, self.templates]
        )
        return [f.directory for f in self.chain(family)] + roots

    def stylesheets(self, names: tuple[str, ...] = ("letter.css",)) -> list[str]:
        return [(self.styles / n).read_text(encoding="utf-8") for n in names]


DEFAULT_TEMPLATES = TemplateSet()
_FAMILY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def template_set(templates: Path | None = None, styles: Path | None = None) -> TemplateSet:
    """A designer's folders as a TemplateSet: a full tree (with base/) replaces the package's
    templates; a folder of a few families is searched before them."""
    styles_dir = styles or STYLES_DIR
    if templates is None:
        return TemplateSet(styles=styles_dir)
    if (templates / "base" / "family.yaml").is_file():
        return TemplateSet(templates=templates, styles=styles_dir)
    return TemplateSet(user_templates=templates, styles=styles_dir)


def new_family(name: str, parent: str, templates_dir: Path) -> Path:
    """Make templates_dir/NAME: a family that extends PARENT and overrides nothing yet, so it
    renders exactly like its parent. Returns the new folder."""
    if not _FAMILY_NAME.match(name):
        raise ImrgenError(
            f"family name {name!r}: expected letters, digits, '.', '_' or '-', not starting with"
            " a dot or dash"
        )
    if not templates_dir.is_dir():
        raise ImrgenError(f"{templates_dir}: no such templates folder")
    templates = template_set(templates_dir)
    families = templates.families()
    if name in families or (templates_dir / name).exists():
        raise ImrgenError(f"template family '{name}' already exists in {templates_dir}")
    if parent not in families:
        known = ", ".join(sorted(families))
        raise ImrgenError(f"unknown template family '{parent}'; available: {known}")
    # A family may hold only some templates; extend the nearest one that has the letter.
    holder = next(f for f in templates.chain(parent) if (f.directory / "letter.html").is_file())
    # Templates are looked up by folder, relative to a root of the search path, and a family's
    # folder need not bear its name.
    roots = [r for r in (templates.user_templates, templates.templates) if r is not None]
    root = next(r for r in roots if holder.directory.resolve().is_relative_to(r.resolve()))
    extends = holder.directory.resolve().relative_to(root.resolve()).as_posix()
    folder = templates_dir / name
    write_atomic(
        folder / "family.yaml",
        (
            f"# {name}: starts as a copy of {parent}; override its blocks in letter.html.\n"
            f'name: "{name}"\nparent: "{parent}"\n'
        ).encode(),
    )
    write_atomic(folder / "letter.html", f'{{% extends "{extends}/letter.html" %}}\n'.encode())
    return folder


def environment(
    templates: TemplateSet,
    family: str,
    lang: str = DEFAULT_LANGUAGE,
    cache: RenderCache = DEFAULT_CACHE,
) -> jinja2.Environment:
    """One compiled environment per (template set, family, language), kept in `cache` and
    reused across letters."""
    return cache.get(
        TEMPLATES, (templates, family, lang), lambda: _new_environment(templates, family, lang)
    )


def _new_environment(templates: TemplateSet, family: str, lang: str) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(p) for p in templates.search_path(family)]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.filters.update(FILTERS)
    env.install_gettext_translations(  # type: ignore[attr-defined]
        translations(lang), newstyle=True
    )
    return env


def render_html(
    case: Case,
    templates: TemplateSet = DEFAULT_TEMPLATES,
    family: str | None = None,
    stylesheets: list[str] | None = None,
    lang: str = DEFAULT_LANGUAGE,
    letter: str = "public-body",
    cache: RenderCache = DEFAULT_CACHE,
) -> str:
    """The letter structure as HTML: every output format starts from this. `letter` is
    "public-body" (the determination, as the state publishes it) or "full" (as sent)."""
    family = family or case.edition.value
    if letter not in LETTERS:
        raise ImrgenError(f"unknown letter '{letter}'; available: {', '.join(LETTERS)}")
    env = environment(templates, family, check_language(lang), cache)
    from .look import load_look  # imrgen.letter.look reads TemplateSet from this module

    try:
        template = env.get_template(LETTERS[letter])
        return template.render(
            case=case,
            look=load_look(templates, family).as_dict(),
            lang=lang,
            stylesheets=templates.stylesheets() if stylesheets is None else stylesheets,
        )
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"{exc.filename or exc.name}:{exc.lineno}: {exc.message}") from None
    except jinja2.TemplateError as exc:
        where = _template_frame(exc)
        raise RenderError(f"{where}{exc}") from None


def _template_frame(exc: BaseException) -> str:
    """'file:line: ' of the innermost template frame, so an error names the template and line."""
    tb = exc.__traceback__
    where = ""
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".html") or filename.endswith(".j2"):
            where = f"{filename}:{tb.tb_lineno}: "
        tb = tb.tb_next
    return where
