"""The registry's schema, as ordered migrations that SQLite and PostgreSQL both run.

``schema_version`` holds the number of the last migration applied. Opening a registry
applies, in one transaction each, every migration past it, so a registry made by any
earlier release upgrades in place and a new one is built by the same path. A registry
from before versioning (tables but no ``schema_version``) is version 1.

Timestamps are ISO-8601 UTC text: they sort correctly as text in both databases and
read back the same everywhere. Revisions are rows that are never updated.

Migration 2 (projects, SPEC §6): every table gains its project, and what was there
before projects belongs to ``default``. Primary keys change, which SQLite cannot alter,
so each table is rebuilt: create ``<name>_v2``, copy, drop the old, rename. The same
statements run on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from contract.names import DEFAULT_PROJECT
from registry.database import Database, Tx, now_text

_V1: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS workflows (
        name TEXT PRIMARY KEY,
        current_revision INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        deleted_at TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS workflow_revisions (
        name TEXT NOT NULL,
        revision INTEGER NOT NULL,
        version INTEGER NOT NULL,
        format TEXT NOT NULL,
        source TEXT NOT NULL,
        document TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (name, revision)
    )""",
    """CREATE TABLE IF NOT EXISTS secrets (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS tokens (
        hash TEXT PRIMARY KEY,
        label TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS idempotency (
        workflow TEXT NOT NULL,
        key TEXT NOT NULL,
        body_hash TEXT NOT NULL,
        run_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (workflow, key)
    )""",
    "CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency (created_at)",
)

_V2_TABLES: tuple[tuple[str, str, str], ...] = (
    # (table, new definition, INSERT ... SELECT copying the old rows into <table>_v2)
    (
        "workflows",
        """CREATE TABLE workflows_v2 (
            project TEXT NOT NULL,
            name TEXT NOT NULL,
            current_revision INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            deleted_at TEXT,
            PRIMARY KEY (project, name)
        )""",
        "INSERT INTO workflows_v2 SELECT ?, name, current_revision, created_at, updated_at, deleted_at FROM workflows",
    ),
    (
        "workflow_revisions",
        """CREATE TABLE workflow_revisions_v2 (
            project TEXT NOT NULL,
            name TEXT NOT NULL,
            revision INTEGER NOT NULL,
            version INTEGER NOT NULL,
            format TEXT NOT NULL,
            source TEXT NOT NULL,
            document TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (project, name, revision)
        )""",
        "INSERT INTO workflow_revisions_v2 SELECT ?, name, revision, version, format, source, document, created_at "
        "FROM workflow_revisions",
    ),
    (
        "secrets",
        """CREATE TABLE secrets_v2 (
            project TEXT NOT NULL,
            name TEXT NOT NULL,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (project, name)
        )""",
        "INSERT INTO secrets_v2 SELECT ?, name, value, updated_at FROM secrets",
    ),
    (
        "tokens",
        # A token created before projects could do everything: it becomes admin of default.
        """CREATE TABLE tokens_v2 (
            id TEXT PRIMARY KEY,
            hash TEXT NOT NULL UNIQUE,
            project TEXT NOT NULL,
            role TEXT NOT NULL,
            label TEXT NOT NULL,
            created_at TEXT NOT NULL,
            last_used_at TEXT,
            revoked_at TEXT
        )""",
        "INSERT INTO tokens_v2 SELECT 'tok_' || substr(hash, 1, 16), hash, ?, 'admin', label, created_at, NULL, revoked_at "
        "FROM tokens",
    ),
    (
        "idempotency",
        """CREATE TABLE idempotency_v2 (
            project TEXT NOT NULL,
            workflow TEXT NOT NULL,
            key TEXT NOT NULL,
            body_hash TEXT NOT NULL,
            run_id TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (project, workflow, key)
        )""",
        "INSERT INTO idempotency_v2 SELECT ?, workflow, key, body_hash, run_id, created_at FROM idempotency",
    ),
)


def _v1(tx: Tx) -> None:
    for statement in _V1:
        tx.execute(statement)


def _v2_projects(tx: Tx) -> None:
    """Projects: the ``projects`` and ``templates`` tables; a project on every row."""
    tx.execute("CREATE TABLE projects (name TEXT PRIMARY KEY, created_at TEXT NOT NULL)")
    tx.execute("INSERT INTO projects (name, created_at) VALUES (?, ?)", (DEFAULT_PROJECT, now_text()))
    tx.execute("DROP INDEX IF EXISTS idempotency_created")
    for table, create, copy in _V2_TABLES:
        tx.execute(create)
        tx.execute(copy, (DEFAULT_PROJECT,))
        tx.execute(f"DROP TABLE {table}")
        tx.execute(f"ALTER TABLE {table}_v2 RENAME TO {table}")
    tx.execute("CREATE INDEX idempotency_created ON idempotency (created_at)")
    tx.execute("CREATE INDEX tokens_project ON tokens (project)")
    tx.execute(
        """CREATE TABLE templates (
            owner TEXT NOT NULL,
            slug TEXT NOT NULL,
            title TEXT NOT NULL,
            description TEXT NOT NULL,
            tags TEXT NOT NULL,
            secrets TEXT NOT NULL,
            format TEXT NOT NULL,
            source TEXT NOT NULL,
            document TEXT NOT NULL,
            published_at TEXT NOT NULL,
            PRIMARY KEY (owner, slug)
        )"""
    )


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Tx], None]


MIGRATIONS: Sequence[Migration] = (
    Migration(1, "workflows, revisions, secrets, tokens, idempotency keys", _v1),
    Migration(2, "projects: a project on every row, roles on tokens, templates", _v2_projects),
)
LATEST = MIGRATIONS[-1].version


def current_version(tx: Tx, tables: set[str]) -> int:
    """The schema's version: 0 for an empty database, 1 for one from before versioning."""
    if "schema_version" in tables:
        row = tx.one("SELECT version FROM schema_version")
        return int(row[0]) if row else 0
    return 1 if "workflows" in tables else 0


def migrate(tx: Tx, tables: set[str]) -> list[int]:
    """Apply every migration past the schema's version, in order; the versions applied.

    Raises:
        RuntimeError: the database is newer than this code (downgrades are not supported).
    """
    version = current_version(tx, tables)
    if version > LATEST:
        raise RuntimeError(
            f"the registry's schema is version {version}, newer than this release knows ({LATEST}): upgrade Dispatched"
        )
    if "schema_version" not in tables:
        tx.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        tx.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))
    applied = []
    for migration in MIGRATIONS:
        if migration.version > version:
            migration.apply(tx)
            tx.execute("UPDATE schema_version SET version = ?", (migration.version,))
            applied.append(migration.version)
    return applied


async def upgrade(db: Database) -> list[int]:
    """Bring ``db``'s schema to :data:`LATEST` in one transaction (safe on every open:
    a second process waits for the first, then finds nothing to do)."""

    def work(tx: Tx) -> list[int]:
        db.lock_schema(tx)
        return migrate(tx, db.tables(tx))

    return await db.run(work)
