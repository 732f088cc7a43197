"""Saved histories replay on today's workflow code: a change that would break runs already
in flight (non-determinism) fails here instead of in production.

Every history replays through the payload codec, as every worker runs today. The plain
ones at the top of histories/ are from before encryption: they replay through the codec's
pass-through, which is what a worker does with a run that was in flight when encryption
came. histories/encrypted/ holds runs recorded with the suite's fixed key."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from contract.messages import Lineage, RunInput, lineage_run_id
from interpreter.directive_effects import SPAWN_LINEAGE_PATCH, TARGET_PROJECT_PATCH
from interpreter.workflow import DispatchedRun
from runtime.codec import ENCODING, KEY_ID
from runtime.worker import WORKFLOW_RUNNER
from tests.payload_key import TEST_CONVERTER, TEST_KEY, decoded_history_json, history_payloads

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))
ENCRYPTED = sorted((Path(__file__).parent / "histories" / "encrypted").glob("*.json"))


def test_histories_are_recorded() -> None:
    assert {p.stem for p in HISTORIES} == {"checkout", "mixed", "failing", "directives", "lineage"}
    assert {p.stem for p in ENCRYPTED} == {"checkout", "mixed", "failing", "lineage"}


@pytest.mark.parametrize("path", ENCRYPTED, ids=lambda p: p.stem)
def test_encrypted_histories_show_nothing_in_clear(path: Path) -> None:
    """Every payload (failures' messages too) is ciphertext under the suite's key, and what
    the run carried is there once decrypted: the checkout's address, the failure's text."""
    text = path.read_text()
    payloads = list(history_payloads(json.loads(text)))
    assert payloads
    for payload in payloads:
        assert base64.b64decode(payload["metadata"]["encoding"]) == ENCODING, payload
        assert base64.b64decode(payload["metadata"][KEY_ID]).decode() == TEST_KEY.key_id
    clear = decoded_history_json(text)
    expected = {"checkout": "100 Main St", "mixed": "total", "failing": "answered 404", "lineage": "child; input"}
    assert expected[path.stem] not in text and expected[path.stem] in clear


def test_directives_history_is_from_before_projects() -> None:
    """It must keep the pre-projects shape to guard the ``directive-target-project`` patch:
    a signal to another run with no look-up before it, no project anywhere. (Recording it
    again on today's code would record the patched path and guard nothing.)"""
    path = HISTORIES[[p.stem for p in HISTORIES].index("directives")]
    history = json.loads(path.read_text())
    text = json.dumps(history)
    assert "DispatchedProject" not in text and TARGET_PROJECT_PATCH not in text
    kinds = [(e["eventType"], _activity(e)) for e in history["events"]]
    signal = kinds.index(("EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED", None))
    cancel = kinds.index(("EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED", None))
    look_ups = [i for i, kind in enumerate(kinds) if kind == ("EVENT_TYPE_ACTIVITY_TASK_SCHEDULED", "dispatched.run_is_open")]
    assert look_ups and all(i < cancel for i in look_ups)  # the cancel's look-up only, none for the signal
    assert cancel < signal
    assert any(kind[0] == "EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED" for kind in kinds)
    # ... and a spawn from before the spawn limits: no marker, so it guards that patch too.
    assert _patches(history) == set() and "DispatchedRoot" not in text


def test_lineage_history_spawns_through_the_limits() -> None:
    """The patched spawn: the marker, one look-up per spawn (no other activity), and each
    child at a lineage place of the run, carrying its lineage in its input."""
    path = HISTORIES[[p.stem for p in HISTORIES].index("lineage")]
    history = json.loads(path.read_text())
    events = history["events"]
    assert _patches(history) == {SPAWN_LINEAGE_PATCH}  # no signal here, so no target look-up patch
    activities = [_activity(e) for e in events if _activity(e)]
    assert activities == ["dispatched.request", "dispatched.resolve_workflow", "dispatched.resolve_workflow"]
    root = events[0]["workflowExecutionStartedEventAttributes"]["workflowId"]
    children = [
        e["startChildWorkflowExecutionInitiatedEventAttributes"] for e in events
        if e["eventType"] == "EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED"
    ]
    assert len(children) == 2
    for child in children:
        run = RunInput.model_validate_json(base64.b64decode(child["input"]["payloads"][0]["data"]))
        assert isinstance(run.lineage, Lineage) and (run.lineage.root, run.lineage.depth) == (root, 1)
        assert child["workflowId"] == run.run_id == lineage_run_id(run.lineage.key, run.lineage.slot)
        assert child["workflowIdReusePolicy"] == "WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE"


def _patches(history: dict[str, Any]) -> set[str]:
    """The ids of the patches a history recorded (its ``core_patch`` markers)."""
    found: set[str] = set()
    for event in history["events"]:
        marker = event.get("markerRecordedEventAttributes")
        if marker and marker["markerName"] == "core_patch":
            found.add(json.loads(base64.b64decode(marker["details"]["patch-data"]["payloads"][0]["data"]))["id"])
    return found


def _activity(event: dict[str, Any]) -> str | None:
    attributes = event.get("activityTaskScheduledEventAttributes")
    return attributes["activityType"]["name"] if attributes else None


# The worker's runner (no sandbox, runtime/worker.py), and the SDK's default sandbox,
# which re-imports this workflow module and restricts what it calls.
RUNNERS = {"worker-runner": WORKFLOW_RUNNER, "sandboxed": SandboxedWorkflowRunner()}


@pytest.mark.parametrize("runner", list(RUNNERS))
@pytest.mark.parametrize("path", HISTORIES + ENCRYPTED, ids=lambda p: f"{p.parent.name}/{p.stem}")
async def test_history_replays(path: Path, runner: str) -> None:
    replayer = Replayer(workflows=[DispatchedRun], data_converter=TEST_CONVERTER, workflow_runner=RUNNERS[runner])
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure
