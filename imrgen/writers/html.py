"""HTML: the letter structure itself, with its stylesheet inlined so the file stands alone."""

from __future__ import annotations

from ..case.model import Case
from . import RenderOptions, letter_html


class HtmlWriter:
    name = "html"
    suffix = ".html"
    media_type = "text/html"

    def write(self, case: Case, options: RenderOptions) -> bytes:
        html = letter_html(case, options)
        return html.encode("utf-8")
