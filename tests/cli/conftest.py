"""A live Dispatched for CLI tests: the real gateway app under uvicorn on a loopback
socket, a real worker over the same registry, the session Temporal dev server, and the
demo upstream as the examples' services. The CLI under test is the installed
``dispatched`` console script, run as a subprocess against it."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from pydantic import SecretStr
from temporalio.client import Client

from cli.dev.demo_upstream import DemoUpstream
from gateway.app import create_app
from registry import Registry
from runtime.settings import Settings
from runtime.worker import build_worker

DISPATCHED = str(Path(sys.executable).parent / "dispatched")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass
class Live:
    """A running gateway + worker, and how the CLI reaches it."""

    url: str
    token: str
    demo: DemoUpstream
    settings: Settings
    gateway: GatewayServer

    @property
    def env(self) -> dict[str, str]:
        return {"DISPATCHED_URL": self.url, "DISPATCHED_TOKEN": self.token}

    async def cli(self, *args: str, stdin: str | None = None, token: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``dispatched ARGS`` in a thread, so the gateway on this event loop keeps serving."""
        env = {**os.environ, **self.env, **({"DISPATCHED_TOKEN": token} if token is not None else {})}
        return await asyncio.to_thread(
            subprocess.run, [DISPATCHED, *args], env=env, input=stdin, capture_output=True, text=True, timeout=90,
        )

    async def ok(self, *args: str, stdin: str | None = None) -> str:
        """Run a command that must succeed; its stdout."""
        result = await self.cli(*args, stdin=stdin)
        assert result.returncode == 0, f"dispatched {' '.join(args)} failed: {result.stderr}"
        return result.stdout


def _loopback_socket(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


class GatewayServer:
    """The real app under uvicorn on a fixed loopback port; can go down and come back."""

    def __init__(self, settings: Settings, client: Client) -> None:
        self.settings, self.client = settings, client
        self.sock = _loopback_socket()
        self.port = int(self.sock.getsockname()[1])
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Serve; returns once it accepts requests."""
        sock = self.sock if self._task is None else _loopback_socket(self.port)
        config = uvicorn.Config(create_app(self.settings, temporal_client=self.client), log_level="warning",
                                lifespan="on", timeout_graceful_shutdown=1)
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        """Shut down, dropping open streams after a second."""
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task


@pytest.fixture
async def live(client: Client, tmp_path: Path) -> AsyncIterator[Live]:
    token = f"dsp_test_{uuid.uuid4().hex}"
    settings = Settings(
        data_dir=tmp_path, database=str(tmp_path / "dispatched.db"), token=SecretStr(token),
        task_queue=f"cli-{uuid.uuid4().hex[:8]}", allow_hosts=["127.0.0.1"],
    )
    demo = DemoUpstream().start()
    gateway = GatewayServer(settings, client)
    async with AsyncExitStack() as stack:
        stack.callback(demo.stop)
        await gateway.start()
        stack.push_async_callback(gateway.stop)
        registry = await Registry.open(settings)  # the worker's own, as in production
        stack.push_async_callback(registry.close)
        await stack.enter_async_context(build_worker(client, settings, registry))
        yield Live(url=f"http://127.0.0.1:{gateway.port}", token=token, demo=demo, settings=settings, gateway=gateway)
