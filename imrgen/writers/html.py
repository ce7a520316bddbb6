"""HTML: the letter structure itself, with its stylesheet inlined so the file stands alone."""

from __future__ import annotations

from ..model import Case
from ..templates import render_html
from . import RenderOptions


class HtmlWriter:
    name = "html"
    suffix = ".html"
    media_type = "text/html"

    def write(self, case: Case, options: RenderOptions) -> bytes:
        html = render_html(
            case, options.templates, options.family, lang=options.lang, letter=options.letter
        )
        return html.encode("utf-8")
