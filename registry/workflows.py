"""Registered workflows and their immutable revisions.

``put`` adds revision n+1 (a source identical to the live current revision is not a
new revision, so redeploying the same file is a no-op); ``delete`` only marks the
workflow deleted, so revisions stay readable and a later ``put`` continues numbering.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contract.document import Document
from registry.database import Database, Tx, now_text, parse_time
from registry.errors import WorkflowNotFound


@dataclass(frozen=True)
class WorkflowRevision:
    """One stored revision: what was sent (``source``) and what it loaded as.

    ``document_json`` is the validated model as stored. A revision never changes, so
    readers that run it (the gateway) compile it once and keep the result by
    ``(name, revision)`` rather than validating it again per request; :attr:`document`
    is there for the occasional reader.
    """

    name: str
    revision: int
    version: int
    format: str
    source: str
    document_json: str
    created_at: datetime

    @property
    def document(self) -> Document:
        """The stored document as a model (validated on each access: keep it if reused)."""
        return Document.model_validate_json(self.document_json)


@dataclass(frozen=True)
class WorkflowInfo:
    """A live workflow as the list shows it."""

    name: str
    revision: int
    version: int
    updated_at: datetime


@dataclass(frozen=True)
class TriggerView:
    """What starting a run of a live workflow needs from the registry, read in one
    statement (:meth:`Workflows.trigger_view`): which revision is current, and which of
    the project's secrets are set (names only), to tell whether any secret the revision
    uses is pending. Both can change at any moment, from any process, so they are read
    for every trigger and never cached; what the revision compiles to is immutable and
    comes from the compiled cache (``interpreter/revisions.py``)."""

    name: str
    revision: int
    set_secrets: frozenset[str]

    def pending(self, used: Iterable[str]) -> list[str]:
        """Those of ``used`` the project has not set, sorted (empty: all set)."""
        return sorted(set(used) - self.set_secrets)


@dataclass(frozen=True)
class PutResult:
    revision: WorkflowRevision
    created: bool


_REVISION_COLUMNS = "name, revision, version, format, source, document, created_at"
_R_COLUMNS = "r." + _REVISION_COLUMNS.replace(", ", ", r.")


def _revision(row: tuple[Any, ...]) -> WorkflowRevision:
    name, revision, version, fmt, source, document, created_at = row
    return WorkflowRevision(
        name=name,
        revision=revision,
        version=version,
        format=fmt,
        source=source,
        document_json=document,
        created_at=parse_time(created_at),
    )


_CURRENT = (
    "FROM workflows w JOIN workflow_revisions r "
    "ON r.project = w.project AND r.name = w.name AND r.revision = w.current_revision "
    "WHERE w.project = ? AND w.deleted_at IS NULL"
)


# One row per secret the project has set (or one with NULL when it has none); no row
# at all when there is no live workflow of that name. Names only: values never leave
# the secrets store.
_TRIGGER_VIEW = (
    "SELECT w.current_revision, s.name FROM workflows w LEFT JOIN secrets s ON s.project = w.project "
    "WHERE w.project = ? AND w.name = ? AND w.deleted_at IS NULL"
)


def _current(tx: Tx, project: str, name: str) -> WorkflowRevision | None:
    row = tx.one(f"SELECT {_R_COLUMNS} {_CURRENT} AND w.name = ?", (project, name))
    return _revision(row) if row else None


class Workflows:
    """Data access for the ``workflows`` and ``workflow_revisions`` tables."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, project: str, document: Document, *, source: str, format: str) -> PutResult:
        """Store ``document`` as the workflow's next revision in ``project`` (and undelete it)."""

        def work(tx: Tx) -> PutResult:
            current = _current(tx, project, document.name)
            if current is not None and current.source == source:
                return PutResult(current, created=False)
            now = now_text()
            row = tx.one(
                "SELECT MAX(revision) FROM workflow_revisions WHERE project = ? AND name = ?", (project, document.name)
            )
            revision = (row[0] or 0) + 1 if row else 1
            tx.execute(
                f"INSERT INTO workflow_revisions (project, {_REVISION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                # exclude_unset keeps which fields the author wrote (a respond step's
                # explicit `body: null` differs from no body at all).
                (project, document.name, revision, document.version, format, source,
                 document.model_dump_json(exclude_unset=True), now),
            )
            tx.execute(
                "INSERT INTO workflows (project, name, current_revision, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (project, name) DO UPDATE SET "
                "current_revision = excluded.current_revision, "
                "updated_at = excluded.updated_at, deleted_at = NULL",
                (project, document.name, revision, now, now),
            )
            stored = _current(tx, project, document.name)
            assert stored is not None
            return PutResult(stored, created=True)

        return await self._db.run(work)

    async def current(self, project: str, name: str) -> WorkflowRevision | None:
        """The live current revision, or None (unknown, deleted, or another project's)."""
        return await self._db.read(lambda tx: _current(tx, project, name))

    async def trigger_view(self, project: str, name: str) -> TriggerView | None:
        """The live current revision's number and the project's set secret names, in one
        read (the trigger's and the spawn's one registry round trip); None when there is
        no live workflow ``name`` in ``project``."""
        rows = await self._db.read(lambda tx: tx.all(_TRIGGER_VIEW, (project, name)))
        if not rows:
            return None
        return TriggerView(name, int(rows[0][0]), frozenset(str(secret) for _, secret in rows if secret is not None))

    async def document_json(self, project: str, name: str, revision: int) -> str:
        """The stored document of one revision (what a compiled-cache miss compiles).

        Raises:
            WorkflowNotFound: there is no such revision.
        """
        row = await self._db.read(lambda tx: tx.one(
            "SELECT document FROM workflow_revisions WHERE project = ? AND name = ? AND revision = ?",
            (project, name, revision),
        ))
        if row is None:
            raise WorkflowNotFound(name)
        return str(row[0])

    async def require(self, project: str, name: str) -> WorkflowRevision:
        """Like :meth:`current`, raising :class:`WorkflowNotFound`."""
        found = await self.current(project, name)
        if found is None:
            raise WorkflowNotFound(name)
        return found

    async def revisions(self, project: str, name: str) -> list[WorkflowRevision]:
        """Every revision of a workflow, oldest first (empty when unknown)."""

        def work(tx: Tx) -> list[WorkflowRevision]:
            rows = tx.all(
                f"SELECT {_REVISION_COLUMNS} FROM workflow_revisions WHERE project = ? AND name = ? ORDER BY revision",
                (project, name),
            )
            return [_revision(row) for row in rows]

        return await self._db.read(work)

    async def current_revisions(self, project: str) -> list[WorkflowRevision]:
        """The current revision of each of the project's live workflows, by name (what the
        secret list reads to tell which secrets are used and pending)."""
        return await self._db.read(
            lambda tx: [_revision(row) for row in tx.all(f"SELECT {_R_COLUMNS} {_CURRENT} ORDER BY w.name", (project,))]
        )

    async def list(self, project: str) -> list[WorkflowInfo]:
        """The project's live workflows, by name."""

        def work(tx: Tx) -> list[WorkflowInfo]:
            rows = tx.all(
                f"SELECT w.name, w.current_revision, r.version, w.updated_at {_CURRENT} ORDER BY w.name", (project,)
            )
            return [WorkflowInfo(n, rev, ver, parse_time(at)) for n, rev, ver, at in rows]

        return await self._db.read(work)

    async def delete(self, project: str, name: str) -> None:
        """Mark the workflow deleted; runs in flight keep their own document."""

        def work(tx: Tx) -> int:
            return tx.execute(
                "UPDATE workflows SET deleted_at = ?, updated_at = ? WHERE project = ? AND name = ? AND deleted_at IS NULL",
                (now_text(), now_text(), project, name),
            )

        if not await self._db.run(work):
            raise WorkflowNotFound(name)
