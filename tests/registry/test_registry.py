"""The registry against real databases: a SQLite file and a throwaway PostgreSQL."""

from __future__ import annotations

import asyncio
import stat
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from contract.document import Document
from registry import (
    IdempotencyMismatch,
    InvalidSecretName,
    Registry,
    SecretKeyError,
    SecretNotFound,
    WorkflowNotFound,
)
from registry.idempotency import IdempotencyKeys
from runtime.settings import Settings
from tests.registry.postgres import PostgresCluster


def doc(name: str = "orders", version: int = 1, **respond: object) -> Document:
    return Document.model_validate(
        {"name": name, "version": version, "steps": {"answer": {"respond": respond or {"status": 201}}}}
    )


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "sqlite":
        return Settings(database=str(tmp_path / "reg.db"), data_dir=tmp_path, token="boot-token")
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    name = f"t_{uuid.uuid4().hex}"
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return Settings(database=cluster.url.rsplit("/", 1)[0] + f"/{name}", data_dir=tmp_path, token="boot-token")


@pytest.fixture
async def registry(settings: Settings) -> AsyncIterator[Registry]:
    reg = await Registry.open(settings)
    try:
        yield reg
    finally:
        await reg.close()


async def test_revisions_count_up_and_identical_source_is_not_a_new_revision(registry: Registry) -> None:
    first = await registry.workflows.put(doc(), source="a", format="yaml")
    again = await registry.workflows.put(doc(), source="a", format="yaml")
    second = await registry.workflows.put(doc(version=7), source="b", format="json")
    assert (first.revision.revision, first.created) == (1, True)
    assert (again.revision.revision, again.created) == (1, False)
    assert (second.revision.revision, second.revision.version, second.revision.format) == (2, 7, "json")
    assert [r.revision for r in await registry.workflows.revisions("orders")] == [1, 2]
    assert (await registry.workflows.revisions("orders"))[0].source == "a"  # revisions are immutable
    [info] = await registry.workflows.list()
    assert (info.name, info.revision, info.version) == ("orders", 2, 7)


async def test_document_round_trip_keeps_what_the_author_wrote(registry: Registry) -> None:
    explicit_null = doc(status=200, body=None)
    await registry.workflows.put(explicit_null, source="x", format="yaml")
    stored = await registry.workflows.require("orders")
    respond = stored.document.steps["answer"].respond
    assert respond is not None and respond.has_explicit_body
    await registry.workflows.put(doc(status=200), source="y", format="yaml")
    respond = (await registry.workflows.require("orders")).document.steps["answer"].respond
    assert respond is not None and not respond.has_explicit_body


async def test_delete_hides_the_workflow_and_a_new_put_continues_numbering(registry: Registry) -> None:
    await registry.workflows.put(doc(), source="a", format="yaml")
    await registry.workflows.delete("orders")
    assert await registry.workflows.current("orders") is None
    assert await registry.workflows.list() == []
    with pytest.raises(WorkflowNotFound, match="orders"):
        await registry.workflows.require("orders")
    with pytest.raises(WorkflowNotFound):
        await registry.workflows.delete("orders")
    again = await registry.workflows.put(doc(), source="a", format="yaml")
    assert (again.revision.revision, again.created) == (2, True)


async def test_secrets_are_encrypted_at_rest_and_listed_without_values(registry: Registry) -> None:
    await registry.secrets.set("ECOM_API_URL", "http://shop.internal/very-secret")
    assert await registry.secrets.get("ECOM_API_URL") == "http://shop.internal/very-secret"
    raw = await registry.db.run(lambda tx: tx.all("SELECT name, value FROM secrets"))
    assert raw[0][0] == "ECOM_API_URL" and "very-secret" not in raw[0][1]
    [info] = await registry.secrets.list()
    assert info.name == "ECOM_API_URL" and not hasattr(info, "value")
    await registry.secrets.set("ECOM_API_URL", "second")
    assert await registry.secrets.get("ECOM_API_URL") == "second"
    await registry.secrets.delete("ECOM_API_URL")
    assert await registry.secrets.get("ECOM_API_URL") is None
    with pytest.raises(SecretNotFound):
        await registry.secrets.delete("ECOM_API_URL")


