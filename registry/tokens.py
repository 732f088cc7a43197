"""Session tokens: each belongs to one project and has one role (SPEC §6).

Tokens are stored as SHA-256 hashes, so a database leak reveals none of them; the
plain token is returned once, when made. Each has a public ``id`` (``tok_...``) to list
and revoke it by, and a last-used time. ``DISPATCHED_TOKEN``, the operator token, is
never stored: it is ``admin`` of every project and the only one that creates projects.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from contract.roles import Role, is_role
from registry.database import Database, Tx, now_text, parse_time
from registry.errors import InvalidRole, TokenNotFound

TOKEN_PREFIX = "dsp_"
TOKEN_ID_PREFIX = "tok_"
MAX_LABEL_CHARS = 200
LAST_USED_PRECISION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _minute_ago() -> str:
    return (datetime.now(UTC) - LAST_USED_PRECISION).isoformat(timespec="microseconds")


def new_token() -> str:
    """A fresh random token (256 bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Access:
    """Who presented a token: the operator (``project`` None: every project, as admin)
    or a project token with its role."""

    project: str | None
    role: Role
    token_id: str | None = None

    @property
    def is_operator(self) -> bool:
        return self.project is None


OPERATOR = Access(project=None, role="admin")


@dataclass(frozen=True)
class TokenInfo:
    """A token as the list shows it: never its value, never its hash."""

    id: str
    project: str
    role: Role
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class NewToken:
    """A token just made: ``token`` is the only time its value is seen."""

    info: TokenInfo
    token: str


_COLUMNS = "id, project, role, label, created_at, last_used_at, revoked_at"


def _info(row: tuple[object, ...]) -> TokenInfo:
    token_id, project, role, label, created, used, revoked = row
    return TokenInfo(
        str(token_id), str(project), role, str(label), parse_time(str(created)),  # type: ignore[arg-type]
        parse_time(str(used)) if used else None, parse_time(str(revoked)) if revoked else None,
    )


class Tokens:
    """Data access for the ``tokens`` table plus the operator token."""

    def __init__(self, db: Database, *, operator: str | None = None) -> None:
        self._db = db
        self._operator_hash = hash_token(operator) if operator else None

    async def create(self, project: str, role: str, label: str = "") -> NewToken:
        """Make and store a token of ``role`` in ``project``.

        Raises:
            InvalidRole: ``role`` is not one of the four.
        """
        if not is_role(role):
            raise InvalidRole(role)
        token = new_token()
        token_id = TOKEN_ID_PREFIX + secrets.token_hex(8)
        now = now_text()
        label = label[:MAX_LABEL_CHARS]

        def work(tx: Tx) -> TokenInfo:
            tx.execute(
                f"INSERT INTO tokens (hash, {_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)",
                (hash_token(token), token_id, project, role, label, now),
            )
            row = tx.one(f"SELECT {_COLUMNS} FROM tokens WHERE id = ?", (token_id,))
            assert row is not None
            return _info(row)

        return NewToken(await self._db.run(work), token)

    async def revoke(self, project: str, token_id: str) -> TokenInfo:
        """Revoke a token of ``project`` (revoking twice is no error).

        Raises:
            TokenNotFound: no token with that id in ``project``.
        """

        def work(tx: Tx) -> TokenInfo | None:
            tx.execute(
                "UPDATE tokens SET revoked_at = ? WHERE id = ? AND project = ? AND revoked_at IS NULL",
                (now_text(), token_id, project),
            )
            row = tx.one(f"SELECT {_COLUMNS} FROM tokens WHERE id = ? AND project = ?", (token_id, project))
            return _info(row) if row else None

        info = await self._db.run(work)
        if info is None:
            raise TokenNotFound(token_id)
        return info

    async def authenticate(self, token: str | None) -> Access | None:
        """Who ``token`` is: the operator, a live project token (its last use noted), or None."""
        if not token:
            return None
        digest = hash_token(token)
        if self._operator_hash is not None and hmac.compare_digest(digest, self._operator_hash):
            return OPERATOR

        row = await self._db.read(
            lambda tx: tx.one(
                "SELECT hash, id, project, role, last_used_at FROM tokens WHERE hash = ? AND revoked_at IS NULL", (digest,)
            )
        )
        if row is None or not hmac.compare_digest(str(row[0]), digest):
            return None
        token_id, last_used = str(row[1]), row[4]
        # Noted at most once a minute: a busy token must not turn every request into a write.
        if last_used is None or str(last_used) < _minute_ago():
            await self._db.run(
                lambda tx: tx.execute(
                    "UPDATE tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
                    (now_text(), token_id, _minute_ago()),
                )
            )
        return Access(project=str(row[2]), role=row[3], token_id=token_id)

    async def list(self, project: str) -> list[TokenInfo]:
        """The project's tokens, revoked ones included, oldest first."""
        rows = await self._db.read(
            lambda tx: tx.all(f"SELECT {_COLUMNS} FROM tokens WHERE project = ? ORDER BY created_at, id", (project,))
        )
        return [_info(row) for row in rows]
