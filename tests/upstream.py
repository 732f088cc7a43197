"""Real HTTP upstreams for tests: a threaded server on 127.0.0.1 with routes set per test.

Each route answers with a fixed reply or a function of the request, and every request
is recorded, so tests assert on what Dispatched actually sent over the wire.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.loopback import LoopbackServer


@dataclass
class Received:
    """One request as the upstream saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    """What a route answers. ``body`` that is not bytes/str is sent as JSON."""

    status: int = 200
    body: Any = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0

    def encode(self) -> tuple[bytes, list[tuple[str, str]]]:
        headers = list(self.headers)
        if isinstance(self.body, bytes):
            return self.body, headers
        if isinstance(self.body, str):
            if not any(k.lower() == "content-type" for k, _ in headers):
                headers.append(("Content-Type", "text/plain"))
            return self.body.encode(), headers
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "application/json"))
        return json.dumps(self.body).encode(), headers


Responder = Reply | Callable[[Received], Reply]


class Upstream(LoopbackServer):
    """A loopback HTTP server; ``route()`` sets answers, ``requests`` records traffic."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Responder]] = {}
        self.requests: list[Received] = []
        self._lock = threading.Lock()
        super().__init__(ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class()))

    def route(self, method: str, path: str, *replies: Responder) -> None:
        """Answer ``method path`` with ``replies`` in turn (the last one repeats)."""
        self.routes[(method.upper(), path)] = list(replies)

    def received(self, method: str, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.method == method.upper() and r.path == path]

    def _answer(self, received: Received) -> Reply:
        with self._lock:
            self.requests.append(received)
            replies = self.routes.get((received.method, received.path))
            if not replies:
                return Reply(404, {"error": f"no route {received.method} {received.path}"})
            responder = replies.pop(0) if len(replies) > 1 else replies[0]
        return responder(received) if callable(responder) else responder

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # else every response waits ~40 ms for delayed ACK
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                received = Received(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    at=time.monotonic(),
                )
                reply = upstream._answer(received)
                if reply.delay:
                    time.sleep(reply.delay)
                payload, headers = reply.encode()
                self.send_response(reply.status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
