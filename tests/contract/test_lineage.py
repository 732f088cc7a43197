"""Spawn lineage in the shared vocabulary (issue 13): inputs and answers recorded before it
still decode, each lineage place has one run id, and the limits' reasons say which limit."""

from __future__ import annotations

import pytest

from contract import limits
from contract.identifiers import RUN_ID_ENTROPY_HEX, run_id_problem
from contract.messages import Lineage, ResolvedWorkflow, RunInput, WorkflowLookup, lineage_run_id

OLD_INPUT = {  # a RunInput as runs before lineage recorded it
    "run_id": "run_abc", "workflow": "w", "revision": 1, "project": "default",
    "document": {"name": "w", "steps": {"s": {"wait": {"signal": "go"}}}}, "trigger": {"body": None},
}


def test_inputs_and_answers_from_before_lineage_decode_as_no_lineage() -> None:
    assert RunInput.model_validate(OLD_INPUT).lineage is None
    assert WorkflowLookup.model_validate({"name": "w"}).lineage_root is None
    old = ResolvedWorkflow.model_validate({"document": None, "revision": None})
    assert (old.lineage_spawned, old.lineage_taken, old.running_spawns, old.max_running_spawns) == (None,) * 4


def test_a_spawned_runs_input_carries_its_lineage() -> None:
    lineage = Lineage(root="run_root", depth=2, key="k" * 32, slot=7)
    decoded = RunInput.model_validate_json(RunInput.model_validate({**OLD_INPUT, "lineage": lineage}).model_dump_json())
    assert decoded.lineage == lineage
    with pytest.raises(ValueError):
        Lineage(root="run_root", depth=0, key="k", slot=1)  # depth 0 is the root, which has no lineage


def test_each_place_of_a_lineage_has_one_run_id_that_looks_like_any_other() -> None:
    ids = {lineage_run_id("a" * 32, slot) for slot in range(1, limits.MAX_LINEAGE_RUNS)}
    assert len(ids) == limits.MAX_LINEAGE_RUNS - 1
    assert all(run_id_problem(run_id) is None and len(run_id) == len("run_") + RUN_ID_ENTROPY_HEX for run_id in ids)
    assert lineage_run_id("a" * 32, 5) == lineage_run_id("a" * 32, 5) != lineage_run_id("b" * 32, 5)


def test_the_depth_limit() -> None:
    assert limits.spawn_depth_problem(limits.MAX_SPAWN_DEPTH - 1, "run_r") is None
    reason = limits.spawn_depth_problem(limits.MAX_SPAWN_DEPTH, "run_r")
    assert reason == "spawn_limit: depth: this run is 8 spawns from its root run 'run_r'; a spawn chain is at most 8 deep"


def test_the_lineage_and_running_limits() -> None:
    def problem(spawned: int, running: int, cap: int = 5) -> str | None:
        return limits.spawn_count_problem(root="run_r", spawned=spawned, project="shop", running=running, max_running=cap)

    assert problem(limits.MAX_LINEAGE_RUNS - 2, 0) is None  # 98 spawned + the root: room for one more
    assert problem(limits.MAX_LINEAGE_RUNS - 1, 0) == (
        "spawn_limit: lineage: the lineage of root run 'run_r' already has 100 runs, "
        "the most one lineage may have (the root included)"
    )
    assert problem(0, 4) is None
    assert problem(0, 5) == (
        "spawn_limit: running: project 'shop' has 5 spawned runs running, "
        "the most it may have at once (DISPATCHED_MAX_RUNNING_SPAWNS=5)"
    )
    assert problem(0, 0, cap=0) is not None  # 0 turns spawning off


def test_the_limits_stay_under_temporals() -> None:
    assert limits.MAX_LINEAGE_RUNS <= limits.MAX_DIRECTIVE_EFFECTS  # one run could not fill a lineage past its budget
    assert limits.MAX_RESPONSE_JSON_DEPTH + 130 < 200  # pydantic-core's JSON parser stops at 200 levels
