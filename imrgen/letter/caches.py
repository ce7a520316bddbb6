"""What rendering keeps from one letter to the next (compiled templates, parsed stylesheets), in
an object with an owner. The process has a default one; a long-lived caller (the preview) makes
its own, passes it in the render options and asks it to forget what a save made stale. Nothing
clears a cache it does not own."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

TEMPLATES = "templates"  # compiled Jinja environments, per (template set, family, language)
STYLES = "styles"  # stylesheets parsed by the PDF writer, per (template set, language)


class RenderCache:
    """Values made once and kept, by kind and key, until the owner asks to forget them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, dict[Hashable, Any]] = {}
        self._made: dict[str, int] = {}

    def get(self, kind: str, key: Hashable, make: Callable[[], T]) -> T:
        """The kept value, or make() kept from now on. make() runs outside the lock (it may take
        a while, and may itself ask this cache for something); if two threads make the same
        value at once, the first kept is the one both get."""
        with self._lock:
            entries = self._entries.setdefault(kind, {})
            if key in entries:
                value: T = entries[key]
                return value
        made = make()
        with self._lock:
            entries = self._entries.setdefault(kind, {})
            if key not in entries:
                entries[key] = made
                self._made[kind] = self._made.get(kind, 0) + 1
            kept: T = entries[key]
            return kept

    def forget(self, *kinds: str) -> None:
        """Drop what is kept of these kinds (of every kind when none is named)."""
        with self._lock:
            for kind in kinds or tuple(self._entries):
                self._entries.pop(kind, None)

    def made(self, kind: str) -> int:
        """How many values of this kind were made and kept so far (for tests and benches)."""
        with self._lock:
            return self._made.get(kind, 0)

    def __reduce__(self) -> tuple[Any, ...]:
        # Render options travel to pool and Dask workers: the default cache arrives as that
        # process's own default (warmed there); another arrives empty, never as a copy.
        if self is DEFAULT_CACHE:
            return (default_cache, ())
        return (RenderCache, ())


DEFAULT_CACHE = RenderCache()


def default_cache() -> RenderCache:
    """The process's own cache: what renders without a cache of their own share."""
    return DEFAULT_CACHE
