"""The registry's tables, in SQL that SQLite and PostgreSQL both accept.

Timestamps are ISO-8601 UTC text: they sort correctly as text in both databases and
read back the same everywhere. Revisions are rows that are never updated, so a run's
document (which travels in its RunInput anyway) can always be looked up as it was.
"""

from __future__ import annotations

STATEMENTS: tuple[str, ...] = (
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
