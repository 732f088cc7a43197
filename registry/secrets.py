"""Secrets: encrypted at rest, names only on the way out (values go to activities).

A set or a delete tells caching readers (the worker's secret cache) that the project's
secrets changed: on PostgreSQL a ``NOTIFY`` in the same transaction, sent on commit;
on SQLite the commit itself is the signal (see :mod:`registry.secret_changes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contract.identifiers import is_secret_name
from registry.crypto import SecretCipher
from registry.database import Database, Tx, now_text, parse_time
from registry.errors import InvalidSecretName, SecretNotFound
from registry.secret_changes import CHANNEL


@dataclass(frozen=True)
class SecretInfo:
    """What anyone may know about a secret: its name and when it last changed."""

    name: str
    updated_at: datetime


def check_secret_name(name: str) -> str:
    """``name`` if it is a valid secret name (``secrets.ECOM_API_URL``), else raise."""
    if not is_secret_name(name):
        raise InvalidSecretName(name)
    return name


class Secrets:
    """Data access for the ``secrets`` table."""

    def __init__(self, db: Database, cipher: SecretCipher) -> None:
        self._db = db
        self._cipher = cipher

    async def set(self, project: str, name: str, value: str) -> SecretInfo:
        check_secret_name(name)
        encrypted = self._cipher.encrypt(value)
        now = now_text()

        def work(tx: Tx) -> None:
            tx.execute(
                "INSERT INTO secrets (project, name, value, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (project, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (project, name, encrypted, now),
            )
            self._notify(tx, project)

        await self._db.run(work)
        return SecretInfo(name, parse_time(now))

    async def get(self, project: str, name: str) -> str | None:
        """The decrypted value, for the worker's request activity only."""
        row = await self._db.read(
            lambda tx: tx.one("SELECT value FROM secrets WHERE project = ? AND name = ?", (project, name))
        )
        return self._cipher.decrypt(row[0]) if row else None

    async def delete(self, project: str, name: str) -> None:
        def work(tx: Tx) -> int:
            changed = tx.execute("DELETE FROM secrets WHERE project = ? AND name = ?", (project, name))
            if changed:
                self._notify(tx, project)
            return changed

        if not await self._db.run(work):
            raise SecretNotFound(name)

    def _notify(self, tx: Tx, project: str) -> None:
        """PostgreSQL: tell the listening workers on commit (a rolled-back change sends nothing)."""
        if self._db.dialect == "postgresql":
            tx.all("SELECT pg_notify(?, ?)", (CHANNEL, project))

    async def list(self, project: str) -> list[SecretInfo]:
        """The project's set secrets (names and times, never values), by name."""
        rows = await self._db.read(
            lambda tx: tx.all("SELECT name, updated_at FROM secrets WHERE project = ? ORDER BY name", (project,))
        )
        return [SecretInfo(name, parse_time(at)) for name, at in rows]
