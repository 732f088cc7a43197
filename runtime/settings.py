"""Configuration read by every Dispatched process (gateway, worker, CLI, ``dev``).

One :class:`Settings` class, filled from the environment (SPEC §4), so the gateway,
the worker and the CLI can never disagree about where Temporal or the registry is.
Flags of the CLI override these by constructing ``Settings(field=value)``; code handed
an explicit environment mapping uses :meth:`Settings.from_environ`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

from contract.limits import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RUNNING_SPAWNS

DEFAULT_DATA_DIR = ".dispatched"
DEFAULT_SECRET_CACHE_SECONDS = 5.0

# Runs a worker keeps in memory between their workflow tasks (the SDK's default is 1,000).
# A cached run costs ~140 KB (its sandbox and state); an evicted one replays its history
# on its next task, which for a run waiting on a signal is a few events. Runs parked on a
# signal, 2,000: 1,000 cached held the worker at 226 MB, 500 at 171 MB (bench/README.md).
DEFAULT_MAX_CACHED_RUNS = 500

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class Settings(BaseSettings):
    """Every setting of SPEC §4's table, plus where the secrets key lives.

    Field names are the Python spelling; each reads the environment variable in its
    ``validation_alias`` (``TEMPORAL_ADDRESS``, ``DISPATCHED_DATABASE``, ...).
    """

    # env_ignore_empty: ``DISPATCHED_URL=`` (set but empty) means "use the default", as a
    # shell user expects, instead of an empty URL or a port that fails to parse.
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True, env_ignore_empty=True)

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
    project: str | None = Field(
        None,
        validation_alias="DISPATCHED_PROJECT",
        description="the project the CLI names in Dispatched-Project (the operator token's default: 'default')",
    )
    allow_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="DISPATCHED_ALLOW_HOSTS"
    )
    metrics_port: int = Field(
        9464, ge=0, le=65535, validation_alias="DISPATCHED_METRICS_PORT",
        description="where the worker serves Prometheus metrics (on DISPATCHED_HOST); 0 turns them off",
    )
    max_response_bytes: int = Field(
        DEFAULT_MAX_RESPONSE_BYTES,
        ge=1024,
        validation_alias="DISPATCHED_MAX_RESPONSE_BYTES",
        description="the largest upstream response body a request step accepts (SPEC §1: default 1 MiB)",
    )
    max_running_spawns: int = Field(
        DEFAULT_MAX_RUNNING_SPAWNS,
        ge=0,
        validation_alias="DISPATCHED_MAX_RUNNING_SPAWNS",
        description="spawned runs of one project running at once; a spawn past it is rejected (spawn_limit)",
    )
    secret_cache_seconds: float = Field(
        DEFAULT_SECRET_CACHE_SECONDS,
        ge=0,
        validation_alias="DISPATCHED_SECRET_CACHE_SECONDS",
        description="how long the worker keeps a secret value it read; a change drops it at once; 0 turns it off",
    )
    max_cached_runs: int = Field(
        DEFAULT_MAX_CACHED_RUNS,
        ge=0,
        validation_alias="DISPATCHED_MAX_CACHED_RUNS",
        description="runs the worker keeps in memory between their workflow tasks (~140 KB each); an evicted run replays",
    )
    eager_start: bool = Field(
        False,
        validation_alias="DISPATCHED_EAGER_START",
        description=(
            "the gateway runs a worker in its own process and starts sync triggers with eager workflow start "
            "(the run's first workflow task skips the task queue); off: update-with-start, workers elsewhere"
        ),
    )
    secret_key: SecretStr | None = Field(
        None,
        validation_alias="DISPATCHED_SECRET_KEY",
        description="Fernet key that encrypts secrets at rest; else <data_dir>/secret.key",
    )
    payload_key: SecretStr | None = Field(
        None,
        validation_alias="DISPATCHED_PAYLOAD_KEY",
        description="AES-256 keys (base64 of 32 bytes, comma-separated; the first encrypts, all decrypt) "
        "for payloads in Temporal's history; else <data_dir>/payload.key (runtime/payload_keys.py)",
    )
    codec_cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias="DISPATCHED_CODEC_CORS_ORIGINS",
        description="origins (e.g. a Temporal Web UI's http://host:port) allowed to call /codec/* from a browser",
    )
    codec_open_to_loopback: bool = Field(
        False,
        validation_alias="DISPATCHED_CODEC_OPEN_TO_LOOPBACK",
        description="/codec/* needs no token from a loopback peer; only `dispatched dev` sets it",
    )
    temporal_ui_url: str | None = Field(
        None,
        validation_alias="DISPATCHED_TEMPORAL_UI_URL",
        description="Temporal's Web UI (e.g. http://localhost:8233): the console links each run there; unset, no link",
    )
    log_level: LogLevel = Field(
        "INFO",
        validation_alias="DISPATCHED_LOG_LEVEL",
        description="the worker's and the gateway's log level (httpx and httpcore stay at WARNING)",
    )
    otlp_endpoint: str | None = Field(
        None,
        validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT",
        description="an OTLP/HTTP collector (e.g. http://127.0.0.1:4318): spans are exported there; unset, "
        "none are (runtime/tracing.py)",
    )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Settings read from ``environ`` as if it were the whole process environment.

        ``Settings()`` reads ``os.environ``; a caller handed its own mapping (the CLI's
        target lookup, and its tests) must not have a variable the mapping leaves out
        leak in from the calling shell. Names match case-insensitively and empty values
        count as unset, exactly as for ``Settings()``.
        """
        given = {name.upper(): value for name, value in environ.items() if value != ""}
        values: dict[str, Any] = {alias: given[alias] for alias in _environment_names() if alias in given}
        return _GivenOnly(**values)

    @field_validator("allow_hosts", "codec_cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        """The environment gives ``a.example,10.0.0.0/8``; code may pass a list."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_capitals(cls, value: object) -> object:
        """``DISPATCHED_LOG_LEVEL=debug`` is as good as ``DEBUG``."""
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("token", "secret_key", "payload_key", "project", "temporal_ui_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """``DISPATCHED_TOKEN=`` (set but empty, or blank) means no token, never an empty
        one; likewise no key, no project and no Web UI address."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("otlp_endpoint", mode="before")
    @classmethod
    def _otlp_url(cls, value: object) -> object:
        """An absolute http(s) URL, as OpenTelemetry's exporter needs; blank means unset."""
        if not isinstance(value, str) or not value.strip():
            return None if isinstance(value, str) else value
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL with a host (e.g. http://127.0.0.1:4318)")
        return value.strip()

    @property
    def uses_postgres(self) -> bool:
        """True when the registry lives in PostgreSQL rather than a SQLite file."""
        return self.database.startswith(("postgresql://", "postgres://"))

    @property
    def secret_key_file(self) -> Path:
        """The key file made on first use when ``DISPATCHED_SECRET_KEY`` is not set."""
        return self.data_dir / "secret.key"

    @property
    def payload_key_file(self) -> Path:
        """The payload keys' file, made on first use when ``DISPATCHED_PAYLOAD_KEY`` is not set."""
        return self.data_dir / "payload.key"


class _GivenOnly(Settings):
    """:class:`Settings` from constructor values alone, no environment (see ``from_environ``)."""

    model_config = SettingsConfigDict(title="Settings")  # validation errors name the class users know

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def _environment_names() -> list[str]:
    """Every variable :class:`Settings` reads (``TEMPORAL_ADDRESS``, ``DISPATCHED_URL``, ...)."""
    return [alias for field in Settings.model_fields.values() if isinstance(alias := field.validation_alias, str)]
