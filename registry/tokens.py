"""Session tokens, stored as SHA-256 hashes so a database leak reveals none of them.

``DISPATCHED_TOKEN`` is always accepted (the bootstrap token, never stored); more
tokens can be created and revoked here.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from registry.database import Database, now_text, parse_time

TOKEN_PREFIX = "dsp_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh random token (256 bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class TokenInfo:
    hash: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


class Tokens:
    """Data access for the ``tokens`` table plus the bootstrap token."""

    def __init__(self, db: Database, *, bootstrap: str | None = None) -> None:
        self._db = db
        self._bootstrap_hash = hash_token(bootstrap) if bootstrap else None

    async def create(self, label: str) -> str:
        """Make and store a token; the plain token is returned once and never kept."""
        token = new_token()
        await self._db.run(
            lambda tx: tx.execute(
                "INSERT INTO tokens (hash, label, created_at) VALUES (?, ?, ?)",
                (hash_token(token), label, now_text()),
            )
        )
        return token

    async def revoke(self, token: str) -> bool:
        """Revoke a stored token; False when it is unknown or already revoked."""
        changed = await self._db.run(
            lambda tx: tx.execute(
                "UPDATE tokens SET revoked_at = ? WHERE hash = ? AND revoked_at IS NULL",
                (now_text(), hash_token(token)),
            )
        )
        return bool(changed)

    async def verify(self, token: str | None) -> bool:
        """True for the bootstrap token or a stored, unrevoked one."""
        if not token:
            return False
        digest = hash_token(token)
        if self._bootstrap_hash is not None and hmac.compare_digest(digest, self._bootstrap_hash):
            return True
        row = await self._db.run(
            lambda tx: tx.one("SELECT hash FROM tokens WHERE hash = ? AND revoked_at IS NULL", (digest,))
        )
        return row is not None and hmac.compare_digest(row[0], digest)

    async def list(self) -> list[TokenInfo]:
        rows = await self._db.run(
            lambda tx: tx.all("SELECT hash, label, created_at, revoked_at FROM tokens ORDER BY created_at")
        )
        return [
            TokenInfo(h, label, parse_time(at), parse_time(rev) if rev else None) for h, label, at, rev in rows
        ]
