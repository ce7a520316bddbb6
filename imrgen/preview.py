"""The live preview: a server on 127.0.0.1 around one rebuild step. It watches templates, styles
and examples, re-renders only the letters a change touches (HTML at once, printed pages next),
keeps the last good render of each letter when a rebuild fails, and tells the browser through
server-sent events."""

from __future__ import annotations

import html as markup
import io
import json
import os
import queue
import re
import threading
import time
import traceback
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import watchfiles
import yaml

from . import caches
from .caches import RenderCache
from .errors import CaseError, ImrgenError
from .loading import CASE_SUFFIXES, load_case
from .model import Case
from .templates import TemplateSet
from .writers import RenderOptions, get_writer
from .writers.pdf import PdfWriter, engine_for

HOST = "127.0.0.1"
HTML_FIRST = 0.1  # seconds the page images wait after new HTML goes out
PAGE_SCALE = 1.25  # 90 dpi: sharp beside the HTML without megabyte PNGs
# Which examples came from a published letter: a YAML mapping, stem -> path (examples/*.yaml
# are all cases, hence .txt; sources.yaml is read too).
SOURCES_FILES = ("sources.txt", "sources.yaml")


@dataclass(frozen=True)
class Failure:
    """Why the latest rebuild of a letter failed, as the page shows it."""

    kind: str  # "case", "template", "pages" or "internal"
    source: str  # the case file or template, as the designer knows it
    lines: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "source": self.source, "lines": list(self.lines)}


@dataclass
class Letter:
    """One example case and its last good renders."""

    key: str  # the case file's path under the examples folder, without suffix
    path: Path
    source: Path | None = None  # the published letter this example was parsed from
    case: Case | None = None
    html: str | None = None
    html_version: int = 0
    pages: list[bytes] = field(default_factory=list)
    pages_version: int = 0
    error: Failure | None = None
    pages_error: Failure | None = None

    @property
    def edition(self) -> str:
        return self.case.edition.value if self.case else "not valid yet"

    @property
    def title(self) -> str:
        if self.case and self.case.header.case_number:
            return self.case.header.case_number
        return self.key


@dataclass(frozen=True)
class Touch:
    """What a batch of file changes touches."""

    letters: frozenset[str] = frozenset()  # to render again
    cases: frozenset[str] = frozenset()  # of those, the ones whose case file changed
    templates: bool = False  # compiled templates are stale
    styles: bool = False  # parsed stylesheets are stale
    rescan: bool = False  # case files appeared or went away, or the sources list changed

    def __bool__(self) -> bool:
        return bool(self.letters) or self.templates or self.styles or self.rescan


