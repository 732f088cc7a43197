"""The worker freezes its start-up heap out of the garbage collector's passes (runtime/heap.py)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

ROOT = Path(__file__).resolve().parents[2]
DISPATCHED = str(Path(sys.executable).parent / "dispatched")

FREEZE_THEN_COLLECT = """
import gc, weakref
from runtime.heap import freeze_startup_heap

class Node:
    pass

frozen = freeze_startup_heap()
assert frozen > 1000 and gc.get_freeze_count() == frozen, frozen
a, b = Node(), Node()
a.peer, b.peer = b, a  # a cycle made after the freeze
gone = weakref.ref(a)
del a, b
gc.collect()
assert gone() is None, "a cycle made after the freeze was not collected"
"""


def test_what_lives_at_start_up_is_frozen_and_later_cycles_are_still_collected() -> None:
    # In a process of its own: freezing the test session's heap would outlive this test.
    done = subprocess.run([sys.executable, "-c", FREEZE_THEN_COLLECT], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


async def test_the_worker_process_freezes_its_heap_once_built(temporal_env: WorkflowEnvironment, tmp_path: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DISPATCHED_", "TEMPORAL_"))},
        "TEMPORAL_ADDRESS": temporal_env.client.service_client.config.target_host,
        "DISPATCHED_DATA_DIR": str(tmp_path),
        "DISPATCHED_DATABASE": str(tmp_path / "dispatched.db"),
        "DISPATCHED_TASK_QUEUE": f"heap-{uuid.uuid4().hex[:8]}",
        "DISPATCHED_METRICS_PORT": "0",
        "DISPATCHED_LOG_LEVEL": "DEBUG",
    }
    worker = subprocess.Popen([DISPATCHED, "worker"], env=env, stderr=subprocess.PIPE, text=True)
    assert worker.stderr is not None
    messages: list[str] = []
    try:
        async def until_started() -> None:
            while not any(m.startswith("worker started") for m in messages):
                line = await asyncio.to_thread(worker.stderr.readline)  # type: ignore[union-attr]
                assert line, f"the worker exited ({worker.poll()}) saying: {messages}"
                messages.append(str(json.loads(line).get("message", "")))

        await asyncio.wait_for(until_started(), 60)
    finally:
        worker.terminate()
        worker.communicate(timeout=30)
    frozen = [m for m in messages if m.startswith("froze ")]
    assert len(frozen) == 1 and int(frozen[0].split()[1]) > 10_000, messages
    assert messages.index(frozen[0]) < next(i for i, m in enumerate(messages) if m.startswith("worker started"))
