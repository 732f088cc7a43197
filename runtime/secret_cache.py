"""The worker's secret cache: a few seconds of values, dropped the moment they change.

Every request step that names a secret looks it up (``activities/http.py``); without a
cache each look-up is a registry read, a thread hop and, on PostgreSQL, a round trip.
:class:`CachedSecretStore` wraps any :class:`~activities.secrets.SecretStore` and keeps
each value (and each "not set") for ``ttl`` seconds (``DISPATCHED_SECRET_CACHE_SECONDS``,
default 5; 0 turns the cache off).

How it learns of a change: before every look-up it takes the registry's change feed
(:mod:`registry.secret_changes`): a PostgreSQL ``NOTIFY`` relayed by one LISTEN
connection, or SQLite's ``PRAGMA data_version``. The projects named lose their values,
so the next step after the notice reads the new value. The TTL bounds what a lost
notice can cost; while the feed is not live (starting, or its connection lost) the
cache serves nothing and every look-up reads through. A value read while a change to
its project arrived is returned but not kept, so a slow read never caches what the
change replaced. Values are held in memory only: never logged, never counted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from activities.secrets import SecretStore
from registry.secret_changes import Changes, SecretChanges

DEFAULT_TTL_SECONDS = 5.0


@dataclass(frozen=True)
class _Entry:
    value: str | None
    expires: float


class CachedSecretStore:
    """A :class:`~activities.secrets.SecretStore` that remembers ``store``'s answers for
    ``ttl`` seconds and forgets a project's on a change ``changes`` reports.

    The feed is opened on the first look-up (in the worker's event loop) and closed by
    :meth:`aclose`.
    """

    def __init__(
        self,
        store: SecretStore,
        changes: Callable[[], SecretChanges],
        *,
        ttl: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._make_changes = changes
        self._changes: SecretChanges | None = None
        self._opening = asyncio.Lock()
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._epochs: dict[str, int] = {}  # per project: bumped on each change seen
        self._epoch = 0  # bumped when everything is forgotten
        self.reads = 0
        """Look-ups that went to ``store`` (tests and the bench count them)."""

    @property
    def live(self) -> bool:
        """True while values are being kept: the feed is open and sees every change."""
        return self._ttl > 0 and self._changes is not None and self._changes.live

    async def get(self, project: str, name: str) -> str | None:
        if self._ttl <= 0:
            return await self._read(project, name)
        changes = await self._feed()
        self._forget(changes.take())
        if not changes.live:
            return await self._read(project, name)
        key = (project, name)
        entry = self._entries.get(key)
        if entry is not None and entry.expires > self._clock():
            return entry.value
        before = (self._epoch, self._epochs.get(project, 0))
        value = await self._read(project, name)
        self._forget(changes.take())
        if changes.live and (self._epoch, self._epochs.get(project, 0)) == before:
            self._entries[key] = _Entry(value, self._clock() + self._ttl)
        return value

    async def _read(self, project: str, name: str) -> str | None:
        self.reads += 1
        return await self._store.get(project, name)

    async def _feed(self) -> SecretChanges:
        if self._changes is None:
            async with self._opening:
                if self._changes is None:
                    changes = self._make_changes()
                    await changes.open()
                    self._changes = changes
        return self._changes

    def _forget(self, changes: Changes) -> None:
        if not changes:
            return
        if changes.everything:
            self._entries.clear()
            self._epoch += 1
            return
        for project in changes.projects:
            self._epochs[project] = self._epochs.get(project, 0) + 1
        # Entries past their TTL go too, so names read once do not pile up.
        now = self._clock()
        self._entries = {
            key: entry for key, entry in self._entries.items() if key[0] not in changes.projects and entry.expires > now
        }

    async def aclose(self) -> None:
        if self._changes is not None:
            await self._changes.close()
            self._changes = None
