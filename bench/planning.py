"""A 1,000-step document: time to validate and plan it, and its workflow tasks.

Validation and planning are pure (no server); the run goes through the Dispatched
worker, and its history gives every workflow task's time (started → completed). The
history is also replayed from scratch, which is what a worker whose cache dropped the
run must do inside one workflow task.
"""

from __future__ import annotations

import json
import time
from statistics import median
from typing import Any

import yaml
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer

from bench.variants import run_input
from bench.workloads import large_document
from contract.messages import RunResult
from interpreter.client import RunClient
from interpreter.graph import plan_graph
from interpreter.loader import load_document
from interpreter.workflow import DispatchedRun


def _times_ms(action: Any, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        action()
        times.append(1000 * (time.perf_counter() - began))
    return times


def _best_ms(action: Any, repeat: int) -> float:
    return median(_times_ms(action, repeat))


def time_validation(steps: int, url: str, repeat: int = 9) -> dict[str, Any]:
    """Median ms to load (parse + validate + compile) the document as JSON and as YAML,
    the fastest of the JSON loads (the work itself, with the least of the shared machine's
    other load in it: the target's figure), and the first (cold) JSON load of the
    process, as a just-started gateway sees it."""
    data = large_document(steps, url)
    as_json, as_yaml = json.dumps(data), yaml.safe_dump(data, sort_keys=False)
    began = time.perf_counter()
    loaded = load_document(as_json)
    first_ms = 1000 * (time.perf_counter() - began)
    return {
        "steps": len(data["steps"]),
        "load_json_first_ms": first_ms,
        "load_json_ms": median(json_times := _times_ms(lambda: load_document(as_json), repeat)),
        "load_json_fastest_ms": min(json_times),
        "load_yaml_ms": _best_ms(lambda: load_document(as_yaml), repeat),
        "plan_only_ms": _best_ms(lambda: plan_graph(loaded.document.steps), repeat),
    }


def workflow_task_times(history: WorkflowHistory) -> list[float]:
    """Each workflow task's started → completed time, in ms."""
    started: float | None = None
    times: list[float] = []
    for event in history.events:
        at = event.event_time.ToMicroseconds() / 1000
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            started = at
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED and started is not None:
            times.append(at - started)
            started = None
    return times


async def run_large(client: Client, task_queue: str, steps: int, url: str) -> dict[str, Any]:
    """Run the document once; report its workflow tasks and a full replay's time."""
    loaded = load_document(json.dumps(large_document(steps, url)))
    runs = RunClient(client, task_queue=task_queue)
    began = time.perf_counter()
    run_id = await runs.start(run_input(loaded.document))
    handle = client.get_workflow_handle(run_id, result_type=RunResult)
    await handle.result()
    total_s = time.perf_counter() - began
    history = await handle.fetch_history()
    tasks = workflow_task_times(history)
    replayer = Replayer(workflows=[DispatchedRun], data_converter=client.data_converter)  # the run's codec
    replay_began = time.perf_counter()
    await replayer.replay_workflow(history)
    return {
        "run_s": total_s,
        "history_events": len(history.events),
        "workflow_tasks": len(tasks),
        "longest_workflow_task_ms": max(tasks, default=0.0),
        "workflow_task_p50_ms": median(tasks) if tasks else 0.0,
        "full_replay_ms": 1000 * (time.perf_counter() - replay_began),
    }
