"""Server-sent events: the hub the rebuild step publishes to, and a client reading them."""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Generator
from typing import Any
from urllib.parse import quote, urlsplit

HOST = "127.0.0.1"


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
