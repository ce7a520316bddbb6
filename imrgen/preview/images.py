"""The printed pages as PNG images, for the page column and the published originals."""

from __future__ import annotations

import io
import threading
from pathlib import Path

PAGE_SCALE = 1.25  # 90 dpi: sharp beside the HTML without megabyte PNGs

# PDFium is not thread-safe: the page worker and the request threads take turns.
_PDFIUM = threading.Lock()


def png_pages(pdf: bytes | Path, scale: float = PAGE_SCALE) -> list[bytes]:
    with _PDFIUM:
        return _render_png_pages(pdf, scale)


def _render_png_pages(pdf: bytes | Path, scale: float) -> list[bytes]:
    import pypdfium2

    out: list[bytes] = []
    document = pypdfium2.PdfDocument(pdf)
    try:
        for index in range(len(document)):
            page = document[index]
            try:
                image = page.render(scale=scale).to_pil()
            finally:
                page.close()
            buffer = io.BytesIO()
            image.save(buffer, "PNG", compress_level=1)
            out.append(buffer.getvalue())
    finally:
        document.close()
    return out
