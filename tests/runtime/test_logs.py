"""The processes' logging (runtime.logs), in a real child process: it reconfigures the
root logger, which must not happen to pytest's own. The child makes a real httpx request
to a loopback server, so "httpx stays quiet" is checked against what httpx really logs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent("""
    import http.server, logging, threading
    import httpx
    from runtime.logs import setup_logging
    from runtime.settings import Settings

    setup_logging(Settings().log_level)
    log = logging.getLogger("dispatched.test")
    log.info("started on %s", "here")
    log.debug("a debug line")
    log.info("first line\\nforged 2026-01-01 00:00:00,000 ERROR root: looks like a record")

    class Quiet(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/path?key=CANARY_QUERY"
    httpx.get(url, headers={"authorization": "Bearer CANARY_HEADER"})
    server.shutdown()
    print(logging.getLevelName(logging.getLogger("httpx").level),
          logging.getLevelName(logging.getLogger("httpcore").level))
""")
RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: ")


def run_child(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DISPATCHED_")}
    return subprocess.run([sys.executable, "-c", CHILD], env={**clean, **env}, capture_output=True, text=True,
                          timeout=60, check=True)


def test_info_records_go_to_stderr_one_line_each_and_httpx_stays_at_warning() -> None:
    child = run_child()
    lines = child.stderr.splitlines()
    assert lines[0].endswith(" INFO dispatched.test: started on here"), child.stderr
    assert all(RECORD.match(line) for line in lines), child.stderr  # every line starts a record ...
    assert len(lines) == 2 and "first line\\nforged" in lines[1]  # ... a message's line break is escaped
    assert "a debug line" not in child.stderr  # INFO is the default level
    assert child.stdout == "WARNING WARNING\n"  # nothing logged to stdout; httpx and httpcore held at WARNING
    assert "CANARY" not in child.stderr and "HTTP Request" not in child.stderr


def test_the_level_comes_from_the_environment_but_httpx_stays_quiet() -> None:
    child = run_child(DISPATCHED_LOG_LEVEL="debug")
    assert " DEBUG dispatched.test: a debug line" in child.stderr
    assert child.stdout == "WARNING WARNING\n"
    assert "CANARY" not in child.stderr  # httpcore's DEBUG lines carry every header
