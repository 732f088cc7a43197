"""The processes' logging (runtime.logs), in a real child process: it reconfigures the
root logger, which must not happen to pytest's own. The child makes a real httpx request
to a loopback server, so "httpx stays quiet" is checked against what httpx really logs."""

from __future__ import annotations

import json
import os
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
    log.warning("step failed", extra={"run_id": "run_x", "step": "fetch", "workflow": "wf", "project": "shop"})

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
def records(stderr: str) -> list[dict[str, object]]:
    """Every stderr line parsed as JSON: a line that is not JSON fails the test."""
    return [json.loads(line) for line in stderr.splitlines()]


def run_child(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DISPATCHED_")}
    return subprocess.run([sys.executable, "-c", CHILD], env={**clean, **env}, capture_output=True, text=True,
                          timeout=60, check=True)


def test_info_records_go_to_stderr_one_line_each_and_httpx_stays_at_warning() -> None:
    child = run_child()
    found = records(child.stderr)  # every line is one JSON record ...
    assert found[0]["level"] == "INFO" and found[0]["logger"] == "dispatched.test"
    assert found[0]["message"] == "started on here" and str(found[0]["at"]).endswith("+00:00")
    assert len(found) == 3  # ... a message's line break stays inside its record
    assert found[1]["message"] == "first line\nforged 2026-01-01 00:00:00,000 ERROR root: looks like a record"
    assert found[2] == {**found[2], "run_id": "run_x", "step": "fetch", "workflow": "wf", "project": "shop"}
    assert "a debug line" not in child.stderr  # INFO is the default level
    assert child.stdout == "WARNING WARNING\n"  # nothing logged to stdout; httpx and httpcore held at WARNING
    assert "CANARY" not in child.stderr and "HTTP Request" not in child.stderr


def test_the_level_comes_from_the_environment_but_httpx_stays_quiet() -> None:
    child = run_child(DISPATCHED_LOG_LEVEL="debug")
    assert {"level": "DEBUG", "message": "a debug line"}.items() <= records(child.stderr)[1].items()
    assert child.stdout == "WARNING WARNING\n"
    assert "CANARY" not in child.stderr  # httpcore's DEBUG lines carry every header
