"""A small harness for workflow tests: a real worker on its own task queue, and helpers
to start a document, signal it and read its state, all through the engine's RunClient.

Every helper acts in :attr:`Engine.project` (the default project) unless given another
``project``, as the gateway acts in its caller's.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import yaml
from temporalio.client import Client

from activities.catalog import WorkflowCatalog
from activities.secrets import MemorySecretStore
from contract.document import Document
from contract.limits import DEFAULT_MAX_RUNNING_SPAWNS
from contract.messages import Event, PublishedResponse, RunInput, RunState, TriggerData
from contract.names import DEFAULT_PROJECT
from interpreter.client import RunClient
from runtime.worker import create_worker


@dataclass
class Engine:
    client: Client
    runs: RunClient
    secrets: MemorySecretStore
    task_queue: str
    project: str = DEFAULT_PROJECT

    def _project(self, project: str | None) -> str:
        return self.project if project is None else project

    def run_input(
        self, document: str | Document, body: Any = None, *, revision: int = 1, project: str | None = None
    ) -> RunInput:
        doc = document if isinstance(document, Document) else Document.model_validate(yaml.safe_load(document))
        return RunInput(
            run_id=RunClient.new_run_id(), workflow=doc.name, revision=revision, document=doc,
            trigger=TriggerData(body=body), project=self._project(project),
        )

    async def start(self, document: str | Document, body: Any = None, *, project: str | None = None) -> str:
        return await self.runs.start(self.run_input(document, body, project=project))

    async def state(self, run_id: str, *, project: str | None = None) -> RunState:
        return await self.runs.state(run_id, project=self._project(project))

    async def signal(self, run_id: str, name: str, payload: Any, *, project: str | None = None) -> None:
        await self.runs.signal(run_id, name, payload, project=self._project(project))

    async def cancel(self, run_id: str, *, project: str | None = None) -> None:
        await self.runs.cancel(run_id, project=self._project(project))

    async def wait_response(self, run_id: str, *, timeout: float, project: str | None = None) -> PublishedResponse | None:
        return await self.runs.wait_response(run_id, project=self._project(project), timeout=timeout)

    async def finish(self, run_id: str, timeout: float = 30, *, project: str | None = None) -> RunState:
        """Wait for the run to close, then return its final state."""
        async def closed() -> RunState:
            while True:
                state = await self.state(run_id, project=project)
                if state.status != "running":
                    return state
                await asyncio.sleep(0.05)

        return await asyncio.wait_for(closed(), timeout)

    async def until_step(
        self, run_id: str, step: str, status: str, timeout: float = 20, *, project: str | None = None
    ) -> RunState:
        async def reached() -> RunState:
            while True:
                state = await self.state(run_id, project=project)
                if state.steps[step].status == status:
                    return state
                await asyncio.sleep(0.05)

        return await asyncio.wait_for(reached(), timeout)

    async def events(self, run_id: str, *, project: str | None = None) -> list[Event]:
        return (await self.runs.events(run_id, project=self._project(project))).events


@asynccontextmanager
async def running_engine(
    client: Client,
    secrets: dict[str, str] | None = None,
    catalog: WorkflowCatalog | None = None,
    *,
    max_running_spawns: int = DEFAULT_MAX_RUNNING_SPAWNS,
) -> AsyncIterator[Engine]:
    task_queue = f"test-{uuid.uuid4()}"
    store = MemorySecretStore(secrets)
    # The upstreams of these tests listen on loopback, which the network policy refuses by default.
    worker = create_worker(
        client, task_queue=task_queue, secrets=store, catalog=catalog, allow_hosts=["127.0.0.1"],
        max_running_spawns=max_running_spawns,
    )
    async with worker:
        yield Engine(client=client, runs=RunClient(client, task_queue=task_queue), secrets=store, task_queue=task_queue)
