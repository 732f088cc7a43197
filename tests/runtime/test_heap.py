"""The worker freezes its start-up heap out of the garbage collector's passes (runtime/heap.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from tests.runtime.worker_log import messages_until_started

ROOT = Path(__file__).resolve().parents[2]

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
    messages = await messages_until_started(temporal_env, tmp_path)
    frozen = [m for m in messages if m.startswith("froze ")]
    assert len(frozen) == 1 and int(frozen[0].split()[1]) > 10_000, messages
    assert messages.index(frozen[0]) < next(i for i, m in enumerate(messages) if m.startswith("worker started"))
