"""The registry's schema migrations, on SQLite and on PostgreSQL.

The upgrade is tested on what the release before projects (2e5ec03) really wrote: on
SQLite, the file that release made (tests/registry/fixtures, see its README.md); on
PostgreSQL, a database filled by running that release's code again, taken from git,
because a PostgreSQL database cannot be committed as a file.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

import registry.migrations as migrations
from contract.names import DEFAULT_PROJECT
from registry import Access, IdempotencyMismatch, Registry, WorkflowNotFound
from registry.database import Row, Tx, open_database
from registry.idempotency import IdempotencyKeys
from registry.migrations import LATEST, MIGRATIONS, Migration, upgrade
from registry.tokens import hash_token
from runtime.settings import Settings
from tests.registry.conftest import new_postgres_database
from tests.registry.fixtures import make_v1_registry as v1
from tests.registry.postgres import PostgresCluster

FIXTURES = Path(__file__).parent / "fixtures"
V1_SQLITE = FIXTURES / "v1-registry.sqlite"
V1_KEY = FIXTURES / "v1-secret.key"
REPO = Path(__file__).resolve().parents[2]

V1_TABLES = {"workflows", "workflow_revisions", "secrets", "tokens", "idempotency"}
TABLES = V1_TABLES | {"schema_version", "projects", "templates"}

# The old rows, read straight from the old tables (columns as the old schema had them).
V1_QUERIES = {
    "workflows": "SELECT name, current_revision, created_at, updated_at, deleted_at FROM workflows ORDER BY name",
    "workflow_revisions": "SELECT name, revision, version, format, source, document, created_at "
                          "FROM workflow_revisions ORDER BY name, revision",
    "secrets": "SELECT name, value, updated_at FROM secrets ORDER BY name",
    "tokens": "SELECT hash, label, created_at, revoked_at FROM tokens ORDER BY created_at",
    "idempotency": "SELECT workflow, key, body_hash, run_id, created_at FROM idempotency ORDER BY workflow, key",
}


async def version_and_tables(target: str) -> tuple[int, set[str], int]:
    """The schema version, the tables and the number of schema_version rows, read
    without migrating anything."""
    db = open_database(target)
    try:
        def work(tx: Tx) -> tuple[int, set[str], int]:
            tables = db.tables(tx)
            rows = tx.all("SELECT version FROM schema_version") if "schema_version" in tables else []
            return migrations.current_version(tx, tables), tables, len(rows)

        return await db.run(work)
    finally:
        db.close()


def settings_for(target: str, data_dir: Path) -> Settings:
    return Settings(database=target, data_dir=data_dir, token="operator-token")


@pytest.fixture
def fresh(database: str, tmp_path: Path) -> Settings:
    """Settings for a registry on a fresh, empty database."""
    return settings_for(database, tmp_path)


# --- a fresh registry, reopening, a newer schema ---------------------------------------


async def test_a_fresh_database_is_built_to_the_latest_version(database: str) -> None:
    db = open_database(database)
    try:
        assert await upgrade(db) == [m.version for m in MIGRATIONS]
        assert await upgrade(db) == []
    finally:
        db.close()
    assert await version_and_tables(database) == (LATEST, TABLES, 1)


async def test_a_fresh_registry_has_the_default_project_and_nothing_else(fresh: Settings) -> None:
    reg = await Registry.open(fresh)
    try:
        assert [p.name for p in await reg.projects.list()] == [DEFAULT_PROJECT]
        assert await reg.workflows.list(DEFAULT_PROJECT) == []
        assert await reg.tokens.list(DEFAULT_PROJECT) == []
        assert await reg.templates.search() == []
    finally:
        await reg.close()
    assert await version_and_tables(fresh.database) == (LATEST, TABLES, 1)


async def test_reopening_applies_nothing(fresh: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    first = await Registry.open(fresh)
    await first.projects.create("shop")
    await first.secrets.set("shop", "KEPT", "value")
    await first.close()

    def refuse(tx: Tx) -> None:
        raise AssertionError("a migration ran on a registry that is up to date")

    monkeypatch.setattr(migrations, "MIGRATIONS", tuple(Migration(m.version, m.name, refuse) for m in MIGRATIONS))
    for _ in range(2):
        again = await Registry.open(fresh)
        try:
            assert await again.secrets.get("shop", "KEPT") == "value"
            assert [p.name for p in await again.projects.list()] == [DEFAULT_PROJECT, "shop"]
        finally:
            await again.close()
    assert await version_and_tables(fresh.database) == (LATEST, TABLES, 1)


async def test_a_registry_newer_than_this_code_is_refused(fresh: Settings) -> None:
    reg = await Registry.open(fresh)
    await reg.db.run(lambda tx: tx.execute("UPDATE schema_version SET version = ?", (LATEST + 1,)))
    await reg.close()
    with pytest.raises(RuntimeError, match=rf"version {LATEST + 1}, newer than this release knows \({LATEST}\)"):
        await Registry.open(fresh)
    with pytest.raises(RuntimeError, match="upgrade Dispatched"):
        await Registry.open(fresh)
    assert await version_and_tables(fresh.database) == (LATEST + 1, TABLES, 1)  # left as it was


async def test_a_failing_migration_changes_nothing(fresh: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each open migrates in one transaction: a migration that fails half-way (here after
    it made a table) leaves the registry at the version it had, usable by this release."""
    reg = await Registry.open(fresh)
    await reg.secrets.set(DEFAULT_PROJECT, "KEPT", "value")
    await reg.close()

    def half_done(tx: Tx) -> None:
        tx.execute("CREATE TABLE half_done (x INTEGER)")
        tx.execute("DELETE FROM secrets")
        raise ValueError("migration 3 broke")

    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, Migration(LATEST + 1, "broken", half_done)))
    monkeypatch.setattr(migrations, "LATEST", LATEST + 1)
    with pytest.raises(ValueError, match="migration 3 broke"):
        await Registry.open(fresh)
    monkeypatch.undo()

    assert await version_and_tables(fresh.database) == (LATEST, TABLES, 1)
    reg = await Registry.open(fresh)
    try:
        assert await reg.secrets.get(DEFAULT_PROJECT, "KEPT") == "value"
    finally:
        await reg.close()


