"""Look-ups the directives need that a workflow can't make itself: which revision of a
workflow is current (``Dispatched-Spawn``) and whether a run is open (``Dispatched-Cancel``).

Both are I/O, and the workflow must stay deterministic, so it asks these activities;
the answers are recorded in the run's history, so a replay sees the same document
even if the workflow was re-registered since.

The registry implements :class:`WorkflowCatalog`; tests and ``dispatched dev`` without
a database use :class:`MemoryCatalog`.
"""

from __future__ import annotations

from typing import Protocol

from temporalio import activity
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from contract.document import Document
from contract.messages import ResolvedWorkflow, RunLookup, RunOpen, WorkflowLookup
from contract.names import RESOLVE_WORKFLOW_ACTIVITY, RUN_IS_OPEN_ACTIVITY


class WorkflowCatalog(Protocol):
    """Read access to the registry's current revisions."""

    async def current(self, name: str) -> tuple[Document, int] | None:
        """The current document and revision of ``name``, or None when it isn't registered."""
        ...


class MemoryCatalog:
    """A :class:`WorkflowCatalog` held in memory; each :meth:`register` makes a new revision."""

    def __init__(self, documents: list[Document] | None = None) -> None:
        self.revisions: dict[str, list[Document]] = {}
        for document in documents or []:
            self.register(document)

    def register(self, document: Document) -> int:
        """Store ``document`` as the newest revision of its name; returns that revision (from 1)."""
        revisions = self.revisions.setdefault(document.name, [])
        revisions.append(document)
        return len(revisions)

    async def current(self, name: str) -> tuple[Document, int] | None:
        revisions = self.revisions.get(name)
        return (revisions[-1], len(revisions)) if revisions else None


class CatalogActivities:
    """Catalog activities over one shared :class:`WorkflowCatalog`."""

    def __init__(self, catalog: WorkflowCatalog) -> None:
        self.catalog = catalog

    @activity.defn(name=RESOLVE_WORKFLOW_ACTIVITY)
    async def resolve_workflow(self, lookup: WorkflowLookup) -> ResolvedWorkflow:
        """Look up the current revision of ``lookup.name``; unknown is an answer, not an error."""
        found = await self.catalog.current(lookup.name)
        if found is None:
            return ResolvedWorkflow()
        document, revision = found
        return ResolvedWorkflow(document=document, revision=revision)

    @activity.defn(name=RUN_IS_OPEN_ACTIVITY)
    async def run_is_open(self, lookup: RunLookup) -> RunOpen:
        """Whether ``lookup.run_id`` is a running workflow of this namespace.

        Temporal accepts a cancel request for a run that has already closed and does
        nothing; asking first lets the directive be rejected with a reason instead.
        """
        handle = activity.client().get_workflow_handle(lookup.run_id)
        try:
            description = await handle.describe()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return RunOpen(open=False)
            raise
        return RunOpen(open=description.status == WorkflowExecutionStatus.RUNNING)
