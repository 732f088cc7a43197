"""Upgrading from before projects (SPEC §6): a ``dispatched dev`` data dir made by the
previous release (tests/cli/fixtures/dev-v1, see its README) starts under today's code,
its registry moves into ``default``, and the run that was waiting carries on."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from tests.cli.devproc import DevProcess

FIXTURE = Path(__file__).parent / "fixtures" / "dev-v1"
WAITING_RUN = "run_bb4a9d0243bdfc13e4c559f71e"
OPERATOR_TOKEN = "fixture-operator-token"


@pytest.fixture
def old_data_dir(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    shutil.copytree(FIXTURE, data_dir, ignore=shutil.ignore_patterns("README.md"))
    return data_dir


def _schema_version(path: Path) -> int | None:
    with sqlite3.connect(path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "schema_version" not in tables:
            return None
        return int(conn.execute("SELECT version FROM schema_version").fetchone()[0])


def _record(log: Path, message: str) -> dict[str, object]:
    """The last JSON record of ``log`` with ``message``, waiting a little for it."""
    deadline = time.monotonic() + 15
    while True:
        lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
        found = [r for r in lines if r.get("message") == message]
        if found:
            return found[-1]
        assert time.monotonic() < deadline, f"no {message!r} in {log.name}:\n{log.read_text()}"
        time.sleep(0.2)


@pytest.mark.timeout(180)
def test_a_run_waiting_before_the_upgrade_completes_after_it(old_data_dir: Path) -> None:
    assert _schema_version(old_data_dir / "dispatched.db") is None  # made before versioning
    dev = DevProcess(old_data_dir)
    dev.env["DISPATCHED_TOKEN"] = OPERATOR_TOKEN
    try:
        dev.start(timeout=90)
        assert _schema_version(old_data_dir / "dispatched.db") == 2
        state = json.loads(dev.ok("run", "show", WAITING_RUN, "--json"))
        assert state["workflow"] == "upgrade-wait" and state["steps"]["hold"]["status"] == "waiting"
        assert WAITING_RUN in dev.ok("run", "list")  # listed in default, without a project attribute
        workflows = json.loads(dev.ok("workflow", "list", "--json"))
        assert "upgrade-wait" in [w["name"] for w in workflows]  # the old registry's workflows are default's
        secrets = {s["name"]: s["status"] for s in json.loads(dev.ok("secrets", "list", "--json"))}
        assert secrets["ECOM_API_URL"] == "set"
        dev.ok("run", "signal", WAITING_RUN, "resume", "--data", '{"note": "after the upgrade"}')
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = json.loads(dev.ok("run", "show", WAITING_RUN, "--json"))
            if state["status"] != "running":
                break
            time.sleep(0.5)
        assert state["status"] == "completed", state
        assert state["steps"]["after_upgrade"]["status"] == "completed"
        # The request after the upgrade read the old registry's secret, in the default project.
        events = json.loads(dev.ok("run", "events", WAITING_RUN, "--json"))
        assert [e["type"] for e in events if e.get("step") == "after_upgrade"][-1] == "step.completed"
        # The logs are JSON lines that say which run, workflow and project (SPEC §9).
        another = dev.ok("run", "start", "upgrade-wait", "--async").strip()
        expected = {"run_id": another, "workflow": "upgrade-wait", "project": "default", "message": "run triggered"}
        assert expected.items() <= _record(old_data_dir / "logs" / "gateway.log", "run triggered").items()
        finished = _record(old_data_dir / "logs" / "worker.log", "run completed")
        assert {"run_id": WAITING_RUN, "workflow": "upgrade-wait", "project": "default"}.items() <= finished.items()
    finally:
        dev.kill()