async def test_processes_opening_a_fresh_registry_at_once_all_succeed(new_database: Callable[[], str],
                                                                    tmp_path: Path) -> None:
    """Each opener has its own connection (as separate processes would); the schema
    lock makes all but one wait and then find nothing to do. A few rounds, since a
    race is a matter of luck."""
    for _ in range(3):
        settings = settings_for(new_database(), tmp_path)
        opened = await asyncio.gather(*(Registry.open(settings) for _ in range(4)), return_exceptions=True)
        registries = [r for r in opened if isinstance(r, Registry)]
        try:
            assert registries == opened, [r for r in opened if not isinstance(r, Registry)]
            for reg in registries:
                assert [p.name for p in await reg.projects.list()] == [DEFAULT_PROJECT]
        finally:
            for reg in registries:
                await reg.close()
        assert await version_and_tables(settings.database) == (LATEST, TABLES, 1)


# --- the upgrade of a registry made by the previous release ----------------------------


def old_code(into: Path) -> Path:
    """The packages of the release before projects, from git, for the fixture script."""
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--verify", "--quiet", f"{v1.OLD_COMMIT}^{{commit}}"],
                            capture_output=True, text=True, check=False)
    if commit.returncode != 0:
        pytest.skip(f"needs the git history with {v1.OLD_COMMIT} (the release before projects) to fill PostgreSQL")
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", v1.OLD_COMMIT,
                              "contract", "interpreter", "registry"], capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def fill_with_old_release(target: str, tmp_path: Path) -> None:
    """Run tests/registry/fixtures/make_v1_registry.py with the old packages first on
    the path (the venv's editable install of today's code comes after PYTHONPATH)."""
    old = old_code(tmp_path / "old-release")
    env = {**os.environ, "PYTHONPATH": str(old)}
    done = subprocess.run([sys.executable, str(FIXTURES / "make_v1_registry.py"), target],
                          cwd=old, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr


@dataclass(frozen=True)
class V1Registry:
    settings: Settings
    rows: dict[str, list[Row]]  # the old tables' rows before the upgrade


@pytest.fixture(params=["sqlite", "postgres"])
async def v1_registry(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[V1Registry]:
    """A registry as the previous release left it, not opened by today's code yet, and
    the rows of its tables read before anything touches them."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copyfile(V1_KEY, data_dir / "secret.key")
    if request.param == "sqlite":
        target = str(data_dir / "dispatched.db")
        shutil.copyfile(V1_SQLITE, target)
    else:
        cluster: PostgresCluster = request.getfixturevalue("postgres")
        target = new_postgres_database(cluster)
        await asyncio.to_thread(fill_with_old_release, target, tmp_path)

    assert await version_and_tables(target) == (1, V1_TABLES, 0)
    db = open_database(target)
    try:
        rows = await db.run(lambda tx: {table: tx.all(query) for table, query in V1_QUERIES.items()})
    finally:
        db.close()
    yield V1Registry(settings_for(target, data_dir), rows)


@pytest.fixture
async def upgraded(v1_registry: V1Registry) -> AsyncIterator[Registry]:
    reg = await Registry.open(v1_registry.settings)
    try:
        yield reg
    finally:
        await reg.close()


def test_the_fixture_was_made_with_the_key_the_script_names() -> None:
    assert V1_KEY.read_text().strip() == v1.SECRET_KEY


async def test_the_old_rows_are_what_the_fixture_script_put_in(v1_registry: V1Registry) -> None:
    """Guards the checks below: the old tables hold what make_v1_registry.py says."""
    rows = v1_registry.rows
    assert [(r[0], r[1], r[4] is not None) for r in rows["workflows"]] == [("orders", 2, False), ("retired", 1, True)]
    assert [(r[0], r[4]) for r in rows["workflow_revisions"]] == list(v1.WORKFLOWS)
    assert [r[0] for r in rows["secrets"]] == sorted(v1.SECRETS)
    assert [(r[0], r[1], r[3] is not None) for r in rows["tokens"]] == [
        (hash_token(v1.LIVE_TOKEN), "ci", False), (hash_token(v1.REVOKED_TOKEN), "old laptop", True),
    ]
    assert [r[:2] + r[3:4] for r in rows["idempotency"]] == [
        (v1.IDEMPOTENCY_WORKFLOW, v1.IDEMPOTENCY_KEY, v1.IDEMPOTENCY_RUN),
    ]


async def test_every_old_row_lands_in_default_unchanged(v1_registry: V1Registry, upgraded: Registry) -> None:
    old = v1_registry.rows

    def new_rows(tx: Tx) -> dict[str, list[Row]]:
        def select(query: str) -> list[Row]:
            return tx.all(query.replace("SELECT ", "SELECT project, ", 1))

        tokens = tx.all("SELECT id, hash, project, role, label, created_at, last_used_at, revoked_at "
                        "FROM tokens ORDER BY created_at")
        return {**{table: select(q) for table, q in V1_QUERIES.items() if table != "tokens"}, "tokens": tokens}

    new = await upgraded.db.run(new_rows)
    for table in ("workflows", "workflow_revisions", "secrets", "idempotency"):
        assert new[table] == [(DEFAULT_PROJECT, *row) for row in old[table]], table
    assert new["tokens"] == [
        (f"tok_{digest[:16]}", digest, DEFAULT_PROJECT, "admin", label, created, None, revoked)
        for digest, label, created, revoked in old["tokens"]
    ]
    assert await version_and_tables(v1_registry.settings.database) == (LATEST, TABLES, 1)
    assert [p.name for p in await upgraded.projects.list()] == [DEFAULT_PROJECT]
    assert await upgraded.templates.search() == []


async def test_old_workflows_and_revisions_read_back_in_default(v1_registry: V1Registry, upgraded: Registry) -> None:
    [orders] = await upgraded.workflows.list(DEFAULT_PROJECT)
    assert (orders.name, orders.revision, orders.version) == ("orders", 2, 2)
    revisions = await upgraded.workflows.revisions(DEFAULT_PROJECT, "orders")
    assert [(r.revision, r.version, r.format, r.source) for r in revisions] == [
        (1, 1, "yaml", v1.ORDERS_V1), (2, 2, "json", v1.ORDERS_V2),
    ]
    stored = {(r[0], r[1]): r[5] for r in v1_registry.rows["workflow_revisions"]}
    assert [r.document_json for r in revisions] == [stored["orders", 1], stored["orders", 2]]
    # Today's model still reads what the old release stored, the explicit `body: null` included.
    first = revisions[0].document
    respond = first.steps["answer"].respond
    assert first.name == "orders" and respond is not None and respond.has_explicit_body
    assert (await upgraded.workflows.require(DEFAULT_PROJECT, "orders")).source == v1.ORDERS_V2
    assert [r.name for r in await upgraded.workflows.current_revisions(DEFAULT_PROJECT)] == ["orders"]


async def test_the_deleted_workflow_stays_deleted(upgraded: Registry) -> None:
    assert await upgraded.workflows.current(DEFAULT_PROJECT, v1.DELETED) is None
    with pytest.raises(WorkflowNotFound):
        await upgraded.workflows.require(DEFAULT_PROJECT, v1.DELETED)
    [kept] = await upgraded.workflows.revisions(DEFAULT_PROJECT, v1.DELETED)
    assert (kept.revision, kept.source) == (1, v1.RETIRED)
    again = await upgraded.workflows.put(DEFAULT_PROJECT, kept.document, source=kept.source, format="yaml")
    assert (again.revision.revision, again.created) == (2, True)  # numbering goes on from the old revisions


async def test_old_secrets_decrypt_to_the_same_values(upgraded: Registry) -> None:
    assert [s.name for s in await upgraded.secrets.list(DEFAULT_PROJECT)] == sorted(v1.SECRETS)
    for name, value in v1.SECRETS.items():
        assert await upgraded.secrets.get(DEFAULT_PROJECT, name) == value
        assert await upgraded.secrets.get("elsewhere", name) is None


async def test_the_live_old_token_is_admin_of_default_and_the_revoked_one_is_refused(upgraded: Registry) -> None:
    token_id = f"tok_{hash_token(v1.LIVE_TOKEN)[:16]}"
    assert await upgraded.tokens.authenticate(v1.LIVE_TOKEN) == Access(DEFAULT_PROJECT, "admin", token_id)
    assert await upgraded.tokens.authenticate(v1.REVOKED_TOKEN) is None
    live, revoked = await upgraded.tokens.list(DEFAULT_PROJECT)
    assert (live.id, live.label, live.revoked_at, live.last_used_at is not None) == (token_id, "ci", None, True)
    assert (revoked.label, revoked.revoked_at is not None, revoked.last_used_at) == ("old laptop", True, None)
    await upgraded.tokens.revoke(DEFAULT_PROJECT, token_id)  # revocable by its new id
    assert await upgraded.tokens.authenticate(v1.LIVE_TOKEN) is None


async def test_the_old_idempotency_key_still_claims_its_run(upgraded: Registry) -> None:
    # The fixture's key is older than the 24-hour TTL by the time this runs; a long TTL
    # tests that the key itself came across, not when the fixture was made.
    keys = IdempotencyKeys(upgraded.db, ttl=timedelta(days=365 * 100))
    claim = await keys.claim(DEFAULT_PROJECT, v1.IDEMPOTENCY_WORKFLOW, v1.IDEMPOTENCY_KEY,
                             body=v1.IDEMPOTENCY_BODY, run_id="run_new")
    assert (claim.run_id, claim.first) == (v1.IDEMPOTENCY_RUN, False)
    with pytest.raises(IdempotencyMismatch):
        await keys.claim(DEFAULT_PROJECT, v1.IDEMPOTENCY_WORKFLOW, v1.IDEMPOTENCY_KEY, body={"other": 1},
                         run_id="run_other")


async def test_an_upgraded_registry_reopens_without_migrating(v1_registry: V1Registry, upgraded: Registry) -> None:
    db = open_database(v1_registry.settings.database)
    try:
        assert await upgrade(db) == []
    finally:
        db.close()
    assert await upgraded.secrets.get(DEFAULT_PROJECT, "ECOM_API_URL") == v1.SECRETS["ECOM_API_URL"]


async def test_sqlite_opens_a_new_file_while_another_process_holds_its_lock(tmp_path: Path) -> None:
    """Turning a new file into WAL while another connection writes to it is refused by
    SQLite at once (no busy wait); the open must wait for it instead of failing, or two
    processes starting on a fresh registry would sometimes crash one of them."""
    path = tmp_path / "new.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("CREATE TABLE other_process (x INTEGER)")
        release = asyncio.get_running_loop().call_later(0.3, other.execute, "COMMIT")
        try:
            reg = await Registry.open(settings_for(str(path), tmp_path))
        finally:
            release.cancel()
        await reg.close()
    finally:
        other.close()
    assert await version_and_tables(str(path)) == (LATEST, TABLES | {"other_process"}, 1)
