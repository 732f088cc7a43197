"""The registry: workflows with immutable revisions, encrypted secrets, hashed session
tokens and idempotency keys, in SQLite or PostgreSQL (``DISPATCHED_DATABASE``).

Every process opens it with :meth:`Registry.open`; it creates its schema on open.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol

from pydantic import SecretStr

from registry.crypto import SecretCipher
from registry.database import Database, open_database
from registry.errors import (
    IdempotencyMismatch,
    InvalidSecretName,
    RegistryError,
    SecretKeyError,
    SecretNotFound,
    WorkflowNotFound,
)
from registry.idempotency import Claim, IdempotencyKeys, body_hash
from registry.secrets import SecretInfo, Secrets, check_secret_name
from registry.tokens import TokenInfo, Tokens, hash_token
from registry.workflows import PutResult, WorkflowInfo, WorkflowRevision, Workflows

__all__ = [
    "Claim",
    "IdempotencyMismatch",
    "InvalidSecretName",
    "PutResult",
    "Registry",
    "RegistryError",
    "RegistrySettings",
    "SecretCipher",
    "SecretInfo",
    "SecretKeyError",
    "SecretNotFound",
    "TokenInfo",
    "WorkflowInfo",
    "WorkflowNotFound",
    "WorkflowRevision",
    "body_hash",
    "check_secret_name",
    "hash_token",
]


class RegistrySettings(Protocol):
    """What :meth:`Registry.open` reads; :class:`runtime.settings.Settings` has all of it.

    A protocol rather than the settings class, so the registry sits below the runtime
    that configures it.
    """

    @property
    def database(self) -> str: ...

    @property
    def secret_key(self) -> SecretStr | None: ...

    @property
    def secret_key_file(self) -> Path: ...

    @property
    def token(self) -> SecretStr | None: ...


class Registry:
    """The four stores over one database connection."""

    def __init__(self, db: Database, cipher: SecretCipher, *, bootstrap_token: str | None = None) -> None:
        self.db = db
        self.workflows = Workflows(db)
        self.secrets = Secrets(db, cipher)
        self.tokens = Tokens(db, bootstrap=bootstrap_token)
        self.idempotency = IdempotencyKeys(db)

    @classmethod
    async def open(cls, settings: RegistrySettings) -> Registry:
        """Connect to ``settings.database``, create the schema, load the secrets key."""
        if settings.secret_key is not None:
            cipher = SecretCipher(settings.secret_key.get_secret_value())
        else:
            cipher = await asyncio.to_thread(SecretCipher.from_key_file, settings.secret_key_file)
        db = await asyncio.to_thread(open_database, settings.database)
        try:
            await db.create_schema()
        except BaseException:
            db.close()
            raise
        token = settings.token.get_secret_value() if settings.token is not None else None
        return cls(db, cipher, bootstrap_token=token)

    async def close(self) -> None:
        await asyncio.to_thread(self.db.close)
