"""Loopback upstreams for the bench: one answering at once, one after a fixed delay.

They run in a subprocess of their own (``python -m bench.upstream``) so that serving
HTTP does not take the GIL from the process that measures. Each answers any path with a
small JSON body, as a typical API would; a path under ``/delay/<duration>`` adds a
``Dispatched-Delay: <duration>`` header to that answer (the timer-accuracy series).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BODY = json.dumps({"ok": True, "items": [1, 2, 3], "note": "bench"}).encode()
DELAY_PATH = "/delay/"


def _handler(delay: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        disable_nagle_algorithm = True  # else every response waits ~40 ms for delayed ACK
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if delay:
                time.sleep(delay)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(BODY)))
            if self.path.startswith(DELAY_PATH):
                self.send_header("Dispatched-Delay", self.path.removeprefix(DELAY_PATH).split("/", 1)[0])
            self.end_headers()
            self.wfile.write(BODY)

        do_GET = do_POST = do_PUT = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def serve(delay: float) -> ThreadingHTTPServer:
    """A threaded loopback server answering after ``delay`` seconds; serving in a thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(delay))
    server.daemon_threads = True
    server.request_queue_size = 1024
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@dataclass
class Upstreams:
    """Base URLs of the running upstreams, keyed by their delay in ms."""

    urls: dict[int, str]
    process: subprocess.Popen[str]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_upstreams(delays_ms: tuple[int, ...] = (0, 50)) -> Upstreams:
    """Start the upstream subprocess; returns once every server listens."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.upstream", *map(str, delays_ms)],
        stdout=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        raise RuntimeError("the bench upstream did not start")
    ports = json.loads(line)
    return Upstreams({int(d): f"http://127.0.0.1:{p}" for d, p in ports.items()}, process)


def exit_with_parent() -> None:
    """End this process when the bench that started it is gone (killed, say), so no
    orphan keeps a port or a pipe open."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def main(argv: list[str]) -> None:
    servers = {int(ms): serve(int(ms) / 1000) for ms in argv}
    print(json.dumps({ms: s.server_address[1] for ms, s in servers.items()}), flush=True)
    exit_with_parent()


if __name__ == "__main__":
    main(sys.argv[1:])
