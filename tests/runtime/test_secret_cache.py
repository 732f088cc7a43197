"""The worker's secret cache on real registries (SQLite and PostgreSQL): a value is kept,
a change made by another process (the gateway's registry) reaches the next read well
within a long TTL, a deletion too, the TTL alone expires a value whose change sent no
signal, and a lost LISTEN connection comes back. End to end, a real worker's request
step sees a secret changed through the real gateway on its next run.

The TTL in these tests is 60 s, so only the change signal can explain a new value
seen within seconds.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import psycopg
import pytest
from temporalio.client import Client

from registry import Registry
from registry.secret_changes import APPLICATION_NAME, PostgresSecretChanges
from runtime.registry_adapters import cached_secret_store
from runtime.secret_cache import CachedSecretStore
from runtime.settings import Settings
from runtime.worker import build_worker
from tests.gateway.conftest import serving
from tests.registry.conftest import new_postgres_database
from tests.upstream import Reply, Upstream

LONG_TTL = 60.0
PROMPTLY = 5.0  # seconds: how soon a signalled change must be seen (a twelfth of the TTL)
PROJECT = "default"


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "dispatched.db")
    return new_postgres_database(request.getfixturevalue("postgres"))


@pytest.fixture
def settings(database: str, tmp_path: Path) -> Settings:
    return Settings(database=database, data_dir=tmp_path, secret_cache_seconds=LONG_TTL)


@pytest.fixture
async def gateway_registry(settings: Settings) -> AsyncIterator[Registry]:
    """The registry as the gateway holds it: the one that sets and deletes."""
    registry = await Registry.open(settings)
    try:
        yield registry
    finally:
        await registry.close()


@pytest.fixture
async def worker_registry(settings: Settings, gateway_registry: Registry) -> AsyncIterator[Registry]:
    """The worker's own registry on the same database (another connection, as another process)."""
    registry = await Registry.open(settings)
    try:
        yield registry
    finally:
        await registry.close()


@pytest.fixture
async def cache(worker_registry: Registry) -> AsyncIterator[CachedSecretStore]:
    store = cached_secret_store(worker_registry, ttl=LONG_TTL)
    try:
        yield store
    finally:
        await store.aclose()


async def until(check: Callable[[], Awaitable[bool]], timeout: float = PROMPTLY) -> float:
    """Await ``check`` until it holds; the seconds it took. Fails after ``timeout``."""
    start = time.monotonic()
    while not await check():
        assert time.monotonic() - start < timeout, f"not within {timeout} s"
        await asyncio.sleep(0.01)
    return time.monotonic() - start


async def live(cache: CachedSecretStore) -> None:
    """Read once (opening the feed) and wait for the feed to be live."""

    async def is_live() -> bool:
        await cache.get(PROJECT, "ANY")
        return cache.live

    await until(is_live)


async def test_a_value_is_read_once_then_kept(gateway_registry: Registry, cache: CachedSecretStore) -> None:
    await gateway_registry.secrets.set(PROJECT, "API_TOKEN", "v1")
    await live(cache)
    assert await cache.get(PROJECT, "API_TOKEN") == "v1"
    reads = cache.reads
    for _ in range(20):
        assert await cache.get(PROJECT, "API_TOKEN") == "v1"
    assert cache.reads == reads
    assert await cache.get(PROJECT, "UNSET") is None
    assert await cache.get(PROJECT, "UNSET") is None  # "not set" is kept too
    assert cache.reads == reads + 1


async def test_a_change_reaches_the_next_read_well_within_the_ttl(
    gateway_registry: Registry, cache: CachedSecretStore
) -> None:
    await gateway_registry.secrets.set(PROJECT, "API_TOKEN", "v1")
    await live(cache)
    assert await cache.get(PROJECT, "API_TOKEN") == "v1"
    assert await cache.get(PROJECT, "API_TOKEN") == "v1"

    await gateway_registry.secrets.set(PROJECT, "API_TOKEN", "v2")

    async def seen() -> bool:
        return await cache.get(PROJECT, "API_TOKEN") == "v2"

    took = await until(seen)
    assert took < PROMPTLY < LONG_TTL


async def test_a_deletion_reaches_the_next_read(gateway_registry: Registry, cache: CachedSecretStore) -> None:
    await gateway_registry.secrets.set(PROJECT, "API_TOKEN", "v1")
    await live(cache)
    assert await cache.get(PROJECT, "API_TOKEN") == "v1"

    await gateway_registry.secrets.delete(PROJECT, "API_TOKEN")

    async def gone() -> bool:
        return await cache.get(PROJECT, "API_TOKEN") is None

    await until(gone)


async def test_a_change_to_another_project_keeps_this_ones_values(
    gateway_registry: Registry, cache: CachedSecretStore
) -> None:
    await gateway_registry.projects.create("shop")
    await gateway_registry.secrets.set(PROJECT, "API_TOKEN", "v1")
    await gateway_registry.secrets.set("shop", "API_TOKEN", "s1")
    await live(cache)
    assert await cache.get(PROJECT, "API_TOKEN") == "v1"
    assert await cache.get("shop", "API_TOKEN") == "s1"

    await gateway_registry.secrets.set("shop", "API_TOKEN", "s2")

    async def seen() -> bool:
        return await cache.get("shop", "API_TOKEN") == "s2"

    await until(seen)
    reads = cache.reads
    assert await cache.get(PROJECT, "API_TOKEN") == "v1"
    assert cache.reads == reads


