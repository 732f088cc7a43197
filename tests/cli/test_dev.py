"""``dispatched dev`` for real: startup, the CLI finding it, clean shutdown, and (faults)
a waiting run that carries on after dev is stopped and started again on its data dir."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.dev.temporal_server import port_is_free
from tests.cli.devproc import DevProcess, alive


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[DevProcess]:
    process = DevProcess(tmp_path / "data")
    try:
        yield process
    finally:
        process.kill()


def test_dev_starts_deploys_examples_and_stops_without_orphans(dev: DevProcess) -> None:
    banner = dev.start()
    token = (dev.data_dir / "token").read_text().strip()
    assert f"gateway  http://127.0.0.1:{dev.port}" in banner
    assert f"Web UI   http://127.0.0.1:{dev.ui_port}" in banner
    assert f"token    {token}" in banner and token.startswith("dsp_")
    assert (dev.data_dir / "url").read_text().strip() == f"http://127.0.0.1:{dev.port}"

    workflows = dev.ok("workflow", "list")  # no DISPATCHED_URL/TOKEN: found in the data dir
    names = {line.split()[0] for line in workflows.splitlines()[1:]}
    assert names == {"async-checkout", "response-header-directives", "fulfill-order", "respond-early"}
    secrets = {line.split()[0] for line in dev.ok("secrets", "list").splitlines()[1:]}
    assert {"ECOM_API_URL", "ORDER_SERVICE_URL", "PAYMENT_GATEWAY_URL", "FRAUD_SERVICE_URL",
            "ORDER_SERVICE_TOKEN", "PAYMENT_GATEWAY_TOKEN", "FRAUD_SERVICE_TOKEN"} <= secrets

    logs = dev.data_dir / "logs"
    _wait_for_record(logs / "gateway.log", "dispatched.gateway", f"gateway started on http://127.0.0.1:{dev.port}")
    _wait_for_record(logs / "worker.log", "dispatched.worker",
                     f"worker started: task queue dispatched, namespace default, Temporal 127.0.0.1:{dev.temporal_port}")

    status, descendants = dev.stop()
    assert status == 0
    assert len(descendants) >= 3  # temporal, gateway, worker
    time.sleep(0.5)
    assert not [pid for pid in descendants if alive(pid)]
    assert port_is_free("127.0.0.1", dev.port) and port_is_free("127.0.0.1", dev.temporal_port)
    assert (dev.data_dir / "temporal.db").is_file() and (dev.data_dir / "dispatched.db").is_file()
    for name in ("gateway", "worker"):
        log = (logs / f"{name}.log").read_text()
        lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        assert {"level": "INFO", "logger": f"dispatched.{name}", "message": f"{name} stopped"}.items() <= lines[-1].items()
        assert token not in log


def _records(log: Path) -> list[dict[str, object]]:
    """The JSON records of a process's log (dev's own lines about it excepted)."""
    text = log.read_text() if log.is_file() else ""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def _wait_for_record(log: Path, logger: str, message: str, timeout: float = 15) -> None:
    """Wait for an INFO record of ``logger`` saying ``message``: the worker says it started
    a moment after dev's banner."""
    deadline = time.monotonic() + timeout
    while not any(r.get("logger") == logger and r.get("message") == message and r.get("level") == "INFO"
                  for r in _records(log)):
        assert time.monotonic() < deadline, f"{log.name} never said {message!r}:\n{log.read_text()}"
        time.sleep(0.2)


def test_the_banner_tells_a_second_terminal_how_to_run_the_cli(dev: DevProcess) -> None:
    banner = dev.start()
    lines = banner.splitlines()
    hint = lines[lines.index("From another terminal, put the CLI on PATH first:") + 1:]
    bin_dir = Path(sys.executable).parent  # where this venv's `dispatched` is
    on_path = re.findall(r'source \S+|export PATH="[^"]+"', hint[0])
    assert on_path == [f"source {bin_dir / 'activate'}", f'export PATH="{bin_dir}:$PATH"'], hint[0]
    assert hint[1] == "It then finds the gateway and token with:"  # a --data-dir: the CLI must be told
    assert hint[2] == f"  export DISPATCHED_DATA_DIR={dev.data_dir.resolve()}"
    # A new terminal: no venv on PATH, nothing of Dispatched's in the environment.
    shell = {"PATH": "/usr/bin:/bin", "HOME": str(dev.data_dir.parent)}
    for command in on_path:
        script = f"{command}\n{hint[2].strip()}\ndispatched workflow list"
        result = subprocess.run(["bash", "-c", script], env=shell, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, (script, result.stderr)
        assert "async-checkout" in result.stdout
    assert dev.stop()[0] == 0


def _wait_for(dev: DevProcess, run: str, step: str, status: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while True:
        shown = dev.ok("run", "show", run)
        if re.search(rf"^{step}\s+{status}\s", shown, re.MULTILINE):
            return shown
        assert time.monotonic() < deadline, f"{step} never became {status}:\n{shown}"
        time.sleep(0.3)


@pytest.mark.faults
def test_waiting_run_survives_dev_restart_on_the_same_data_dir(dev: DevProcess) -> None:
    dev.start()
    run = dev.ok("run", "start", "async-checkout", "--async", "--data", '{"user_id": "user_42"}').strip()
    _wait_for(dev, run, "confirm_address", "waiting")
    assert dev.stop()[0] == 0

    again = DevProcess(dev.data_dir, ports=(dev.port, dev.temporal_port, dev.ui_port))
    try:
        again.start()
        assert "revision 2" not in again.ok("workflow", "show", "async-checkout")  # unchanged: not redeployed
        _wait_for(again, run, "confirm_address", "waiting")
        again.ok("run", "signal", run, "address-submitted", "--data", '{"street": "100 Main St"}')
        _wait_for(again, run, "select_shipping", "waiting")  # compute_shipping reached the demo again
        again.ok("run", "signal", run, "shipping-selected", "--data", '{"method": "express"}')
        again.ok("run", "signal", run, "payment-confirmed", "--data", "{}")
        final = _wait_for(again, run, "finalize_order", "completed")
        assert re.search(r"^status\s+completed$", final, re.MULTILINE)
        assert again.stop()[0] == 0
    finally:
        again.kill()
