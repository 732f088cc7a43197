"""Look-ups the directives need that a workflow can't make itself: which revision of a
workflow is current (``Dispatched-Spawn``) and whether a run is open, and whose it is
(``Dispatched-Cancel``, ``Dispatched-Signal``).

Both are I/O, and the workflow must stay deterministic, so it asks these activities;
the answers are recorded in the run's history, so a replay sees the same document
even if the workflow was re-registered since.

The registry implements :class:`WorkflowCatalog`; tests and ``dispatched dev`` without
a database use :class:`MemoryCatalog`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from temporalio import activity
from temporalio.client import WorkflowExecutionDescription, WorkflowExecutionStatus
from temporalio.common import SearchAttributeKey
from temporalio.service import RPCError, RPCStatusCode

from contract.document import Document
from contract.messages import ResolvedWorkflow, RunLookup, RunOpen, WorkflowLookup
from contract.names import (
    DEFAULT_PROJECT,
    PROJECT_ATTRIBUTE,
    PROJECT_MEMO,
    RESOLVE_WORKFLOW_ACTIVITY,
    RUN_IS_OPEN_ACTIVITY,
    WORKFLOW_TYPE,
    project_of_run,
)

# The key is built here rather than imported: activities/ may not import interpreter/
# (interpreter.search_attributes holds the same key for the engine's side).
_PROJECT_ATTR = SearchAttributeKey.for_keyword(PROJECT_ATTRIBUTE)


@dataclass(frozen=True)
class CurrentWorkflow:
    """A project's current revision of a workflow, and the secrets it uses that the
    project has not set (sorted)."""

    document: Document
    revision: int
    pending_secrets: list[str] = field(default_factory=list)


class WorkflowCatalog(Protocol):
    """Read access to the registry's current revisions, per project."""

    async def current(self, project: str, name: str) -> CurrentWorkflow | None:
        """``project``'s current revision of ``name``, or None when it has none (another
        project's workflow of that name is not found either)."""
        ...


class MemoryCatalog:
    """A :class:`WorkflowCatalog` held in memory; each :meth:`register` makes a new revision.

    Pending secrets are whatever :attr:`pending` says per ``(project, workflow)`` (tests
    set it); the registry's catalog computes them from the document and the secrets set.
    """

    def __init__(self, documents: list[Document] | None = None, *, project: str = DEFAULT_PROJECT) -> None:
        self.revisions: dict[tuple[str, str], list[Document]] = {}
        self.pending: dict[tuple[str, str], list[str]] = {}
        for document in documents or []:
            self.register(document, project=project)

    def register(self, document: Document, *, project: str = DEFAULT_PROJECT) -> int:
        """Store ``document`` as ``project``'s newest revision of its name; returns that revision (from 1)."""
        revisions = self.revisions.setdefault((project, document.name), [])
        revisions.append(document)
        return len(revisions)

    async def current(self, project: str, name: str) -> CurrentWorkflow | None:
        revisions = self.revisions.get((project, name))
        if not revisions:
            return None
        return CurrentWorkflow(revisions[-1], len(revisions), sorted(self.pending.get((project, name), [])))


def run_project(description: WorkflowExecutionDescription, memo_project: object) -> str:
    """The project a described run belongs to: its search attribute, else its memo, else
    the default project (runs started before projects carry neither)."""
    return project_of_run(description.typed_search_attributes.get(_PROJECT_ATTR), memo_project)


class CatalogActivities:
    """Catalog activities over one shared :class:`WorkflowCatalog`."""

    def __init__(self, catalog: WorkflowCatalog) -> None:
        self.catalog = catalog

    @activity.defn(name=RESOLVE_WORKFLOW_ACTIVITY)
    async def resolve_workflow(self, lookup: WorkflowLookup) -> ResolvedWorkflow:
        """Look up the current revision of ``lookup.name`` in ``lookup.project``; unknown is
        an answer, not an error."""
        found = await self.catalog.current(lookup.project, lookup.name)
        if found is None:
            return ResolvedWorkflow()
        return ResolvedWorkflow(document=found.document, revision=found.revision, pending_secrets=found.pending_secrets)

    @activity.defn(name=RUN_IS_OPEN_ACTIVITY)
    async def run_is_open(self, lookup: RunLookup) -> RunOpen:
        """Whether ``lookup.run_id`` is a running Dispatched run of this namespace, and its project.

        Temporal accepts a cancel request for a run that has already closed and does
        nothing; asking first lets the directive be rejected with a reason instead. The
        directive compares the project with its own run's; a workflow of another type
        is no run of ours and reads as missing.
        """
        handle = activity.client().get_workflow_handle(lookup.run_id)
        try:
            description = await handle.describe()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return RunOpen(open=False)
            raise
        project = run_project(description, await description.memo_value(PROJECT_MEMO, None))
        is_open = description.status == WorkflowExecutionStatus.RUNNING and description.workflow_type == WORKFLOW_TYPE
        return RunOpen(open=is_open, project=project)
