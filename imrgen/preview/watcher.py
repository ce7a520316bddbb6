"""The two background threads of a started preview: the watcher, which turns file changes
into rebuilds, and the page-image worker, which renders printed pages after the HTML."""

from __future__ import annotations

import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

import watchfiles

if TYPE_CHECKING:
    from .state import Preview

HTML_FIRST = 0.1  # seconds the page images wait after new HTML goes out


def page_worker(preview: Preview) -> None:
    """Render the printed pages of letters whose HTML changed, the open ones first."""
    while not preview._stop.is_set():
        with preview._work:
            while not preview._dirty and not preview._stop.is_set():
                preview._work.wait(timeout=1)
        # WeasyPrint holds the GIL for long stretches: let the browser fetch the new HTML
        # before the page images start.
        while (
            delay := preview._last_html + HTML_FIRST - time.monotonic()
        ) > 0 and not preview._stop.is_set():
            preview._stop.wait(delay)
        key = preview.next_pages()
        if key is not None:
            preview.render_pages(key)


def watch(preview: Preview) -> None:
    """Rebuild what each batch of file changes touches, until the preview stops."""
    for changes in watchfiles.watch(
        *preview.watched_dirs(),
        step=20,
        debounce=400,
        stop_event=preview._stop,
        rust_timeout=1000,
        yield_on_timeout=False,
    ):
        try:
            preview.changed(Path(p) for _, p in changes)
        except Exception as exc:  # a bug here must not end the watching
            preview.hub.publish(
                "problem", {"message": "".join(traceback.format_exception_only(exc)).strip()}
            )
