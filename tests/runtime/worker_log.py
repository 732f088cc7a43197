"""A real ``dispatched worker`` at DEBUG: the messages it logs up to "worker started"."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from tests.faults.workerproc import WorkerProcess, temporal_address


async def messages_until_started(temporal_env: WorkflowEnvironment, data_dir: Path) -> list[str]:
    """Start a worker process, wait for its "worker started" line, stop it; its messages."""
    worker = WorkerProcess(address=temporal_address(temporal_env.client), task_queue=f"log-{uuid.uuid4().hex[:8]}",
                           data_dir=data_dir)
    worker.env["DISPATCHED_LOG_LEVEL"] = "DEBUG"
    worker.start()
    try:
        messages: list[str] = []
        deadline = time.monotonic() + 60
        while not any(m.startswith("worker started") for m in messages):
            assert time.monotonic() < deadline and worker.process and worker.process.poll() is None, worker.tail()
            await asyncio.sleep(0.1)
            lines = worker.log.read_text(errors="replace").splitlines()
            messages = [str(json.loads(line).get("message", "")) for line in lines if line.startswith("{")]
    finally:
        worker.stop()
    return messages
