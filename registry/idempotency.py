"""Idempotency keys: the first request with a key claims it for 24 hours.

The claim is one INSERT ... ON CONFLICT DO NOTHING followed by a read, in one
transaction: of any number of concurrent requests with the same key exactly one
inserts, and every other one reads the winner's run id. The run id then doubles as the
Temporal workflow id, so even the start of the run is deduplicated by Temporal.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from registry.database import Database, Tx, now_text
from registry.errors import IdempotencyMismatch

KEY_TTL = timedelta(hours=24)


def body_hash(body: Any) -> str:
    """SHA-256 of the body's canonical JSON (sorted keys, no spaces), so the same JSON
    written with other spacing or key order counts as the same body."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Claim:
    """Which run a key belongs to; ``first`` is True for the request that claimed it."""

    run_id: str
    first: bool


class IdempotencyKeys:
    """Data access for the ``idempotency`` table."""

    def __init__(self, db: Database, *, ttl: timedelta = KEY_TTL) -> None:
        self._db = db
        self._ttl = ttl

    async def claim(self, project: str, workflow: str, key: str, *, body: Any, run_id: str) -> Claim:
        """Claim ``key`` for ``run_id``, or return the run that already holds it.

        Raises:
            IdempotencyMismatch: the key is held by a request with a different body.
        """
        digest = body_hash(body)
        cutoff = (datetime.now(UTC) - self._ttl).isoformat(timespec="microseconds")

        def work(tx: Tx) -> tuple[str, str]:
            tx.execute("DELETE FROM idempotency WHERE created_at < ?", (cutoff,))
            tx.execute(
                "INSERT INTO idempotency (project, workflow, key, body_hash, run_id, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (project, workflow, key) DO NOTHING",
                (project, workflow, key, digest, run_id, now_text()),
            )
            row = tx.one(
                "SELECT body_hash, run_id FROM idempotency WHERE project = ? AND workflow = ? AND key = ?",
                (project, workflow, key),
            )
            assert row is not None
            return row[0], row[1]

        held_hash, held_run = await self._db.run(work)
        if held_hash != digest:
            raise IdempotencyMismatch(workflow, key)
        return Claim(run_id=held_run, first=held_run == run_id)
