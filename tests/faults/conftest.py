"""Fault tests share the session Temporal dev server; these fixtures add what each fault
needs: an engine in this process for upstream faults, and the session server's address
for workers run as subprocesses."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.client import Client

from tests.faults.workerproc import temporal_address
from tests.workflow.engine import Engine, running_engine


@pytest.fixture
async def engine(client: Client) -> AsyncIterator[Engine]:
    async with running_engine(client) as running:
        yield running


@pytest.fixture
def address(client: Client) -> str:
    return temporal_address(client)
