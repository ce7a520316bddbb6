"""The preview's own web pages: the index of example letters and a letter's page, rendered from
the Jinja templates beside this module (autoescaped: letter names and published text are data)
with the stylesheet and scripts from static/ put inline."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from .state import Letter, Preview

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        auto_reload=False,
    )
    env.globals["static"] = _static
    return env


@cache
def _static(name: str) -> Markup:
    """One of the package's own static files, by its fixed name: never a path from a request."""
    if name not in {"preview.css", "letter.js", "index.js"}:
        raise ValueError(f"no static file {name!r}")
    return Markup((STATIC / name).read_text(encoding="utf-8"))


def _page(template: str, **context: object) -> bytes:
    return (_environment().get_template(template).render(**context) + "\n").encode()


def index_page(preview: Preview) -> bytes:
    with preview._lock:
        letters: list[Letter] = sorted(preview.letters.values(), key=lambda x: (x.edition, x.key))
        return _page(
            "index.html",
            title="imrgen preview",
            script="index.js",
            examples=preview.examples,
            letters=letters,
        )


def letter_page(preview: Preview, key: str) -> bytes | None:
    state = preview.state(key)
    if state is None:
        return None
    original = state["original"]
    pdf = original is not None and original["kind"] == "pdf"
    return _page(
        "letter.html",
        title=f"{state['title']} - imrgen preview",
        script="letter.js",
        key=key,
        engine=state["engine"],
        original=original,
        pages=len(preview.original_pages(key)) if pdf else 0,
        text="" if original is None or pdf else _read_text(preview, key),
    )


def _read_text(preview: Preview, key: str) -> str:
    letter = preview.letters.get(key)
    if letter is None or letter.source is None:
        return ""
    try:
        return letter.source.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
