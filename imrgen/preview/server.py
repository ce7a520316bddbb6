"""The preview's HTTP server on 127.0.0.1: its pages, the letter's HTML and page images, its
state as JSON and the server-sent events, answered only to requests sent to its own address."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..errors import ImrgenError
from .events import HOST
from .pages import index_page, letter_page
from .state import Preview


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
