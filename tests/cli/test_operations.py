"""Both seed walkthroughs on a real ``dispatched dev``, then what an operator sees (SPEC §9):
the gateway's and the worker's metrics name the workflows and outcomes, and every line of
``gateway.log`` and ``worker.log`` is one JSON object, with no secret value and no query
string in it, and an access line for each request."""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.cli.devproc import DevProcess

CANARY = f"canary-{secrets.token_hex(8)}"
RUN_ID = re.compile(r"run_[0-9a-f]{26}")
TOKEN_SECRETS = ("ORDER_SERVICE_TOKEN", "PAYMENT_GATEWAY_TOKEN", "FRAUD_SERVICE_TOKEN")


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DevProcess, str, str]]:
    """A dev stack after both walkthroughs: (dev, gateway metrics text, worker metrics text).
    dev is stopped before the logs are read, so every line is flushed."""
    dev = DevProcess(tmp_path_factory.mktemp("ops") / "data")
    try:
        dev.start()
        for name in TOKEN_SECRETS:  # the demo accepts any bearer: the canary travels as one
            dev.ok("secrets", "set", name, f"{CANARY}-{name}")
        token = (dev.data_dir / "token").read_text().strip()
        _checkout_by_cli(dev)
        _checkout_by_curl(dev, token)
        answer = json.loads(dev.ok("run", "start", "response-header-directives", "--data", '{"order_id": "ord_42"}'))
        assert answer == {"order_id": "ord_42", "status": "confirmed"}
        dev.ok("run", "list", "--workflow", "async-checkout", "--status", "completed")  # a query string
        gateway = _scrape(f"http://127.0.0.1:{dev.port}/metrics", "dispatched_triggers_total")
        worker = _scrape(f"http://127.0.0.1:{dev.metrics_port}/metrics", 'dispatched_runs_total{')
        # The spawned child finishes on its own time: wait for its run to be counted.
        worker = _scrape(f"http://127.0.0.1:{dev.metrics_port}/metrics", 'workflow="fulfill-order"')
        assert dev.stop()[0] == 0
        yield dev, gateway, worker
    finally:
        dev.kill()


def _checkout_by_cli(dev: DevProcess) -> None:
    run = dev.ok("run", "start", "async-checkout", "--async", "--data", '{"user_id": "user_42"}').strip()
    _until_step(dev, run, "confirm_address", "waiting")
    dev.ok("run", "signal", run, "address-submitted", "--data", '{"street": "100 Main St", "city": "Berlin", "zip": "10115"}')
    _until_step(dev, run, "select_shipping", "waiting")
    dev.ok("run", "signal", run, "shipping-selected", "--data", '{"method": "express"}')
    _until_step(dev, run, "confirm_payment", "waiting")
    dev.ok("run", "signal", run, "payment-confirmed", "--data", '{"confirmed_at": "2026-05-15T12:00:00Z"}')
    _until_step(dev, run, "finalize_order", "completed")


def _checkout_by_curl(dev: DevProcess, token: str) -> None:
    session = {"Dispatched-Session": token}
    with httpx.Client(base_url=f"http://127.0.0.1:{dev.port}", timeout=30) as curl:
        started = curl.post("/workflows/async-checkout", json={"user_id": "user_42"},
                            headers={**session, "Prefer": "respond-async"})
        assert started.status_code == 202, started.text
        run = started.json()["run_id"]
        for step, signal, payload in (
            ("confirm_address", "address-submitted", {"street": "100 Main St", "city": "Berlin", "zip": "10115"}),
            ("select_shipping", "shipping-selected", {"method": "express"}),
            ("confirm_payment", "payment-confirmed", {"confirmed_at": "2026-05-15T12:00:00Z"}),
        ):
            _until(lambda step=step: curl.get(f"/api/runs/{run}", headers=session).json()["steps"][step]["status"] == "waiting")
            assert curl.post(f"/api/runs/{run}/signal/{signal}", json=payload, headers=session).status_code == 202
        _until(lambda: curl.get(f"/api/runs/{run}", headers=session).json()["status"] == "completed")


def _until_step(dev: DevProcess, run: str, step: str, status: str) -> None:
    _until(lambda: re.search(rf"^{step}\s+{status}\s", dev.ok("run", "show", run), re.MULTILINE) is not None)


