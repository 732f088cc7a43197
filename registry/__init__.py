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
    InvalidProjectName,
    InvalidRole,
    InvalidSecretName,
    ProjectExists,
    ProjectNotFound,
    RegistryError,
    SecretKeyError,
    SecretNotFound,
    TemplateNotFound,
    TokenNotFound,
    WorkflowNotFound,
)
from registry.idempotency import Claim, IdempotencyKeys, body_hash
from registry.migrations import upgrade
from registry.projects import ProjectInfo, Projects
from registry.secrets import SecretInfo, Secrets, check_secret_name
from registry.templates import BUILTIN_OWNER, Template, Templates, template_id
from registry.tokens import OPERATOR, Access, NewToken, TokenInfo, Tokens, hash_token
from registry.workflows import PutResult, TriggerView, WorkflowInfo, WorkflowRevision, Workflows

__all__ = [
    "BUILTIN_OWNER",
    "OPERATOR",
    "Access",
    "Claim",
    "IdempotencyMismatch",
    "InvalidProjectName",
    "InvalidRole",
    "InvalidSecretName",
    "NewToken",
    "ProjectExists",
    "ProjectInfo",
    "ProjectNotFound",
    "PutResult",
    "Registry",
    "RegistryError",
    "RegistrySettings",
    "SecretCipher",
    "SecretInfo",
    "SecretKeyError",
    "SecretNotFound",
    "Template",
    "TemplateNotFound",
    "TokenInfo",
    "TokenNotFound",
    "TriggerView",
    "WorkflowInfo",
    "WorkflowNotFound",
    "WorkflowRevision",
    "body_hash",
    "check_secret_name",
    "hash_token",
    "template_id",
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
    """The stores over one database connection."""

    def __init__(self, db: Database, cipher: SecretCipher, *, operator_token: str | None = None) -> None:
        self.db = db
        self.projects = Projects(db)
        self.workflows = Workflows(db)
        self.secrets = Secrets(db, cipher)
        self.tokens = Tokens(db, operator=operator_token)
        self.idempotency = IdempotencyKeys(db)
        self.templates = Templates(db)

    @classmethod
    async def open(cls, settings: RegistrySettings) -> Registry:
        """Connect to ``settings.database``, migrate its schema to the latest, load the secrets key."""
        if settings.secret_key is not None:
            cipher = SecretCipher(settings.secret_key.get_secret_value())
        else:
            cipher = await asyncio.to_thread(SecretCipher.from_key_file, settings.secret_key_file)
        db = await asyncio.to_thread(open_database, settings.database)
        try:
            await upgrade(db)
        except BaseException:
            db.close()
            raise
        token = settings.token.get_secret_value() if settings.token is not None else None
        return cls(db, cipher, operator_token=token)

    async def close(self) -> None:
        await asyncio.to_thread(self.db.close)
