"""The preview's state and rebuild step: every example letter's last good renders, what a
file change touches, and rendering the HTML at once and the printed pages next."""

from __future__ import annotations

import os
import re
import threading
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..case.loading import CASE_SUFFIXES, load_case
from ..case.model import Case
from ..errors import CaseError, ImrgenError
from ..letter import caches
from ..letter.caches import RenderCache
from ..letter.templates import TemplateSet
from ..writers import RenderOptions, get_writer
from ..writers.pdf_writer import PdfWriter, engine_for
from .events import EventHub
from .images import PAGE_SCALE, png_pages
from .watcher import page_worker, watch

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
        bases.append(Path(__file__).resolve().parents[3] / "shared")  # a checkout
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
            pages = png_pages(get_writer("pdf").write(case, self._options()), self.scale)
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
                pages = png_pages(source, self.scale)
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
        for target, name in ((page_worker, "pages"), (watch, "watch")):
            thread = threading.Thread(
                target=target, args=(self,), name=f"imrgen-preview-{name}", daemon=True
            )
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
