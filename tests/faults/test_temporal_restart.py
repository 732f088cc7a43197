"""Stop (SIGTERM) or crash (SIGKILL) a file-backed Temporal dev server under waiting runs,
then start it again on the same database file.

Runs waiting on a signal and on wait timeouts must all resume, and a timeout (a durable
timer) that expired while the server was down must fire once it is back: the runs'
``on_timeout: continue`` and ``skip`` show it. The worker is a real ``dispatched worker``
process that stays up throughout and reconnects by itself. (``dispatched dev`` stopped
and started on its data dir is covered by tests/cli/test_dev.py.)
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from activities.secrets import MemorySecretStore
from cli.dev.children import stop
from cli.dev.temporal_server import DevServerConfig, start_dev_server
from interpreter.client import RunClient
from tests.faults.workerproc import WorkerProcess
from tests.workflow.engine import Engine

pytestmark = pytest.mark.faults

SIGNALLED = """
name: waits-for-signal
steps:
  w: {wait: {signal: go}}
  then: {after: [w], respond: {body: "{{ steps.w.signal.body }}"}}
"""
TIMEOUT = "4s"
CONTINUES = f"""
name: timer-continues
steps:
  w: {{wait: {{signal: never, timeout: {TIMEOUT}, on_timeout: continue}}}}
  then: {{after: [w], respond: {{body: {{signal: "{{{{ steps.w.signal }}}}"}}}}}}
"""
SKIPS = f"""
name: timer-skips
steps:
  w: {{wait: {{signal: never, timeout: {TIMEOUT}, on_timeout: skip}}}}
  then: {{after: [w], respond: {{}}}}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FileBackedServer:
    """``temporal server start-dev --db-filename`` that can be stopped and started again."""

    def __init__(self, data_dir: Path) -> None:
        self.config = DevServerConfig(db_file=data_dir / "temporal.db", port=_free_port(), ui_port=_free_port())
        self.log = data_dir / "temporal.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = start_dev_server(self.config, log_file=self.log)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process, grace=15)

    def crash(self) -> None:
        """SIGKILL: no shutdown at all, as when the machine's OOM killer picks the server."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[FileBackedServer]:
    server = FileBackedServer(tmp_path)
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


@pytest.mark.parametrize("how", ["stop", "crash"])
async def test_waiting_runs_resume_and_expired_timers_fire_after_a_server_restart(
    server: FileBackedServer, tmp_path: Path, how: str
) -> None:
    client = await Client.connect(server.config.address, data_converter=pydantic_data_converter)
    task_queue = f"restart-{uuid.uuid4().hex[:8]}"
    worker = WorkerProcess(address=server.config.address, task_queue=task_queue, data_dir=tmp_path / "worker").start()
    engine = Engine(client, RunClient(client, task_queue=task_queue), MemorySecretStore(), task_queue)
    try:
        signalled, continues, skips = [await engine.start(doc) for doc in (SIGNALLED, CONTINUES, SKIPS)]
        for run_id in (signalled, continues, skips):
            await engine.until_step(run_id, "w", "waiting", timeout=30)  # worker startup included

        await asyncio.to_thread(server.stop if how == "stop" else server.crash)
        await asyncio.sleep(5)  # the 4 s timers expire while the server is down
        await asyncio.to_thread(server.start)
        back_at = datetime.now(UTC)

        continued = await engine.finish(continues, timeout=60)
        skipped = await engine.finish(skips, timeout=60)
        await engine.runs.signal(signalled, "go", {"n": 7})
        woken = await engine.finish(signalled, timeout=60)
        timed_out = [e for e in await engine.events(continues) if e.type == "wait.timed_out"]
        assert worker.process is not None and worker.process.poll() is None, worker.tail()  # same worker, reconnected
    finally:
        worker.stop()
    assert (continued.status, continued.steps["w"].status, continued.steps["then"].status) == ("completed",) * 3
    assert (skipped.status, skipped.steps["w"].status, skipped.steps["then"].status) == (
        "completed", "skipped", "skipped")
    assert (woken.status, woken.steps["then"].status) == ("completed", "completed")
    assert len(timed_out) == 1 and timed_out[0].at >= back_at.replace(microsecond=0)  # fired after the restart
    print(f"\nexpired timer fired {(timed_out[0].at - back_at).total_seconds():.2f}s after the server was back")
    result = await client.get_workflow_handle(continues).result()
    assert result["response"]["body"] == {"signal": None}
    assert (await client.get_workflow_handle(signalled).result())["response"]["body"] == {"n": 7}
