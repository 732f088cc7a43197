"""The real ``dispatched`` console script: one-line errors and exit codes, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

DISPATCHED = str(Path(sys.executable).parent / "dispatched")


def dispatched(*args: str, env: dict[str, str] | None = None, stdin: str | None = None,
               cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed console script as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([DISPATCHED, *args], env=full_env, input=stdin, capture_output=True, text=True,
                          timeout=60, cwd=cwd)


@pytest.fixture
def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_unreachable_gateway_is_one_line_and_exit_3(closed_port_url: str) -> None:
    result = dispatched("run", "show", "run_x", env={"DISPATCHED_URL": closed_port_url, "DISPATCHED_TOKEN": "t"})
    assert result.returncode == 3
    assert result.stderr == f"error: cannot reach the gateway at {closed_port_url}: is `dispatched dev` running?\n"
    assert result.stdout == ""


def test_bad_data_fails_before_any_request(closed_port_url: str) -> None:
    result = dispatched("run", "start", "async-checkout", "--data", "{nope",
                        env={"DISPATCHED_URL": closed_port_url})
    assert result.returncode == 1
    assert result.stderr.startswith("error: bad_data: --data is not valid JSON (line 1, column 2)")
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_usage_errors_exit_2() -> None:
    result = dispatched("run", "frobnicate")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_validate_needs_no_gateway_and_lists_located_problems(tmp_path: Path, closed_port_url: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nsteps:\n  a:\n    wait:\n      signal: go\n      timout: 5m\n  b:\n    after: [nope]\n"
                   "    request: {url: 'http://x'}\n")
    result = dispatched("workflow", "validate", str(bad), env={"DISPATCHED_URL": closed_port_url})
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == f"error: invalid_document: {bad} has {len(lines) - 1} problem(s)"
    assert any("timout" in line and "line 6" in line for line in lines[1:])
    assert any("nope" in line and "line 8" in line for line in lines[1:])


def test_validate_accepts_the_examples_and_reports_warnings() -> None:
    examples = Path(__file__).resolve().parents[2] / "examples"
    for path in sorted(examples.glob("*.yaml")):
        result = dispatched("workflow", "validate", str(path))
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith(f"{path}: valid (")
    # async-checkout's waits all have timeouts; fulfill-order has no waits: no warnings either way.
    json_result = dispatched("workflow", "validate", "--json", str(examples / "async-checkout.json"))
    assert json_result.returncode == 0
    assert '"valid": true' in json_result.stdout


def test_follow_gives_up_after_a_few_reconnects_with_a_clear_message(
    closed_port_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli.client import GatewayClient
    from cli.config import GatewayTarget
    from cli.errors import CliError
    from cli.events import MAX_RECONNECTS, follow_events

    pauses: list[float] = []
    with GatewayClient(GatewayTarget(closed_port_url, "t")) as client, pytest.raises(CliError) as gave_up:
        follow_events(client, "run_x", as_json=False, sleep=pauses.append)
    assert len(pauses) == MAX_RECONNECTS and pauses == sorted(pauses)
    assert gave_up.value.exit_code == 3
    assert str(gave_up.value) == (
        f"error: stream_lost: lost the connection to the gateway; gave up after {MAX_RECONNECTS} reconnects "
        "(last event seq 0); resume with `dispatched run events run_x --follow`"
    )
    assert capsys.readouterr().err.count("reconnecting from seq 0") == MAX_RECONNECTS
