"""An upstream that misbehaves below HTTP: it can cut a response off mid-body.

:class:`tests.upstream.Upstream` always sends well-formed answers; a reset mid-body
needs a server that declares a ``Content-Length`` and closes the socket after half of
it. Each connection takes the next entry of a script (the last one repeats).
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from dataclasses import dataclass
from typing import Literal

from tests.loopback import LoopbackServer

Behaviour = Literal["reset", "ok"]
BODY = b'{"ok": true, "padding": "' + b"x" * 80 + b'"}'


@dataclass
class Seen:
    """One request head as the server read it."""

    head: str
    at: float

    def header(self, name: str) -> str | None:
        for line in self.head.split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None


class ResettingUpstream(LoopbackServer):
    """A loopback server that answers each connection per ``script``."""

    def __init__(self, *script: Behaviour) -> None:
        self.script: list[Behaviour] = list(script) or ["reset"]
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        super().__init__(socketserver.ThreadingTCPServer(("127.0.0.1", 0), self._handler_class()))

    def _next(self, head: str) -> Behaviour:
        with self._lock:
            self.seen.append(Seen(head, time.monotonic()))
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    def _handler_class(self) -> type[socketserver.BaseRequestHandler]:
        upstream = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn: socket.socket = self.request
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                behaviour = upstream._next(data.split(b"\r\n\r\n", 1)[0].decode("latin-1"))
                head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        f"Content-Length: {len(BODY)}\r\nConnection: close\r\n\r\n").encode()
                body = BODY[: len(BODY) // 2] if behaviour == "reset" else BODY
                conn.sendall(head + body)
                if behaviour == "reset":
                    # Let the client take the head and start on the body, then hang up.
                    time.sleep(0.2)
                conn.close()

        return Handler
