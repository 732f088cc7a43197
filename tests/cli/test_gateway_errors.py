"""The gateway's refusals reach the terminal as one line (``error: <code>: <message>``)
with a non-zero exit, and a sync start prints the run's published answer."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from tests.cli.conftest import EXAMPLES, Live


def one_error_line(stderr: str, code: str) -> str:
    lines = stderr.splitlines()
    assert lines and lines[0].startswith(f"error: {code}: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


async def test_wrong_token_unknown_run_and_unknown_workflow(live: Live) -> None:
    denied = await live.cli("workflow", "list", token="dsp_wrong")
    assert denied.returncode == 1 and denied.stderr.count("\n") == 1
    one_error_line(denied.stderr, "unauthorized")

    missing = await live.cli("run", "show", "run_doesnotexist")
    assert missing.returncode == 1 and missing.stdout == ""
    assert "run_doesnotexist" in one_error_line(missing.stderr, "run_not_found")

    unknown = await live.cli("run", "start", "no-such-workflow", "--async")
    assert unknown.returncode == 1
    one_error_line(unknown.stderr, "workflow_not_found")


async def test_signal_to_a_closed_run_is_409(live: Live) -> None:
    await live.ok("secrets", "set", "ECOM_API_URL", live.demo.secret_values()["ECOM_API_URL"])
    await live.ok("workflow", "deploy", str(EXAMPLES / "async-checkout.yaml"))
    run = (await live.ok("run", "start", "async-checkout", "--async", "--data", "{}")).strip()
    await live.ok("run", "cancel", run)
    for _ in range(50):
        if json.loads(await live.ok("run", "show", run, "--json"))["status"] == "cancelled":
            break
        await asyncio.sleep(0.2)
    closed = await live.cli("run", "signal", run, "address-submitted", "--data", "{}")
    assert closed.returncode == 1
    one_error_line(closed.stderr, "run_closed")


async def test_invalid_document_lists_every_located_problem(live: Live, tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: broken\nsteps:\n  a:\n    wait:\n      signal: go\n      timout: 5m\n"
                   "  b:\n    after: [nope]\n    request: {url: 'http://127.0.0.1:1'}\n")
    refused = await live.cli("workflow", "deploy", str(bad))
    assert refused.returncode == 1
    one_error_line(refused.stderr, "invalid_document")
    details = refused.stderr.splitlines()[1:]
    assert any("timout" in d and "line 6" in d for d in details), refused.stderr
    assert any("nope" in d and "line 8" in d for d in details), refused.stderr
    listed = await live.ok("workflow", "list")
    assert listed.strip() == "no workflows"


async def test_sync_start_prints_the_respond_steps_answer(live: Live) -> None:
    await live.ok("secrets", "set", "ECOM_API_URL", live.demo.secret_values()["ECOM_API_URL"])
    deployed = await live.ok("workflow", "deploy", str(EXAMPLES / "respond-early.yaml"))
    assert deployed.startswith("deployed respond-early revision 1")
    answer = json.loads(await live.ok(
        "run", "start", "respond-early", "--data", '{"user_id": "user_42", "address": {"city": "Berlin"}}'))
    assert answer["status"] == "accepted" and answer["cart_id"].startswith("cart_")
    assert re.fullmatch(r"run_[A-Za-z0-9_-]+", answer["run_id"])
    shown = await live.ok("run", "show", answer["run_id"])
    assert re.search(r"^acknowledge\s+completed\s", shown, re.MULTILINE)
