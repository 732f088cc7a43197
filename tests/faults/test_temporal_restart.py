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
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError

from activities.secrets import MemorySecretStore
from cli.dev import temporal_server
from cli.dev.children import stop
from cli.dev.temporal_server import DevServerConfig, start_dev_server
from contract.names import DEFAULT_PROJECT, WORKFLOW_TYPE
from interpreter.client import RunClient
from interpreter.search_attributes import REVISION_ATTR, WORKFLOW_NAME_ATTR
from runtime.worker import create_worker
from tests.faults.workerproc import WorkerProcess
from tests.payload_key import TEST_CONVERTER
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
    # The worker is `dispatched worker`, which encrypts with the suite's key (workerproc.py).
    client = await Client.connect(server.config.address, data_converter=TEST_CONVERTER)
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
        await engine.signal(signalled, "go", {"n": 7})
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


LEGACY_HOLD = """
name: from-before-projects
steps:
  w: {wait: {signal: go}}
"""


async def test_a_data_dir_from_before_projects_gets_the_project_attribute_and_its_runs_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``dispatched dev`` on a data dir its older self made: the server's database lacks
    ``DispatchedProject`` (``--search-attribute`` is only read when the database is new),
    so start_dev_server registers it; the run waiting from before carries on as the
    default project's, and runs of any project can start."""
    server = FileBackedServer(tmp_path)
    monkeypatch.setattr(temporal_server, "SEARCH_ATTRIBUTE_FLAGS", temporal_server.SEARCH_ATTRIBUTE_FLAGS[:2])
    await asyncio.to_thread(server.start)
    try:
        client = await Client.connect(server.config.address, data_converter=pydantic_data_converter)
        task_queue = f"legacy-{uuid.uuid4().hex[:8]}"
        async with create_worker(client, task_queue=task_queue, secrets=MemorySecretStore()):
            engine = Engine(client, RunClient(client, task_queue=task_queue), MemorySecretStore(), task_queue)
            with pytest.raises(RPCError, match="DispatchedProject"):  # the premise: not registered
                await engine.start(LEGACY_HOLD, project="shop")
            old = engine.run_input(LEGACY_HOLD)  # started as before projects: no project anywhere
            await client.start_workflow(
                WORKFLOW_TYPE, old, id=old.run_id, task_queue=task_queue,
                memo={"workflow": old.workflow, "revision": old.revision, "version": old.document.version},
                search_attributes=TypedSearchAttributes([
                    SearchAttributePair(WORKFLOW_NAME_ATTR, old.workflow), SearchAttributePair(REVISION_ATTR, old.revision),
                ]),
            )
            await engine.until_step(old.run_id, "w", "waiting", timeout=30)
        await asyncio.to_thread(server.stop)
        monkeypatch.undo()

        await asyncio.to_thread(server.start)  # today's flags, on the same database file
        client = await Client.connect(server.config.address, data_converter=pydantic_data_converter)
        async with create_worker(client, task_queue=task_queue, secrets=MemorySecretStore()):
            engine = Engine(client, RunClient(client, task_queue=task_queue), MemorySecretStore(), task_queue)
            shop = await engine.start(LEGACY_HOLD, project="shop")
            await engine.until_step(shop, "w", "waiting", project="shop", timeout=30)
            for _ in range(100):  # visibility catches up
                listed = {r.run_id for r in await engine.runs.list_runs(project=DEFAULT_PROJECT, workflow=old.workflow)}
                if old.run_id in listed:
                    break
                await asyncio.sleep(0.1)
            assert listed == {old.run_id}
            await engine.signal(old.run_id, "go", {})
            assert (await engine.finish(old.run_id, timeout=30)).status == "completed"
            await engine.signal(shop, "go", {}, project="shop")
            assert (await engine.finish(shop, project="shop", timeout=30)).status == "completed"
    finally:
        await asyncio.to_thread(server.stop)