def _until(reached: object, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not reached():  # type: ignore[operator]
        assert time.monotonic() < deadline, "never reached"
        time.sleep(0.2)


def _scrape(url: str, needle: str, timeout: float = 30) -> str:
    """The metrics text at ``url`` once it contains ``needle`` (the worker's SDK exporter
    and the counters of a run that just closed take a moment to show)."""
    deadline = time.monotonic() + timeout
    while True:
        text = httpx.get(url, timeout=10).text
        if needle in text:
            return text
        assert time.monotonic() < deadline, f"{url} never showed {needle!r}:\n{text[:4000]}"
        time.sleep(0.5)


def _samples(text: str, name: str) -> dict[frozenset[tuple[str, str]], float]:
    """Samples of metric ``name``: their label sets and values."""
    found: dict[frozenset[tuple[str, str]], float] = {}
    for line in text.splitlines():
        match = re.fullmatch(rf"{re.escape(name)}\{{(.*)\}} (\S+)", line)
        if match:
            labels = frozenset(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
            found[labels] = found.get(labels, 0) + float(match.group(2))
    return found


def _count(samples: dict[frozenset[tuple[str, str]], float], **labels: str) -> float:
    wanted = set(labels.items())
    return sum(value for key, value in samples.items() if wanted <= key)


def test_gateway_metrics_name_the_workflows_and_outcomes(walked: tuple[DevProcess, str, str]) -> None:
    _, gateway, _ = walked
    triggers = _samples(gateway, "dispatched_triggers_total")
    assert _count(triggers, workflow="async-checkout", project="default", outcome="accepted") == 2
    assert _count(triggers, workflow="response-header-directives", project="default", outcome="answered") == 1
    assert _count(_samples(gateway, "dispatched_trigger_seconds_count"), workflow="response-header-directives") == 1
    assert not RUN_ID.search(gateway)  # bounded labels: no run ids


def test_worker_metrics_count_runs_steps_directives_and_the_sdk(walked: tuple[DevProcess, str, str]) -> None:
    _, _, worker = walked
    runs = _samples(worker, "dispatched_runs_total")
    assert _count(runs, workflow="async-checkout", status="completed") == 2
    assert _count(runs, workflow="response-header-directives", status="completed") == 1
    assert _count(runs, workflow="fulfill-order", status="completed") == 1
    steps = _samples(worker, "dispatched_steps_total")
    assert _count(steps, workflow="async-checkout", kind="wait", outcome="completed") == 6  # 3 waits × 2 runs
    assert _count(steps, workflow="async-checkout", kind="request", outcome="completed") >= 2
    directives = _samples(worker, "dispatched_directives_total")
    assert {"delay", "spawn", "signal", "log"} <= {dict(key)["kind"] for key in directives}
    assert re.search(r"^temporal_\w+", worker, re.MULTILINE), "no Temporal SDK metrics on the worker's endpoint"
    assert not RUN_ID.search(worker)


@pytest.mark.parametrize("process", ["gateway", "worker"])
def test_every_log_line_is_json_without_a_secret(walked: tuple[DevProcess, str, str], process: str) -> None:
    dev, _, _ = walked
    text = (dev.data_dir / "logs" / f"{process}.log").read_text()
    token = (dev.data_dir / "token").read_text().strip()
    lines = text.splitlines()
    assert lines, f"{process}.log is empty"
    for number, line in enumerate(lines, 1):
        record = json.loads(line)  # raises on a line that is not one JSON object
        assert isinstance(record, dict) and {"at", "level", "logger", "message"} <= record.keys(), (number, line)
    assert CANARY not in text
    assert token not in text


def test_the_access_log_has_each_request_without_query_strings(walked: tuple[DevProcess, str, str]) -> None:
    dev, _, _ = walked
    records = [json.loads(line) for line in (dev.data_dir / "logs" / "gateway.log").read_text().splitlines()]
    access = [r for r in records if r["logger"] == "dispatched.access"]
    assert all("?" not in r["path"] and "?" not in r["message"] for r in access)
    triggers = [r for r in access if r["method"] == "POST" and r["path"] == "/workflows/async-checkout"]
    assert [r["status"] for r in triggers] == [202, 202] and all(r["project"] == "default" for r in triggers)
    signals = [r for r in access if "/signal/" in r["path"]]
    assert len(signals) == 6 and {r["status"] for r in signals} == {202} and all(r["run_id"].startswith("run_") for r in signals)
    assert any(r["path"] == "/api/runs" and r["method"] == "GET" for r in access)  # the list, its filters dropped
    assert all(isinstance(r["duration_ms"], float) for r in access)