@pytest.mark.parametrize("bad", ["lower", "1ABC", "A-B", "", "A" * 129, "SPACE NAME"])
async def test_secret_names_are_upper_snake_case(registry: Registry, bad: str) -> None:
    with pytest.raises(InvalidSecretName, match="upper-case"):
        await registry.secrets.set(bad, "v")


async def test_tokens_are_stored_hashed_and_can_be_revoked(registry: Registry) -> None:
    assert await registry.tokens.verify("boot-token")
    assert not await registry.tokens.verify("boot-token ")
    assert not await registry.tokens.verify(None)
    token = await registry.tokens.create("ci")
    assert await registry.tokens.verify(token)
    stored = await registry.db.run(lambda tx: tx.all("SELECT hash, label FROM tokens"))
    assert token not in str(stored) and stored[0][1] == "ci"
    assert await registry.tokens.revoke(token)
    assert not await registry.tokens.verify(token)
    assert not await registry.tokens.revoke(token)


async def test_idempotency_first_claim_wins_and_bodies_compare_canonically(registry: Registry) -> None:
    first = await registry.idempotency.claim("orders", "k1", body={"a": 1, "b": [1, 2]}, run_id="run_1")
    repeat = await registry.idempotency.claim("orders", "k1", body={"b": [1, 2], "a": 1}, run_id="run_2")
    assert (first.run_id, first.first) == ("run_1", True)
    assert (repeat.run_id, repeat.first) == ("run_1", False)
    with pytest.raises(IdempotencyMismatch, match="different body"):
        await registry.idempotency.claim("orders", "k1", body={"a": 2}, run_id="run_3")
    other = await registry.idempotency.claim("billing", "k1", body=None, run_id="run_4")
    assert other.first  # keys are per workflow


async def test_fifty_concurrent_claims_agree_on_one_run(registry: Registry) -> None:
    claims = await asyncio.gather(
        *(registry.idempotency.claim("orders", "same", body={"n": 1}, run_id=f"run_{i}") for i in range(50))
    )
    assert len({c.run_id for c in claims}) == 1
    assert sum(c.first for c in claims) == 1


async def test_expired_keys_can_be_claimed_again(registry: Registry) -> None:
    keys = IdempotencyKeys(registry.db, ttl=timedelta(milliseconds=50))
    await keys.claim("orders", "k", body=1, run_id="run_old")
    await asyncio.sleep(0.1)
    fresh = await keys.claim("orders", "k", body=2, run_id="run_new")
    assert (fresh.run_id, fresh.first) == ("run_new", True)


async def test_opening_twice_keeps_the_data(settings: Settings) -> None:
    first = await Registry.open(settings)
    await first.secrets.set("KEPT", "value")
    await first.close()
    second = await Registry.open(settings)
    try:
        assert await second.secrets.get("KEPT") == "value"
    finally:
        await second.close()


async def test_key_file_is_private_and_a_different_key_cannot_read(settings: Settings, tmp_path: Path) -> None:
    reg = await Registry.open(settings)
    await reg.secrets.set("TOKEN", "value")
    await reg.close()
    assert stat.S_IMODE(settings.secret_key_file.stat().st_mode) == 0o600
    other = await Registry.open(settings.model_copy(update={"data_dir": tmp_path / "elsewhere"}))
    try:
        with pytest.raises(SecretKeyError, match="does not decrypt"):
            await other.secrets.get("TOKEN")
    finally:
        await other.close()


async def test_a_malformed_secret_key_is_refused_with_a_hint(tmp_path: Path) -> None:
    with pytest.raises(SecretKeyError, match=r"Fernet\.generate_key"):
        await Registry.open(Settings(database=str(tmp_path / "r.db"), secret_key="not-a-key"))
