"""One small data-access layer over SQLite (stdlib) and PostgreSQL (psycopg 3).

Both drivers are synchronous; every unit of work runs in a worker thread
(``asyncio.to_thread``) inside one transaction, which keeps the event loop free. SQL is
written once with ``?`` placeholders; the Postgres side rewrites them to ``%s`` (no
statement here has a ``?`` inside a literal). A unit of work says whether it writes:

* :meth:`Database.run` — a write transaction. SQLite has one writer per file, so writes
  take the process's write connection in turn (``BEGIN IMMEDIATE`` orders them across
  processes too); PostgreSQL takes a connection from a pool, no lock in the process.
* :meth:`Database.read` — a read-only one. SQLite in WAL mode lets readers run beside
  the writer, each on a connection of its own thread; PostgreSQL uses the pool again.

So the worker's secret look-up for a request step never waits behind another
request's registry write, and the gateway's trigger path (token, workflow, secrets)
reads concurrently.

The pool is ``psycopg_pool``'s ``ConnectionPool`` (the thread-safe one, used from the
worker threads), not its async twin: every store keeps one SQL layer, sync, shared
with SQLite, and the threads already keep the event loop free.
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
    """Transactions run in worker threads: writes through :meth:`run`, reads through :meth:`read`."""

    dialect: str

    async def run(self, work: Callable[[Tx], T]) -> T:
        """Run ``work`` in one write transaction in a thread: committed if it returns,
        rolled back if it raises."""
        return await asyncio.to_thread(self._in_transaction, work, write=True)

    async def read(self, work: Callable[[Tx], T]) -> T:
        """Run ``work``, which only reads, in one transaction in a thread (a consistent
        snapshot); it may run beside writes and other reads."""
        return await asyncio.to_thread(self._in_transaction, work, write=False)

    def _in_transaction(self, work: Callable[[Tx], T], *, write: bool) -> T:
        with self._transaction(write=write) as tx:
            return work(tx)

    @abstractmethod
    def tables(self, tx: Tx) -> set[str]:
        """The names of the tables that exist."""

    @abstractmethod
    def lock_schema(self, tx: Tx) -> None:
        """Hold off other processes changing the schema until ``tx`` ends."""

    @abstractmethod
    def _transaction(self, *, write: bool) -> Any:
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
        self._write_lock = threading.Lock()
        self._readers = threading.local()
        self._all_readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._conn = self._connect()
        try:
            _enable_wal(self._conn)
            self._conn.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            self._conn.close()
            raise

    def _connect(self) -> sqlite3.Connection:
        # isolation_level=None: we issue BEGIN ourselves, so a write transaction takes the
        # write lock up front (IMMEDIATE) instead of failing to upgrade a read lock.
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout={int(_SQLITE_BUSY_SECONDS * 1000)}")
        except BaseException:
            conn.close()
            raise
        return conn

    def _reader(self) -> sqlite3.Connection:
        """This thread's read connection (WAL: readers never block the writer, nor it them)."""
        conn: sqlite3.Connection | None = getattr(self._readers, "conn", None)
        if conn is None:
            conn = self._readers.conn = self._connect()
            with self._readers_lock:
                self._all_readers.append(conn)
        return conn

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Tx]:
        if write:
            with self._write_lock, self._begun(self._conn, "BEGIN IMMEDIATE") as tx:
                yield tx
        else:
            with self._begun(self._reader(), "BEGIN") as tx:
                yield tx

    @staticmethod
    @contextmanager
    def _begun(conn: sqlite3.Connection, begin: str) -> Iterator[Tx]:
        conn.execute(begin)
        try:
            yield _SqliteTx(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def lock_schema(self, tx: Tx) -> None:
        pass  # BEGIN IMMEDIATE already holds SQLite's one write lock for the transaction

    def tables(self, tx: Tx) -> set[str]:
        return {row[0] for row in tx.all("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def close(self) -> None:
        with self._write_lock, self._readers_lock:
            self._conn.close()
            for conn in self._all_readers:
                conn.close()
            self._all_readers.clear()


class _PostgresTx(Tx):
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Params = ()) -> int:
        cursor = self._conn.execute(sql.replace("?", "%s"), tuple(params))
        return max(int(cursor.rowcount), 0)

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        cursor = self._conn.execute(sql.replace("?", "%s"), tuple(params))
        return [tuple(row) for row in cursor.fetchall()] if cursor.description else []


POOL_SIZE = 10
"""Connections per process: about as many transactions as the threads that run them."""


class PostgresDatabase(Database):
    """A PostgreSQL database reached by URL, through a pool of connections; a broken one
    is noticed when taken (``check``) and replaced."""

    dialect = "postgresql"

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE) -> None:
        # imported here: SQLite users need not install them
        from psycopg_pool import ConnectionPool

        self.url = url
        self._pool = ConnectionPool(
            url, min_size=1, max_size=pool_size, kwargs={"autocommit": True},
            check=ConnectionPool.check_connection, open=False,
        )
        self._pool.open(wait=True, timeout=30)

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Tx]:
        with self._pool.connection() as conn, conn.transaction():
            yield _PostgresTx(conn)

    def lock_schema(self, tx: Tx) -> None:
        tx.all("SELECT pg_advisory_xact_lock(?)", (_SCHEMA_LOCK_ID,))

    def tables(self, tx: Tx) -> set[str]:
        rows = tx.all("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
        return {row[0] for row in rows}

    def close(self) -> None:
        self._pool.close()


def open_database(target: str) -> Database:
    """``postgresql://...`` opens PostgreSQL; anything else is a SQLite file path."""
    if target.startswith(("postgresql://", "postgres://")):
        return PostgresDatabase(target)
    return SqliteDatabase(target)