class EventHub:
    """Server-sent events: each open page has a queue; publish puts the event on every queue."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[queue.Queue[tuple[str, str] | None], str | None] = {}

    def subscribe(self, letter: str | None) -> queue.Queue[tuple[str, str] | None]:
        q: queue.Queue[tuple[str, str] | None] = queue.Queue()
        with self._lock:
            self._queues[q] = letter
        return q

    def unsubscribe(self, q: queue.Queue[tuple[str, str] | None]) -> None:
        with self._lock:
            self._queues.pop(q, None)

    def publish(self, event: str, data: dict[str, Any]) -> None:
        text = json.dumps(data)
        with self._lock:
            for q in self._queues:
                q.put((event, text))

    def watched(self) -> set[str]:
        """The letters someone has open: their page images are rendered first."""
        with self._lock:
            return {k for k in self._queues.values() if k is not None}

    def close(self) -> None:
        with self._lock:
            for q in self._queues:
                q.put(None)
            self._queues.clear()


def _failure(exc: BaseException, kind: str, source: str, roots: Iterable[Path]) -> Failure:
    """What the page shows for a failed rebuild: the case file and its field paths, the
    template and line, or (for a bug) the exception itself."""
    if isinstance(exc, CaseError):
        return Failure("case", exc.source, tuple(str(p) for p in exc.problems))
    if isinstance(exc, ImrgenError):
        message = str(exc)
        for root in roots:  # name a template as the designer does: 2014/letter.html:3
            message = message.replace(f"{root}/", "")
        name, _, rest = message.partition(": ")
        if kind == "template" and rest and re.search(r"\.(html|j2|css)(:\d+)?$", name):
            return Failure("template", name, (rest,))
        return Failure(kind, source, (message,))
    lines = traceback.format_exception_only(type(exc), exc)
    return Failure("internal", source, tuple(line.rstrip() for line in lines))


# PDFium is not thread-safe: the page worker and the request threads take turns.
_PDFIUM = threading.Lock()


def _png_pages(pdf: bytes | Path, scale: float = PAGE_SCALE) -> list[bytes]:
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


class Preview:
    """Every example letter's last good renders, and the rebuild step the watcher calls."""

    def __init__(
        self,
        examples: Path,
        templates: TemplateSet | None = None,
        family: str | None = None,
        letter: str = "public-body",
        lang: str = "en",
        scale: float = PAGE_SCALE,
        engine: str | None = None,
    ) -> None:
        self.examples = examples.resolve()
        self.engine = engine  # the PDF engine; None: the one `imrgen render` would use
        self.templates = templates or TemplateSet()
        self.family = family
        self.letter = letter
        self.lang = lang
        self.scale = scale
        self.hub = EventHub()
        # Its own cache, which it tells to forget what a save made stale; others' are theirs.
        self.cache = RenderCache()
        self.letters: dict[str, Letter] = {}
        self._lock = threading.RLock()
        self._dirty: set[str] = set()
        self._rendering: str | None = None  # the letter whose pages are being rendered
        self._work = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._originals: dict[Path, tuple[float, list[bytes]]] = {}
        self._originals_lock = threading.Lock()
        self._version = 0
        self._last_html = 0.0  # when the latest HTML went out

    # -- what to watch and what a change touches ---------------------------------------------

    @property
    def template_roots(self) -> list[Path]:
        roots = [self.templates.templates]
        if self.templates.user_templates is not None:
            roots.insert(0, self.templates.user_templates)
        return [r.resolve() for r in roots]

    def _names(self) -> list[Path]:
        """Every spelling of the folders an error message may name, to shorten them."""
        roots = [self.templates.templates, self.templates.user_templates, self.examples]
        found = [r for r in roots if r is not None] + self.template_roots
        return sorted(set(found), key=lambda r: -len(str(r)))

    def watched_dirs(self) -> list[Path]:
        dirs = [*self.template_roots, self.templates.styles.resolve(), self.examples]
        return [d for d in dict.fromkeys(dirs) if d.is_dir()]

    def case_files(self) -> dict[str, Path]:
        found: dict[str, Path] = {}
        if not self.examples.is_dir():
            return found
        for path in sorted(self.examples.rglob("*")):
            key = self._key_of(path)
            if key is not None and path.is_file():
                found[key] = path
        return found

    def _key_of(self, path: Path) -> str | None:
        """A case file's name in the preview: its path under examples/, without suffix."""
        if not path.is_relative_to(self.examples):
            return None
        rel = path.relative_to(self.examples)
        if (
            path.suffix.lower() not in CASE_SUFFIXES
            or path.name in SOURCES_FILES
            or any(part.startswith(".") for part in rel.parts)
        ):
            return None
        return rel.with_suffix("").as_posix()

    def _family(self, letter: Letter) -> str | None:
        return self.family or (letter.case.edition.value if letter.case else None)

    def _chain(self, family: str | None) -> set[Path] | None:
        """The family folders a letter's templates come from; None when that cannot be known."""
        if family is None:
            return None
        try:
            return {f.directory.resolve() for f in self.templates.chain(family)}
        except (ImrgenError, OSError, yaml.YAMLError):
            return None

    def touched(self, paths: Iterable[Path]) -> Touch:
        """The letters a batch of changed paths touches: a case file touches its letter; a style
        touches every letter; a template touches the letters whose family chain holds it."""
        letters: set[str] = set()
        cases: set[str] = set()
        templates = styles = rescan = False
        with self._lock:
            everything = set(self.letters)
            letters_now = list(self.letters.values())
            for path in (p.resolve() for p in paths):
                if path.name.startswith("."):
                    continue  # editors' and write_atomic's temporary files
                root = next((r for r in self.template_roots if path.is_relative_to(r)), None)
                if root is not None:
                    templates = True
                    parts = path.relative_to(root).parts
                    if len(parts) < 2 or path.name == "family.yaml":
                        letters |= everything  # a shared template or a family's parent changed
                        continue
                    folder = root / parts[0]
                    chains = {f: self._chain(f) for f in {self._family(x) for x in letters_now}}
                    for key, letter in self.letters.items():
                        chain = chains[self._family(letter)]
                        if chain is None or folder in chain:
                            letters.add(key)
                elif path.is_relative_to(self.templates.styles.resolve()):
                    styles = True
                    letters |= everything
                elif path.is_relative_to(self.examples):
                    if path.name in SOURCES_FILES:
                        rescan = True
                        continue
                    case_key = self._key_of(path)
                    if case_key is None:
                        continue
                    if case_key not in self.letters or not path.exists():
                        rescan = True
                    letters.add(case_key)
                    cases.add(case_key)
        return Touch(frozenset(letters), frozenset(cases), templates, styles, rescan)

    # -- rebuilding --------------------------------------------------------------------------

    def load(self) -> None:
        """Find every example and render its HTML; queue its printed pages."""
        self.apply(Touch(templates=True, styles=True, rescan=True))

    def changed(self, paths: Iterable[Path]) -> Touch:
        """One rebuild step: what the changed paths touch is rendered again."""
        touch = self.touched(paths)
        if touch:
            self.apply(touch)
        return touch

    def apply(self, touch: Touch) -> None:
        if touch.templates:
            self.cache.forget(caches.TEMPLATES)  # compiled from the old text
        if touch.styles or touch.templates:
            # The pdf writer keeps parsed stylesheets (in this preview's own cache), the looks
            # they come from (look.yaml in the styles folder and the families) and compiled
            # layouts; a save makes them stale.
            self._pdf_writer().forget(self.cache)
        with self._lock:
            keys = set(touch.letters)
            reload = set(touch.cases)
            if touch.rescan:
                added = self._rescan()
                keys |= added
                reload |= added
        for key in sorted(keys, key=self._priority):
            self.render_html(key, reload=key in reload)
        if touch.rescan:
            self.hub.publish("index", {})

    def _rescan(self) -> set[str]:
        files = self.case_files()
        sources = self._sources(files)
        added = set(files) - set(self.letters)
        for key in set(self.letters) - set(files):
            del self.letters[key]
            self._dirty.discard(key)
            self.hub.publish("removed", {"letter": key})
        for key, path in files.items():
            letter = self.letters.setdefault(key, Letter(key, path))
            letter.path = path
            letter.source = sources.get(key)
        return added

    def _sources(self, files: dict[str, Path]) -> dict[str, Path]:
        """Which examples came from a published letter: examples/sources.txt maps a case's stem
        to the letter's path under the shared folder beside the repository (or under
        $IMRGEN_SHARED, or relative to examples/)."""
        found: dict[str, Path] = {}
        for listing in (self.examples / name for name in reversed(SOURCES_FILES)):
            if not listing.is_file():
                continue
            try:
                data = yaml.safe_load(listing.read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError):
                data = {}
            if isinstance(data, dict):
                for stem, target in data.items():
                    found[str(stem)] = self._locate(Path(str(target)))
        return {key: path for key, path in found.items() if key in files}

    def _locate(self, target: Path) -> Path:
        """A published letter named relative to the shared folder, wherever that folder is."""
        bases = [self.examples, self.examples.parent.parent / "shared"]
        if os.environ.get("IMRGEN_SHARED"):
            bases.insert(0, Path(os.environ["IMRGEN_SHARED"]))
        bases.append(Path(__file__).resolve().parent.parent.parent / "shared")  # a checkout
        for base in bases:
            if (base / target).is_file():
                return (base / target).resolve()
        return (self.examples / target).resolve()

    def _next_version(self) -> int:
        self._version += 1
        return self._version

    def _priority(self, key: str) -> tuple[bool, str]:
        return (key not in self.hub.watched(), key)

    def _options(self) -> RenderOptions:
        # The preview shows the letter; carrying the case inside the PDF would only cost time.
        return RenderOptions(
            templates=self.templates,
            family=self.family,
            lang=self.lang,
            letter=self.letter,
            engine=self.engine,
            embed_data=False,
            cache=self.cache,
        )

    def _pdf_writer(self) -> PdfWriter:
        writer = get_writer("pdf")
        assert isinstance(writer, PdfWriter)
        return writer

    def engine_of(self, case: Case | None) -> str | None:
        """The engine this letter's printed pages (and `imrgen render`'s PDF) are laid out by."""
        if case is None:
            return None
        try:
            return engine_for(case, self._options())
        except Exception:  # an unknown family shows as the letter's error, not here
            return None

    def render_html(self, key: str, reload: bool = True) -> None:
        """Render a letter's HTML, loading its case again if it changed (or has not loaded);
        on failure keep the last good render."""
        with self._lock:
            letter = self.letters.get(key)
            if letter is None:
                return
            path = letter.path
            case = letter.case
            if letter.error is not None and letter.error.kind == "case":
                reload = True  # still broken? a template change must not hide that
        roots = self._names()
        if reload or case is None:
            try:
                case = load_case(path)
            except Exception as exc:  # the server outlives any broken input
                self._fail(key, _failure(exc, "case", str(path), roots))
                return
            with self._lock:
                letter.case = case
        try:
            text = get_writer("html").write(case, self._options()).decode("utf-8")
        except Exception as exc:
            self._fail(key, _failure(exc, "template", str(path), roots))
            return
        with self._lock:
            cleared = letter.error is not None
            letter.error = None
            if text != letter.html:
                letter.html = text
                letter.html_version = self._next_version()
            self._dirty.add(key)
            self._work.notify_all()
            version = letter.html_version
        self._last_html = time.monotonic()
        self._publish("html", key, version=version, cleared=cleared)

    def _fail(self, key: str, failure: Failure) -> None:
        with self._lock:
            letter = self.letters.get(key)
            if letter is None:
                return
            letter.error = failure
        self._publish("error", key, error=failure.to_json())

    def _publish(self, event: str, key: str, **data: Any) -> None:
        """An event about one letter, carrying the letter's state so the page need not ask."""
        self.hub.publish(event, {"letter": key, **data, "state": self.state(key)})

    def next_pages(self) -> str | None:
        """The next letter whose page images are stale: open letters first."""
        with self._lock:
            if not self._dirty:
                return None
            key = min(self._dirty, key=self._priority)
            self._dirty.discard(key)
            self._rendering = key
            return key

    def render_pages(self, key: str) -> None:
        try:
            self._render_pages(key)
        finally:
            with self._lock:
                if self._rendering == key:
                    self._rendering = None

    def _render_pages(self, key: str) -> None:
        with self._lock:
            letter = self.letters.get(key)
            if letter is None or letter.error is not None or letter.case is None:
                return  # keep the last good pages while the letter itself is broken
            case = letter.case
        try:
            pages = _png_pages(get_writer("pdf").write(case, self._options()), self.scale)
        except Exception as exc:
            failure = _failure(exc, "pages", str(letter.path), self._names())
            with self._lock:
                letter.pages_error = failure
            self._publish("error", key, error=failure.to_json())
            return
        with self._lock:
            letter.pages_error = None
            letter.pages = pages
            letter.pages_version = self._next_version()
            version = letter.pages_version
        self._publish("pages", key, version=version, count=len(pages))

    def drain(self) -> None:
        """Render every stale letter's pages now (the worker thread does this when serving)."""
        while (key := self.next_pages()) is not None:
            self.render_pages(key)

    def original_pages(self, key: str) -> list[bytes]:
        """The published letter's pages, rendered once per version of the file."""
        with self._lock:
            letter = self.letters.get(key)
            source = letter.source if letter else None
        if source is None or source.suffix.lower() != ".pdf" or not source.is_file():
            return []
        with self._originals_lock:
            mtime = source.stat().st_mtime
            cached = self._originals.get(source)
            if cached and cached[0] == mtime:
                return cached[1]
            try:
                pages = _png_pages(source, self.scale)
            except Exception:
                return []  # an unreadable original is left out, the letter still shows
            self._originals[source] = (mtime, pages)
            return pages

    def state(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            letter = self.letters.get(key)
            if letter is None:
                return None
            source = letter.source
            original: dict[str, Any] | None = None
            if source is not None and source.is_file():
                kind = "pdf" if source.suffix.lower() == ".pdf" else "text"
                original = {"kind": kind, "name": source.name}
            return {
                "letter": key,
                "title": letter.title,
                "edition": letter.edition,
                "html_version": letter.html_version,
                "pages_version": letter.pages_version,
                "page_count": len(letter.pages),
                "pages_stale": key in self._dirty or key == self._rendering,
                "errors": [e.to_json() for e in (letter.error, letter.pages_error) if e],
                "original": original,
                "engine": self.engine_of(letter.case),
            }

    # -- threads -----------------------------------------------------------------------------

    def start(self) -> None:
        """Render everything, then keep rendering page images and watching files in the
        background until stop()."""
        self.load()
        for target, name in ((self._page_worker, "pages"), (self._watcher, "watch")):
            thread = threading.Thread(target=target, name=f"imrgen-preview-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        with self._work:
            self._work.notify_all()
        self.hub.close()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()

    def _page_worker(self) -> None:
        while not self._stop.is_set():
            with self._work:
                while not self._dirty and not self._stop.is_set():
                    self._work.wait(timeout=1)
            # WeasyPrint holds the GIL for long stretches: let the browser fetch the new HTML
            # before the page images start.
            while (
                delay := self._last_html + HTML_FIRST - time.monotonic()
            ) > 0 and not self._stop.is_set():
                self._stop.wait(delay)
            key = self.next_pages()
            if key is not None:
                self.render_pages(key)

    def _watcher(self) -> None:
        for changes in watchfiles.watch(
            *self.watched_dirs(),
            step=20,
            debounce=400,
            stop_event=self._stop,
            rust_timeout=1000,
            yield_on_timeout=False,
        ):
            try:
                self.changed(Path(p) for _, p in changes)
            except Exception as exc:  # a bug here must not end the watching
                self.hub.publish(
                    "problem", {"message": "".join(traceback.format_exception_only(exc)).strip()}
                )


# -- the web pages ---------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, sans-serif; margin: 0; background: #eef0f3; color: #1d1f23; }
header { background: #1d2b3a; color: #fff; padding: 8px 16px; display: flex; gap: 16px;
  align-items: baseline; }
header a { color: #cfe3ff; }
header h1 { font-size: 17px; margin: 0; }
.status { font-size: 13px; opacity: .85; }
main.index { padding: 8px 24px; }
main.index h2 { margin: 18px 0 8px; font-size: 16px; }
ul.letters { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 12px; }
ul.letters li { background: #fff; border: 1px solid #ccd; border-radius: 4px; padding: 8px;
  width: 170px; }
ul.letters img { width: 100%; border: 1px solid #ddd; display: block; min-height: 40px; }
ul.letters .name { font-size: 13px; display: block; margin-top: 4px; word-break: break-all; }
.badge { font-size: 11px; border-radius: 3px; padding: 1px 5px; background: #c62828;
  color: #fff; }
.error { background: #fff3f2; border: 2px solid #c62828; color: #7a1010; margin: 8px 16px;
  padding: 8px 12px; font-family: ui-monospace, monospace; font-size: 13px;
  white-space: pre-wrap; }
.error[hidden] { display: none; }
.columns { display: grid; grid-auto-flow: column; grid-auto-columns: minmax(0, 1fr);
  gap: 12px; padding: 8px 16px; height: calc(100vh - 60px); box-sizing: border-box; }
.column { display: flex; flex-direction: column; min-height: 0; }
.column h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .05em; margin: 4px 0;
  color: #445; }
.column .scroll { overflow: auto; flex: 1; background: #fff; border: 1px solid #ccd; }
.column iframe { border: 0; width: 100%; height: 100%; display: block; }
.pages img { display: block; width: 100%; border-bottom: 6px solid #d5d8de; }
.pages pre { white-space: pre-wrap; font-size: 12px; padding: 8px; margin: 0; }
.stale { opacity: .55; transition: opacity .2s; }
"""

_LETTER_JS = """
const key = document.body.dataset.letter;
const frame = document.getElementById('html');
const pages = document.getElementById('pages');
const errors = document.getElementById('errors');
const status = document.getElementById('status');
let shown = {html: -1, pages: -1};
function q(path, extra) {
  return path + '?l=' + encodeURIComponent(key) + (extra || '');
}
async function refresh() {
  const response = await fetch(q('/state'), {cache: 'no-store'});
  if (response.status === 404) { location.href = '/'; return; }
  show(await response.json());
}
function show(s) {
  document.title = s.title + ' - imrgen preview';
  if (s.errors.length) {
    errors.textContent = s.errors.map(e => (e.kind === 'case' ? 'Case ' : e.kind === 'template'
      ? 'Template ' : 'Error in ') + e.source + '\\n' + e.lines.map(l => '  ' + l).join('\\n')
    ).join('\\n\\n') + '\\n\\n(showing the last good render)';
    errors.hidden = false;
  } else {
    errors.textContent = '';
    errors.hidden = true;
  }
  if (s.html_version !== shown.html) {
    shown.html = s.html_version;
    let y = 0;
    try { y = frame.contentWindow.scrollY; } catch (e) {}
    frame.onload = () => { try { frame.contentWindow.scrollTo(0, y); } catch (e) {} };
    frame.src = q('/html', '&v=' + s.html_version);
  }
  if (s.pages_version !== shown.pages) {
    shown.pages = s.pages_version;
    const imgs = [];
    for (let n = 1; n <= s.page_count; n++) {
      const img = document.createElement('img');
      img.alt = 'page ' + n;
      img.src = q('/page', '&n=' + n + '&v=' + s.pages_version);
      imgs.push(img);
    }
    pages.replaceChildren(...imgs);
  }
  pages.classList.toggle('stale', s.pages_stale);
  status.textContent = 'html v' + s.html_version + ', pages v' + s.pages_version +
    (s.pages_stale ? ' (rendering pages...)' : '');
  document.body.dataset.htmlVersion = s.html_version;
  document.body.dataset.pagesVersion = s.pages_version;
  document.body.dataset.errors = s.errors.length;
}
const events = new EventSource(q('/events'));
for (const name of ['hello', 'html', 'pages', 'error', 'removed']) {
  events.addEventListener(name, e => {
    const d = JSON.parse(e.data);
    if (d.letter !== undefined && d.letter !== key) return;
    if (d.state) show(d.state); else refresh();
  });
}
"""

_INDEX_JS = """
const events = new EventSource('/events');
let timer = null;
function later() { clearTimeout(timer); timer = setTimeout(() => location.reload(), 150); }
for (const name of ['index', 'removed', 'error']) events.addEventListener(name, later);
events.addEventListener('html', e => { if (JSON.parse(e.data).cleared) later(); });
events.addEventListener('pages', e => {
  const d = JSON.parse(e.data);
  const img = document.querySelector(`li[data-letter="${CSS.escape(d.letter)}"] img`);
  if (!img) { later(); return; }
  img.src = '/page?l=' + encodeURIComponent(d.letter) + '&n=1&v=' + d.version;
});
"""


def _page(title: str, body: str, script: str, attrs: str = "") -> bytes:
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{markup.escape(title)}</title><style>{_CSS}</style></head>"
        f"<body{attrs}>{body}<script>{script}</script></body></html>\n"
    ).encode()


def index_page(preview: Preview) -> bytes:
    with preview._lock:
        letters = sorted(preview.letters.values(), key=lambda x: (x.edition, x.key))
        groups: dict[str, list[Letter]] = {}
        for letter in letters:
            groups.setdefault(letter.edition, []).append(letter)
        parts = [
            "<header><h1>imrgen preview</h1>"
            f"<span class='status' title='{markup.escape(str(preview.examples))}'>"
            f"{len(letters)} example letter(s) in {markup.escape(preview.examples.name)}/"
            "</span></header><main class='index'>"
        ]
        if not letters:
            parts.append("<p>No example cases (*.yaml, *.yml, *.json) found.</p>")
        for edition, group in groups.items():
            parts.append(f"<h2>Edition {markup.escape(edition)}</h2><ul class='letters'>")
            for letter in group:
                link = "/letter?l=" + quote(letter.key)
                thumb = (
                    f"<img alt='' src='/page?l={quote(letter.key)}&n=1&v={letter.pages_version}'>"
                    if letter.pages
                    else ""
                )
                badge = " <span class='badge'>error</span>" if letter.error else ""
                name = markup.escape(letter.key)
                parts.append(
                    f"<li data-letter='{name}'><a href='{link}'>{thumb}"
                    f"<span class='name'>{name}</span></a>{badge}</li>"
                )
            parts.append("</ul>")
        parts.append("</main>")
    return _page("imrgen preview", "".join(parts), _INDEX_JS)


def letter_page(preview: Preview, key: str) -> bytes | None:
    state = preview.state(key)
    if state is None:
        return None
    original = ""
    if state["original"] is not None:
        name = markup.escape(state["original"]["name"])
        if state["original"]["kind"] == "pdf":
            count = len(preview.original_pages(key))
            images = "".join(
                f"<img alt='original page {n}' src='/original?l={quote(key)}&n={n}'>"
                for n in range(1, count + 1)
            )
        else:
            images = f"<pre>{markup.escape(_read_text(preview, key))}</pre>"
        original = (
            f"<section class='column'><h2>Published original: {name}</h2>"
            f"<div class='scroll pages' id='original'>{images}</div></section>"
        )
    engine = (
        f" <span class='engine' id='engine'>({markup.escape(state['engine'])})</span>"
        if state["engine"]
        else ""
    )
    body = (
        f"<header><a href='/'>all letters</a><h1>{markup.escape(key)}</h1>"
        "<span class='status' id='status'></span></header>"
        "<div class='error' id='errors' role='alert' hidden></div>"
        "<div class='columns'>"
        "<section class='column'><h2>HTML</h2><div class='scroll'>"
        "<iframe id='html' title='the letter as HTML' sandbox='allow-same-origin'></iframe>"
        "</div></section>"
        f"<section class='column'><h2>Printed pages{engine}</h2>"
        "<div class='scroll pages' id='pages'></div></section>"
        f"{original}</div>"
    )
    attrs = f" data-letter='{markup.escape(key)}'"
    return _page(f"{state['title']} - imrgen preview", body, _LETTER_JS, attrs)


def _read_text(preview: Preview, key: str) -> str:
    letter = preview.letters.get(key)
    if letter is None or letter.source is None:
        return ""
    try:
        return letter.source.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


class _Handler(BaseHTTPRequestHandler):
    server: PreviewServer
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the library prints nothing

    def do_GET(self) -> None:
        if not self._host_allowed():
            # DNS rebinding: a web page's own name that now points at 127.0.0.1 would let it read
            # the example letters. Only a request sent to this address and port is answered.
            self._refuse(
                HTTPStatus.MISDIRECTED_REQUEST, "this server answers only to its own address"
            )
            return
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        preview = self.server.preview
        key = query.get("l", "")
        try:
            route: dict[str, Callable[[], None]] = {
                "/": lambda: self._send(index_page(preview), "text/html; charset=utf-8"),
                "/letter": lambda: self._send(letter_page(preview, key), "text/html"),
                "/html": lambda: self._letter_html(key),
                "/page": lambda: self._image(preview, key, query.get("n", ""), False),
                "/original": lambda: self._image(preview, key, query.get("n", ""), True),
                "/state": lambda: self._json(preview.state(key)),
                "/events": lambda: self._events(query.get("l")),
            }
            handler = route.get(url.path)
            if handler is None:
                self._send(None, "text/plain")
            else:
                handler()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away

    def _host_allowed(self) -> bool:
        host = (self.headers.get("Host") or "").strip().lower()
        return host in self.server.allowed_hosts

    def _refuse(self, status: HTTPStatus, reason: str) -> None:
        body = f"{status.value} {status.phrase}: {reason}\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send(
        self, body: bytes | None, media_type: str, extra: dict[str, str] | None = None
    ) -> None:
        if body is None:
            body, media_type = b"not found\n", "text/plain; charset=utf-8"
            self.send_response(HTTPStatus.NOT_FOUND)
        else:
            self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _letter_html(self, key: str) -> None:
        letter = self.server.preview.letters.get(key)
        text = letter.html if letter else None
        body = (
            text.encode()
            if text is not None
            else b"<!DOCTYPE html><p>No good render of this letter yet.</p>"
            if letter
            else None
        )
        # The letter is data on show: no scripts, nothing fetched from anywhere.
        csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"
        self._send(body, "text/html; charset=utf-8", {"Content-Security-Policy": csp})

    def _image(self, preview: Preview, key: str, number: str, original: bool) -> None:
        if original:
            images = preview.original_pages(key)
        else:
            letter = preview.letters.get(key)
            images = letter.pages if letter else []
        index = int(number) - 1 if number.isdigit() else -1
        self._send(images[index] if 0 <= index < len(images) else None, "image/png")

    def _json(self, data: dict[str, Any] | None) -> None:
        body = None if data is None else json.dumps(data).encode()
        self._send(body, "application/json")

    def _events(self, letter: str | None) -> None:
        hub = self.server.preview.hub
        q = hub.subscribe(letter)
        try:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(b"retry: 500\nevent: hello\ndata: {}\n\n")
            self.wfile.flush()
            while True:
                try:
                    item = q.get(timeout=15)
                except queue.Empty:
                    self.wfile.write(b": still here\n\n")
                    self.wfile.flush()
                    continue
                if item is None:
                    return
                event, data = item
                self.wfile.write(f"event: {event}\ndata: {data}\n\n".encode())
                self.wfile.flush()
        finally:
            hub.unsubscribe(q)


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, preview: Preview, port: int = 8000) -> None:
        self.preview = preview
        try:
            super().__init__((HOST, port), _Handler)
        except OSError as exc:
            raise ImrgenError(f"cannot serve on {HOST}:{port}: {exc.strerror}") from None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/"

    @property
    def allowed_hosts(self) -> frozenset[str]:
        """The Host headers of requests sent to this server: its address and port, by number or
        as localhost (the port left out only where it is HTTP's own, 80)."""
        port = self.server_address[1]
        names = (HOST, "localhost", "[::1]")
        hosts = {f"{name}:{port}" for name in names}
        if port == 80:
            hosts |= set(names)
        return frozenset(hosts)


@dataclass
class Running:
    """A started preview: its server thread, for tests, benches and the CLI."""

    preview: Preview
    server: PreviewServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        self.preview.stop()  # ends the event streams first, so shutdown does not wait on them
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()

    def __enter__(self) -> Running:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(preview: Preview, port: int = 8000) -> Running:
    """Render every example, start watching, and serve on 127.0.0.1 (port 0: any free port)."""
    server = PreviewServer(preview, port)
    try:
        preview.start()
    except BaseException:
        server.server_close()
        raise
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
    )
    thread.start()
    return Running(preview, server, thread)


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll until predicate() holds or the timeout passes (for tests and benches)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def stream_events(
    url: str, letter: str | None = None
) -> Generator[tuple[str, dict[str, Any]], None, None]:
    """Read the server's events as (event, data) pairs: what a browser's EventSource sees."""
    import http.client

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or HOST, parts.port, timeout=30)
    path = "/events" + (f"?l={quote(letter)}" if letter else "")
    connection.request("GET", path)
    response = connection.getresponse()
    try:
        event, data = "message", ""
        for raw in response:
            line = raw.decode().rstrip("\n")
            if not line:
                if data:
                    yield event, json.loads(data)
                event, data = "message", ""
            elif line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data += line[6:]
    finally:
        response.close()
        connection.close()
