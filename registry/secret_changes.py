"""How a process that caches secret values learns that another process changed them.

The worker keeps secret values for a few seconds (``runtime/secret_cache.py``) and
must drop a project's values as soon as the gateway sets or deletes one of its
secrets. Each database says so its own way:

* PostgreSQL: :meth:`registry.secrets.Secrets.set` and ``delete`` send
  ``NOTIFY dispatched_secrets, '<project>'`` in the transaction that writes, so the
  notice goes out when (and only when) the change commits. :class:`PostgresSecretChanges`
  keeps one ``LISTEN`` connection of its own, outside the pool, and reconnects when it
  is lost; until it is back it reports itself not live, and a cache reads through.
* SQLite: no server to push anything. :class:`SqliteSecretChanges` keeps one read
  connection and asks ``PRAGMA data_version`` on every look-up: a local check of the
  file's shared memory (microseconds, no I/O) that changes when any other connection
  commits. Only then does it read the secrets' names and times (never values) and
  report the projects whose set differs: a set writes a new ``updated_at``, a delete
  removes a row.

Both answer :meth:`SecretChanges.take`: the projects changed since the last call, or
"everything" when the feed may have missed something (it just started, or it lost
its connection). A lost notification is still bounded by the cache's TTL.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from registry.database import Database, PostgresDatabase, SqliteDatabase

CHANNEL = "dispatched_secrets"
"""The PostgreSQL channel :class:`registry.secrets.Secrets` notifies; the payload is the project."""

APPLICATION_NAME = "dispatched-secret-changes"
"""The ``application_name`` of the LISTEN connection (``pg_stat_activity`` shows it)."""

logger = logging.getLogger("dispatched.registry.secret_changes")


@dataclass(frozen=True)
class Changes:
    """What changed since the last :meth:`SecretChanges.take`."""

    projects: frozenset[str] = frozenset()
    everything: bool = False
    """True when the feed cannot say what changed (it started or reconnected): forget all."""

    def __bool__(self) -> bool:
        return self.everything or bool(self.projects)


NOTHING = Changes()
EVERYTHING = Changes(everything=True)


class SecretChanges(ABC):
    """A feed of secret changes made by any process on the same registry."""

    @property
    @abstractmethod
    def live(self) -> bool:
        """True while the feed sees every change; a cache must not serve values otherwise."""

    @abstractmethod
    async def open(self) -> None:
        """Start watching (called once, in the event loop that will :meth:`take`)."""

    @abstractmethod
    def take(self) -> Changes:
        """The changes since the last call (cheap: it runs before every secret look-up)."""

    @abstractmethod
    async def close(self) -> None: ...


class SqliteSecretChanges(SecretChanges):
    """``PRAGMA data_version`` on a connection of its own, then the projects whose
    secrets' names and times differ."""

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._version: int | None = None
        self._seen: dict[str, frozenset[tuple[str, str]]] = {}
        self._missed = True

    @property
    def live(self) -> bool:
        return self._conn is not None and not self._missed

    async def open(self) -> None:
        def connect() -> sqlite3.Connection:
            # Used from the event loop's thread only; a read never waits on the writer in WAL.
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout=1000")
            return conn

        self._conn = await asyncio.to_thread(connect)

    def take(self) -> Changes:
        if self._conn is None:
            return EVERYTHING
        try:
            version = int(self._conn.execute("PRAGMA data_version").fetchone()[0])
            if version == self._version and not self._missed:
                return NOTHING
            # The version is read first: a commit after it shows as a new version next time.
            rows = self._conn.execute("SELECT project, name, updated_at FROM secrets").fetchall()
        except sqlite3.Error as exc:
            if not self._missed:
                logger.warning("secret change check failed (%s); reading secrets through", type(exc).__name__)
            self._missed = True
            return EVERYTHING
        now: dict[str, set[tuple[str, str]]] = {}
        for project, name, updated_at in rows:
            now.setdefault(str(project), set()).add((str(name), str(updated_at)))
        seen = {project: frozenset(pairs) for project, pairs in now.items()}
        changed = frozenset(p for p in seen.keys() | self._seen.keys() if seen.get(p) != self._seen.get(p))
        missed, self._missed = self._missed, False
        self._version, self._seen = version, seen
        return EVERYTHING if missed else Changes(changed)

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class PostgresSecretChanges(SecretChanges):
    """One ``LISTEN dispatched_secrets`` connection, kept open by a task that reconnects."""

    HEARTBEAT_SECONDS = 5.0
    """How often an idle LISTEN connection is checked with ``SELECT 1``."""

    RETRY_SECONDS = (0.1, 0.2, 0.5, 1.0, 2.0)
    """Waits between reconnection attempts; the last repeats."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._task: asyncio.Task[None] | None = None
        self._pending: set[str] = set()
        self._everything = True
        self._live = False
        self.connections = 0
        """How many times the LISTEN connection was made (tests watch it reconnect)."""

    @property
    def live(self) -> bool:
        return self._live

    async def open(self) -> None:
        self._task = asyncio.create_task(self._listen_forever(), name="dispatched-secret-changes")

    def take(self) -> Changes:
        if self._everything:
            self._everything = False
            self._pending.clear()
            return EVERYTHING
        if not self._pending:
            return NOTHING
        changed, self._pending = frozenset(self._pending), set()
        return Changes(changed)

    async def _listen_forever(self) -> None:
        import psycopg  # imported here: SQLite users need not install it

        failures = 0
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._url, autocommit=True, application_name=APPLICATION_NAME, connect_timeout=5,
                    keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=3,
                ) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    # Anything may have changed while no one listened: forget all, then trust notices.
                    self._everything, self._live = True, True
                    self.connections += 1
                    if failures:
                        logger.info("secret change feed reconnected")
                    failures = 0
                    await self._relay(conn)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._live, self._everything = False, True
                failures += 1
                if failures == 1:
                    logger.warning("secret change feed lost (%s); reading secrets through until it is back",
                                   type(exc).__name__)
                await asyncio.sleep(self.RETRY_SECONDS[min(failures, len(self.RETRY_SECONDS)) - 1])

    async def _relay(self, conn: Any) -> None:
        while True:
            async for notice in conn.notifies(timeout=self.HEARTBEAT_SECONDS):
                self._pending.add(notice.payload)
            await asyncio.wait_for(conn.execute("SELECT 1"), self.HEARTBEAT_SECONDS)

    async def close(self) -> None:
        self._live = False
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


def secret_changes(db: Database) -> SecretChanges:
    """The change feed that suits ``db``'s kind (not yet open)."""
    if isinstance(db, PostgresDatabase):
        return PostgresSecretChanges(db.url)
    if isinstance(db, SqliteDatabase):
        return SqliteSecretChanges(db.path)
    raise TypeError(f"no secret change feed for a {type(db).__name__}")
