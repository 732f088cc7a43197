"""A threaded socket server on 127.0.0.1 for the tests' upstreams: its URL, start, stop."""

from __future__ import annotations

import socketserver
import threading
from typing import Self


class LoopbackServer:
    """Runs ``server`` (bound to 127.0.0.1, port 0) in a daemon thread once started."""

    def __init__(self, server: socketserver.TCPServer) -> None:
        if isinstance(server, socketserver.ThreadingMixIn):
            server.daemon_threads = True  # a hung handler must not keep the test process alive
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
