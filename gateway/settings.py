"""Configuration read by every Dispatched process (gateway, worker, CLI, ``dev``).

One :class:`Settings` class, filled from the environment (SPEC §4), so the gateway,
the worker and the CLI can never disagree about where Temporal or the registry is.
Flags of the CLI override these by constructing ``Settings(field=value)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATA_DIR = ".dispatched"


class Settings(BaseSettings):
    """Every setting of SPEC §4's table, plus where the secrets key lives.

    Field names are the Python spelling; each reads the environment variable in its
    ``validation_alias`` (``TEMPORAL_ADDRESS``, ``DISPATCHED_DATABASE``, ...).
    """

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    temporal_address: str = Field("localhost:7233", validation_alias="TEMPORAL_ADDRESS")
    temporal_namespace: str = Field("default", validation_alias="TEMPORAL_NAMESPACE")
    task_queue: str = Field("dispatched", validation_alias="DISPATCHED_TASK_QUEUE")
    data_dir: Path = Field(Path(DEFAULT_DATA_DIR), validation_alias="DISPATCHED_DATA_DIR")
    database: str = Field(
        f"{DEFAULT_DATA_DIR}/dispatched.db",
        validation_alias="DISPATCHED_DATABASE",
        description="a SQLite file path, or a postgresql:// URL",
    )
    host: str = Field("127.0.0.1", validation_alias="DISPATCHED_HOST")
    port: int = Field(4000, ge=1, le=65535, validation_alias="DISPATCHED_PORT")
    token: SecretStr | None = Field(None, validation_alias="DISPATCHED_TOKEN")
    url: str = Field("http://localhost:4000", validation_alias="DISPATCHED_URL")
    allow_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="DISPATCHED_ALLOW_HOSTS"
    )
    max_response_bytes: int = Field(
        1024 * 1024,
        ge=1024,
        validation_alias="DISPATCHED_MAX_RESPONSE_BYTES",
        description="the largest upstream response body a request step accepts (SPEC §1: default 1 MiB)",
    )
    secret_key: SecretStr | None = Field(
        None,
        validation_alias="DISPATCHED_SECRET_KEY",
        description="Fernet key that encrypts secrets at rest; else <data_dir>/secret.key",
    )

    @field_validator("allow_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """The environment gives ``a.example,10.0.0.0/8``; code may pass a list."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("token", "secret_key", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """``DISPATCHED_TOKEN=`` (set but empty) means no token, never an empty one."""
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def uses_postgres(self) -> bool:
        """True when the registry lives in PostgreSQL rather than a SQLite file."""
        return self.database.startswith(("postgresql://", "postgres://"))

    @property
    def secret_key_file(self) -> Path:
        """The key file made on first use when ``DISPATCHED_SECRET_KEY`` is not set."""
        return self.data_dir / "secret.key"
