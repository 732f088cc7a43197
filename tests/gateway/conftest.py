"""The gateway as users meet it: uvicorn on a real loopback socket, a real worker fed by
the registry adapters, the session's Temporal dev server, real upstreams."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from temporalio.client import Client

from gateway.app import create_app
from registry import Registry
from runtime.registry_adapters import RegistrySecretStore, RegistryWorkflowCatalog
from runtime.settings import Settings
from runtime.worker import create_worker

TOKEN = "test-session-token"


class _QuietServer(uvicorn.Server):
    """Leaves the test runner's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class Gateway:
    """A running gateway: its URL, an authenticated client, and the worker's registry."""

    url: str
    http: httpx.AsyncClient
    settings: Settings
    registry: Registry
    client: Client

    async def deploy(self, source: str) -> dict[str, Any]:
        name = _document_name(source)
        answer = await self.http.put(f"/api/workflows/{name}", content=source)
        assert answer.status_code == 200, answer.text
        return answer.json()  # type: ignore[no-any-return]

    async def until_step(self, run_id: str, step: str, status: str, timeout: float = 20) -> dict[str, Any]:
        """Poll ``GET /api/runs/{id}`` until ``step`` reaches ``status``."""

        async def reached() -> dict[str, Any]:
            while True:
                state = (await self.http.get(f"/api/runs/{run_id}")).json()
                if state.get("steps", {}).get(step, {}).get("status") == status:
                    return state  # type: ignore[no-any-return]
                await asyncio.sleep(0.05)

        return await asyncio.wait_for(reached(), timeout)

    async def until_closed(self, run_id: str, timeout: float = 20) -> dict[str, Any]:
        async def closed() -> dict[str, Any]:
            while True:
                state = (await self.http.get(f"/api/runs/{run_id}")).json()
                if state["status"] != "running":
                    return state  # type: ignore[no-any-return]
                await asyncio.sleep(0.05)

        return await asyncio.wait_for(closed(), timeout)


def _document_name(source: str) -> str:
    import yaml

    return str(yaml.safe_load(source)["name"])


@contextlib.asynccontextmanager
async def serving(settings: Settings, client: Client) -> AsyncIterator[str]:
    """uvicorn serving the gateway app on a loopback port it bound itself; yields the base URL."""
    async with serving_app(create_app(settings, temporal_client=client)) as url:
        yield url


@contextlib.asynccontextmanager
async def serving_app(app: Any) -> AsyncIterator[str]:
    """uvicorn serving ``app`` (lifespan on) on a loopback port it bound itself; yields the base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = _QuietServer(uvicorn.Config(app, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture
def gateway_settings(tmp_path: Path) -> Settings:
    return Settings(
        database=str(tmp_path / "dispatched.db"),
        data_dir=tmp_path,
        token=TOKEN,
        task_queue=f"gateway-{uuid.uuid4().hex}",
        allow_hosts=["127.0.0.1"],  # the tests' upstreams listen on loopback
    )


@pytest.fixture
async def gateway(client: Client, gateway_settings: Settings) -> AsyncIterator[Gateway]:
    registry = await Registry.open(gateway_settings)  # the worker's own, as in production
    worker = create_worker(
        client,
        task_queue=gateway_settings.task_queue,
        secrets=RegistrySecretStore(registry),
        catalog=RegistryWorkflowCatalog(registry),
        allow_hosts=gateway_settings.allow_hosts,
    )
    try:
        async with (
            worker,
            serving(gateway_settings, client) as url,
            httpx.AsyncClient(base_url=url, headers={"Dispatched-Session": TOKEN}, timeout=60) as http,
        ):
            yield Gateway(url, http, gateway_settings, registry, client)
    finally:
        await registry.close()
