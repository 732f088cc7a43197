from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from temporalio.client import Client

from tests.workflow.engine import Engine, running_engine


@pytest.fixture
async def engine(client: Client) -> AsyncIterator[Engine]:
    async with running_engine(client) as running:
        yield running
