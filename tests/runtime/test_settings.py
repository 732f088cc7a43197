"""Settings come from SPEC §4's environment variables, with SPEC's defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.client import Client

from runtime.settings import Settings
from runtime.worker import build_worker

ALL = [
    "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "DISPATCHED_TASK_QUEUE", "DISPATCHED_DATABASE",
    "DISPATCHED_PORT", "DISPATCHED_TOKEN", "DISPATCHED_URL", "DISPATCHED_ALLOW_HOSTS",
    "DISPATCHED_SECRET_KEY", "DISPATCHED_DATA_DIR", "DISPATCHED_HOST", "DISPATCHED_MAX_RESPONSE_BYTES",
    "DISPATCHED_LOG_LEVEL", "DISPATCHED_PROJECT",
]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ALL:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_are_the_spec_table(env: pytest.MonkeyPatch) -> None:
    s = Settings()
    assert (s.temporal_address, s.temporal_namespace, s.task_queue) == ("localhost:7233", "default", "dispatched")
    assert (s.database, s.port, s.url) == (".dispatched/dispatched.db", 4000, "http://localhost:4000")
    assert s.token is None and s.allow_hosts == [] and not s.uses_postgres
    assert s.secret_key_file == Path(".dispatched/secret.key")


def test_environment_overrides(env: pytest.MonkeyPatch) -> None:
    env.setenv("TEMPORAL_ADDRESS", "temporal:7233")
    env.setenv("TEMPORAL_NAMESPACE", "prod")
    env.setenv("DISPATCHED_TASK_QUEUE", "q")
    env.setenv("DISPATCHED_DATABASE", "postgresql://u@db/dispatched")
    env.setenv("DISPATCHED_PORT", "8080")
    env.setenv("DISPATCHED_TOKEN", "s3cr3t-t0k")
    env.setenv("DISPATCHED_URL", "http://gw:8080")
    env.setenv("DISPATCHED_ALLOW_HOSTS", "127.0.0.1, 10.0.0.0/8,,svc.local")
    env.setenv("DISPATCHED_DATA_DIR", "/var/lib/dispatched")
    s = Settings()
    assert (s.temporal_address, s.temporal_namespace, s.task_queue, s.port) == ("temporal:7233", "prod", "q", 8080)
    assert s.uses_postgres and s.url == "http://gw:8080"
    assert s.token is not None and s.token.get_secret_value() == "s3cr3t-t0k"
    assert "s3cr3t" not in repr(s)  # the token never shows in logs of the settings
    assert s.allow_hosts == ["127.0.0.1", "10.0.0.0/8", "svc.local"]
    assert s.secret_key_file == Path("/var/lib/dispatched/secret.key")


def test_empty_token_means_none_and_code_can_pass_fields(env: pytest.MonkeyPatch) -> None:
    env.setenv("DISPATCHED_TOKEN", "")
    assert Settings().token is None
    assert Settings(port=5000, allow_hosts=["a"]).port == 5000


def test_empty_variables_mean_the_default(env: pytest.MonkeyPatch) -> None:
    env.setenv("DISPATCHED_PORT", "")
    env.setenv("DISPATCHED_URL", "")
    s = Settings()
    assert (s.port, s.url) == (4000, "http://localhost:4000") and "url" not in s.model_fields_set


def test_project_is_read_and_blank_means_none(env: pytest.MonkeyPatch) -> None:
    assert Settings().project is None
    env.setenv("DISPATCHED_PROJECT", "shop")
    assert Settings().project == "shop"
    env.setenv("DISPATCHED_PROJECT", "  ")
    assert Settings().project is None
    assert Settings.from_environ({"DISPATCHED_PROJECT": "shop"}).project == "shop"
    assert Settings.from_environ({"DISPATCHED_PROJECT": ""}).project is None


def test_log_level_defaults_to_info_and_is_checked(env: pytest.MonkeyPatch) -> None:
    assert Settings().log_level == "INFO"
    env.setenv("DISPATCHED_LOG_LEVEL", "debug")
    assert Settings().log_level == "DEBUG"
    env.setenv("DISPATCHED_LOG_LEVEL", "chatty")
    with pytest.raises(ValidationError, match="DISPATCHED_LOG_LEVEL"):
        Settings()


def test_from_environ_reads_the_mapping_alone(env: pytest.MonkeyPatch) -> None:
    env.setenv("DISPATCHED_URL", "http://leaked:1")
    env.setenv("TEMPORAL_ADDRESS", "leaked:7233")
    s = Settings.from_environ({"DISPATCHED_TOKEN": "tok", "dispatched_port": "8080", "DISPATCHED_DATA_DIR": ""})
    assert isinstance(s, Settings)
    assert (s.url, s.temporal_address, s.port, s.data_dir) == ("http://localhost:4000", "localhost:7233", 8080,
                                                                Path(".dispatched"))
    assert s.token is not None and s.token.get_secret_value() == "tok"
    assert s.model_fields_set == {"token", "port"}  # what was given, as Settings() reports it
    with pytest.raises(ValidationError, match="DISPATCHED_PORT"):
        Settings.from_environ({"DISPATCHED_PORT": "x"})


async def test_response_body_cap_is_configured_and_reaches_the_worker(env: pytest.MonkeyPatch, client: Client) -> None:
    assert Settings().max_response_bytes == 1024 * 1024
    env.setenv("DISPATCHED_MAX_RESPONSE_BYTES", "4096")
    settings = Settings()
    assert settings.max_response_bytes == 4096
    worker = build_worker(client, settings, registry=None)  # type: ignore[arg-type]  # adapters only keep it
    async with worker:  # started and shut down, so nothing it spawned outlives the test
        assert worker.http.max_body_bytes == 4096
