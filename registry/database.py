"""One small data-access layer over SQLite (stdlib) and PostgreSQL (psycopg 3).

Both drivers are synchronous; every unit of work runs in a worker thread
(``asyncio.to_thread``) inside one transaction, under a lock, on one connection. That
keeps the event loop free and gives SQLite's single writer and Postgres the same
behaviour. SQL is written once with ``?`` placeholders; the Postgres side rewrites
them to ``%s`` (no statement here has a ``?`` inside a literal).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
Params = Sequence[Any]
Row = tuple[Any, ...]

# Postgres: a fixed advisory-lock id so two processes migrating the schema at once
# do not race on the catalog (CREATE TABLE IF NOT EXISTS is not atomic there).
_SCHEMA_LOCK_ID = 0x6469737061746368


def now_text() -> str:
    """The current time as the registry stores it (ISO-8601, UTC, microseconds)."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Tx(ABC):
    """One open transaction: run statements, read rows."""

    @abstractmethod
    def execute(self, sql: str, params: Params = ()) -> int:
        """Run a statement; returns the number of rows it changed."""

    @abstractmethod
    def all(self, sql: str, params: Params = ()) -> list[Row]: ...

    def one(self, sql: str, params: Params = ()) -> Row | None:
        rows = self.all(sql, params)
        return rows[0] if rows else None


class Database(ABC):
    """A connection used from worker threads, one transaction at a time."""

    dialect: str

    def __init__(self) -> None:
        self._lock = threading.Lock()

    async def run(self, work: Callable[[Tx], T]) -> T:
        """Run ``work`` in one transaction in a thread: committed if it returns,
        rolled back if it raises."""
        return await asyncio.to_thread(self._run_locked, work)

    def _run_locked(self, work: Callable[[Tx], T]) -> T:
        with self._lock, self._transaction() as tx:
            return work(tx)

    @abstractmethod
    def tables(self, tx: Tx) -> set[str]:
        """The names of the tables that exist."""

    @abstractmethod
    def lock_schema(self, tx: Tx) -> None:
        """Hold off other processes changing the schema until ``tx`` ends."""

    @abstractmethod
    def _transaction(self) -> Any:
        """A context manager yielding a :class:`Tx`."""

    @abstractmethod
    def close(self) -> None: ...


class _SqliteTx(Tx):
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Params = ()) -> int:
        return self._conn.execute(sql, tuple(params)).rowcount

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        return [tuple(row) for row in self._conn.execute(sql, tuple(params)).fetchall()]


_SQLITE_BUSY_SECONDS = 10.0


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL, retrying while another connection holds it.

    Turning a new file into WAL needs its exclusive lock, and when another process is
    opening the same new file at that moment SQLite answers "database is locked" at
    once rather than wait (the busy timeout does not apply: waiting could deadlock).
    Two processes starting together on a fresh registry must both open it, so retry
    for as long as the busy timeout would have waited.
    """
    deadline = time.monotonic() + _SQLITE_BUSY_SECONDS
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


class SqliteDatabase(Database):
    """A SQLite file in WAL mode, so a gateway and a worker process can share it."""

    dialect = "sqlite"

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a transaction
        # takes the write lock up front instead of failing to upgrade a read lock.
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            self._conn.execute(f"PRAGMA busy_timeout={int(_SQLITE_BUSY_SECONDS * 1000)}")
            _enable_wal(self._conn)
            self._conn.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            self._conn.close()
            raise

    @contextmanager
    def _transaction(self) -> Iterator[Tx]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield _SqliteTx(self._conn)
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def lock_schema(self, tx: Tx) -> None:
        pass  # BEGIN IMMEDIATE already holds SQLite's one write lock for the transaction

    def tables(self, tx: Tx) -> set[str]:
        return {row[0] for row in tx.all("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class _PostgresTx(Tx):
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Params = ()) -> int:
        cursor = self._conn.execute(sql.replace("?", "%s"), tuple(params))
        return max(int(cursor.rowcount), 0)

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        cursor = self._conn.execute(sql.replace("?", "%s"), tuple(params))
        return [tuple(row) for row in cursor.fetchall()] if cursor.description else []


class PostgresDatabase(Database):
    """A PostgreSQL database reached by URL; reconnects if the connection broke."""

    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        super().__init__()
        import psycopg  # imported here: SQLite users need not install it

        self._psycopg = psycopg
        self.url = url
        self._conn = psycopg.connect(url, autocommit=True)

    @contextmanager
    def _transaction(self) -> Iterator[Tx]:
        if self._conn.closed or self._conn.broken:
            self._conn = self._psycopg.connect(self.url, autocommit=True)
        with self._conn.transaction():
            yield _PostgresTx(self._conn)

    def lock_schema(self, tx: Tx) -> None:
        tx.all("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK_ID,))

    def tables(self, tx: Tx) -> set[str]:
        rows = tx.all("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
        return {row[0] for row in rows}

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def open_database(target: str) -> Database:
    """``postgresql://...`` opens PostgreSQL; anything else is a SQLite file path."""
    if target.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(target)
    return SqliteDatabase(target)
