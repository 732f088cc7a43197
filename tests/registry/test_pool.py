"""A PostgreSQL registry goes on after the server dropped its pooled connections.

The pool checks a connection when it is taken (``check=`` in registry/database.py) and
replaces a broken one, so no read or write sees a connection the server closed while it
sat in the pool (a restart, an idle timeout, an operator's ``pg_terminate_backend``).
Any cheaper check has to keep this (bench/README.md, *The registry on PostgreSQL*).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg

from registry import Registry
from runtime.settings import Settings
from tests.registry.conftest import new_postgres_database
from tests.registry.postgres import PostgresCluster


def _drop_other_connections(url: str) -> int:
    """Terminate every other session on the database; returns how many were dropped."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return sum(1 for (dropped,) in rows if dropped)


async def test_reads_and_writes_go_on_after_the_server_dropped_every_pooled_connection(
    postgres: PostgresCluster, tmp_path: Path
) -> None:
    url = new_postgres_database(postgres)
    registry = await Registry.open(Settings(database=url, data_dir=tmp_path, token="boot-token"))
    try:
        await registry.projects.create("shop")
        # Reads at once take several pooled connections (require() would not: it remembers
        # a project it has seen and reads nothing).
        await asyncio.gather(*(registry.projects.list() for _ in range(8)))
        assert await asyncio.to_thread(_drop_other_connections, url) >= 2

        await asyncio.gather(*(registry.projects.list() for _ in range(8)))
        await registry.projects.create("after")
        assert {p.name for p in await registry.projects.list()} >= {"shop", "after"}
    finally:
        await registry.close()
