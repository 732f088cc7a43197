"""Fixtures of the registry tests: a fresh, empty database on SQLite or on PostgreSQL.

One throwaway PostgreSQL cluster serves the whole session; each test that wants
PostgreSQL gets its own database in it, so no test sees another's rows or schema.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.registry.postgres import PostgresCluster


def new_postgres_database(cluster: PostgresCluster) -> str:
    """The URL of a database just created, empty, in ``cluster``."""
    return cluster.create_database(f"t_{uuid.uuid4().hex}")


@pytest.fixture(params=["sqlite", "postgres"])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """Makes fresh, empty databases of one kind, each a target as ``DISPATCHED_DATABASE``
    takes it (a SQLite path or a ``postgresql://`` URL)."""
    if request.param == "sqlite":
        made = itertools.count()
        return lambda: str(tmp_path / f"reg-{next(made)}.db")
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    return lambda: new_postgres_database(cluster)


@pytest.fixture
def database(new_database: Callable[[], str]) -> str:
    """One fresh, empty database (SQLite, then PostgreSQL)."""
    return new_database()
