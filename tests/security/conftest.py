"""Fixtures of the security suite: an engine with the DEFAULT network policy (nothing
private reachable), next to the loopback-allowing one of tests/workflow."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.client import Client

from activities.secrets import MemorySecretStore
from interpreter.client import RunClient
from runtime.worker import create_worker
from tests.workflow.engine import Engine, running_engine


@pytest.fixture
async def strict_engine(client: Client) -> AsyncIterator[Engine]:
    """A worker as production runs it with DISPATCHED_ALLOW_HOSTS unset."""
    task_queue = f"strict-{uuid.uuid4()}"
    store = MemorySecretStore({})
    async with create_worker(client, task_queue=task_queue, secrets=store):
        yield Engine(client=client, runs=RunClient(client, task_queue=task_queue), secrets=store, task_queue=task_queue)


@pytest.fixture
async def engine(client: Client) -> AsyncIterator[Engine]:
    """A worker that may reach the tests' loopback upstreams."""
    async with running_engine(client) as running:
        yield running


# The live gateway of tests/gateway (uvicorn on loopback, a real worker, the registry).
from tests.gateway.conftest import gateway, gateway_settings  # noqa: E402,F401