async def _copy_value_unsignalled(registry: Registry, source: str, target: str) -> None:
    """Give ``target`` the stored (encrypted) value of ``source`` behind the registry's back:
    no NOTIFY, no new ``updated_at``, so no change feed can see it."""

    def work(tx: object) -> None:
        tx.execute(  # type: ignore[attr-defined]
            "UPDATE secrets SET value = (SELECT value FROM secrets WHERE project = ? AND name = ?) "
            "WHERE project = ? AND name = ?",
            (PROJECT, source, PROJECT, target),
        )

    await registry.db.run(work)


async def test_the_ttl_alone_expires_a_value_whose_change_sent_no_signal(
    gateway_registry: Registry, worker_registry: Registry
) -> None:
    now = [1000.0]
    cache = cached_secret_store(worker_registry, ttl=LONG_TTL)
    cache._clock = lambda: now[0]  # the TTL's clock, moved by hand
    try:
        await gateway_registry.secrets.set(PROJECT, "API_TOKEN", "v1")
        await gateway_registry.secrets.set(PROJECT, "NEXT", "v2")
        await live(cache)
        assert await cache.get(PROJECT, "API_TOKEN") == "v1"

        await _copy_value_unsignalled(gateway_registry, "NEXT", "API_TOKEN")
        assert await gateway_registry.secrets.get(PROJECT, "API_TOKEN") == "v2"
        now[0] += LONG_TTL - 1
        assert await cache.get(PROJECT, "API_TOKEN") == "v1"  # kept: nothing said it changed
        now[0] += 2
        assert await cache.get(PROJECT, "API_TOKEN") == "v2"  # past the TTL: read again
    finally:
        await cache.aclose()


async def test_a_ttl_of_zero_reads_every_time(gateway_registry: Registry, worker_registry: Registry) -> None:
    cache = cached_secret_store(worker_registry, ttl=0)
    try:
        await gateway_registry.secrets.set(PROJECT, "API_TOKEN", "v1")
        for _ in range(3):
            assert await cache.get(PROJECT, "API_TOKEN") == "v1"
        assert cache.reads == 3
        assert not cache.live
    finally:
        await cache.aclose()


def _listener_pids(url: str) -> list[int]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", (APPLICATION_NAME,))
        return [int(row[0]) for row in rows.fetchall()]


@pytest.mark.parametrize("database", ["postgres"], indirect=True)
async def test_a_lost_listen_connection_recovers(
    database: str, gateway_registry: Registry, cache: CachedSecretStore
) -> None:
    await gateway_registry.secrets.set(PROJECT, "API_TOKEN", "v1")
    await live(cache)
    assert await cache.get(PROJECT, "API_TOKEN") == "v1"
    feed = cache._changes
    assert isinstance(feed, PostgresSecretChanges) and feed.connections == 1
    [pid] = await asyncio.to_thread(_listener_pids, database)

    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
    # A change made while no one may be listening: its notice can be lost, the value must not be.
    await gateway_registry.secrets.set(PROJECT, "API_TOKEN", "v2")

    async def seen() -> bool:
        return await cache.get(PROJECT, "API_TOKEN") == "v2"

    await until(seen)

    async def reconnected() -> bool:
        await cache.get(PROJECT, "API_TOKEN")
        return feed.connections == 2 and cache.live

    await until(reconnected)
    [new_pid] = await asyncio.to_thread(_listener_pids, database)
    assert new_pid != pid
    # Live again: values are kept, and a change is signalled once more.
    reads = cache.reads
    assert await cache.get(PROJECT, "API_TOKEN") == "v2"
    assert await cache.get(PROJECT, "API_TOKEN") == "v2"
    assert cache.reads <= reads + 1
    await gateway_registry.secrets.set(PROJECT, "API_TOKEN", "v3")

    async def seen_again() -> bool:
        return await cache.get(PROJECT, "API_TOKEN") == "v3"

    await until(seen_again)


WHO = """\
name: who
steps:
  call:
    request:
      method: POST
      url: "{{ secrets.UPSTREAM_URL }}/who"
      headers: {authorization: "Bearer {{ secrets.API_TOKEN }}"}
"""


async def test_a_worker_sees_a_secret_changed_through_the_gateway_on_its_next_run(
    client: Client, upstream: Upstream, database: str, tmp_path: Path, worker_registry: Registry
) -> None:
    token = "test-session-token"
    settings = Settings(
        database=database, data_dir=tmp_path, secret_cache_seconds=LONG_TTL, token=token,
        task_queue=f"cache-{uuid.uuid4().hex}", allow_hosts=["127.0.0.1"],
    )
    upstream.route("POST", "/who", Reply(200, {"ok": True}))
    worker = build_worker(client, settings, worker_registry)
    async with (
        worker,
        serving(settings, client) as url,
        httpx.AsyncClient(base_url=url, headers={"Dispatched-Session": token}, timeout=60) as http,
    ):
        for name, value in (("UPSTREAM_URL", upstream.url), ("API_TOKEN", "first")):
            assert (await http.put(f"/api/secrets/{name}", content=value)).status_code == 200
        assert (await http.put("/api/workflows/who", content=WHO)).status_code == 200

        async def run_sees(value: str) -> bool:
            answer = await http.post("/workflows/who", json={})
            assert answer.status_code == 200, answer.text
            return upstream.received("POST", "/who")[-1].headers["authorization"] == f"Bearer {value}"

        cache = worker.http.secrets
        assert isinstance(cache, CachedSecretStore)

        async def kept() -> bool:  # runs until one takes both secrets from the cache
            reads = cache.reads
            assert await run_sees("first")
            return cache.live and cache.reads == reads

        await until(kept, timeout=30)
        assert (await http.put("/api/secrets/API_TOKEN", content="second")).status_code == 200
        assert await run_sees("second")  # the very next run, though the TTL is 60 s
