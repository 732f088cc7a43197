"""Connecting to Temporal: envconfig's profile and variables, with Settings on top."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from runtime.codec import EncryptionCodec
from runtime.settings import Settings
from runtime.temporal import connect_options, connect_temporal

PROFILE = """
[profile.default]
address = "temporal.internal:7233"
namespace = "orders"
api_key = "key-from-profile"

[profile.staging]
address = "staging.internal:7233"
namespace = "staging"
"""


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No TEMPORAL_* from the machine; a profile file the test may point at."""
    for name in ("TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY", "TEMPORAL_PROFILE", "TEMPORAL_TLS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(tmp_path / "missing.toml"))
    path = tmp_path / "temporal.toml"
    path.write_text(PROFILE)
    return path


def test_nothing_configured_is_localhost_and_default(clean_env: Path) -> None:
    options = connect_options(Settings())
    assert (options["target_host"], options["namespace"]) == ("localhost:7233", "default")
    converter = options["data_converter"]  # the pydantic converter, with the payload codec
    assert converter.payload_converter_class is pydantic_data_converter.payload_converter_class
    assert isinstance(converter.payload_codec, EncryptionCodec)


def test_the_environment_names_address_and_namespace(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", "temporal:7233")
    monkeypatch.setenv("TEMPORAL_NAMESPACE", "prod")
    monkeypatch.setenv("TEMPORAL_API_KEY", "secret-key")
    options = connect_options(Settings())
    assert (options["target_host"], options["namespace"], options["api_key"]) == ("temporal:7233", "prod", "secret-key")


def test_a_profile_file_is_read(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(clean_env))
    options = connect_options(Settings())
    assert (options["target_host"], options["namespace"], options["api_key"]) == (
        "temporal.internal:7233", "orders", "key-from-profile",
    )
    monkeypatch.setenv("TEMPORAL_PROFILE", "staging")
    assert connect_options(Settings())["target_host"] == "staging.internal:7233"


def test_settings_given_explicitly_win_over_the_profile(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEMPORAL_CONFIG_FILE", str(clean_env))
    options = connect_options(Settings(temporal_address="127.0.0.1:7999", temporal_namespace="test"))
    assert (options["target_host"], options["namespace"]) == ("127.0.0.1:7999", "test")
    assert options["api_key"] == "key-from-profile"  # what Settings does not name still comes from the profile


async def test_connect_reaches_the_session_dev_server(client: Client, clean_env: Path) -> None:
    address = client.service_client.config.target_host
    connected = await connect_temporal(Settings(temporal_address=address, temporal_namespace=client.namespace))
    assert connected.namespace == client.namespace
    assert connected.service_client.config.target_host == address


async def test_connect_gives_up_after_its_attempts(clean_env: Path) -> None:
    with pytest.raises(RuntimeError):
        await connect_temporal(Settings(temporal_address="127.0.0.1:1"), attempts=1)
