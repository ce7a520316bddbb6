"""The live preview: a server on 127.0.0.1 around one rebuild step. It watches templates, styles
and examples, re-renders only the letters a change touches (HTML at once, printed pages next),
keeps the last good render of each letter when a rebuild fails, and tells the browser through
server-sent events.

state: the letters and the rebuild step; watcher: the file watcher and the page-image worker;
images: PDF pages as PNG; events: the event hub and a client; pages: the web pages (templates/,
static/); server: HTTP."""

from ..letter.templates import template_set
from .events import HOST, EventHub, stream_events
from .images import PAGE_SCALE, png_pages
from .pages import index_page, letter_page
from .server import PreviewServer, Running, serve, wait_for
from .state import SOURCES_FILES, Failure, Letter, Preview, Touch
from .watcher import HTML_FIRST

__all__ = [
    "HOST",
    "HTML_FIRST",
    "PAGE_SCALE",
    "SOURCES_FILES",
    "EventHub",
    "Failure",
    "Letter",
    "Preview",
    "PreviewServer",
    "Running",
    "Touch",
    "index_page",
    "letter_page",
    "png_pages",
    "serve",
    "stream_events",
    "template_set",
    "wait_for",
]
