"""Look-ups the directives need that a workflow can't make itself: which revision of a
workflow is current (``Dispatched-Spawn``) and whether a run is open, and whose it is
(``Dispatched-Cancel``, ``Dispatched-Signal``).

The resolve look-up also answers, from Temporal's visibility, what the spawn limits need
(``contract.limits``): the runs already in the spawning run's lineage (and which places
they hold) and the project's spawned runs still running. Folding the counts into that answer keeps a spawn at one
activity, the command runs recorded before the limits have, so their histories replay.

Both are I/O, and the workflow must stay deterministic, so it asks these activities;
the answers are recorded in the run's history, so a replay sees the same document
even if the workflow was re-registered since.

The registry implements :class:`WorkflowCatalog`; tests and ``dispatched dev`` without
a database use :class:`MemoryCatalog`.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Protocol

from temporalio import activity
from temporalio.client import WorkflowExecutionDescription, WorkflowExecutionStatus
from temporalio.common import SearchAttributeKey
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from contract.document import Document
from contract.limits import DEFAULT_MAX_RUNNING_SPAWNS, MAX_LINEAGE_RUNS
from contract.messages import ResolvedWorkflow, RunLookup, RunOpen, WorkflowLookup, lineage_run_id
from contract.names import (
    DEFAULT_PROJECT,
    PROJECT_ATTRIBUTE,
    PROJECT_MEMO,
    RESOLVE_WORKFLOW_ACTIVITY,
    ROOT_ATTRIBUTE,
    RUN_IS_OPEN_ACTIVITY,
    WORKFLOW_TYPE,
    project_of_run,
)

# The key is built here rather than imported: activities/ may not import interpreter/
# (interpreter.search_attributes holds the same key for the engine's side).
_PROJECT_ATTR = SearchAttributeKey.for_keyword(PROJECT_ATTRIBUTE)
# What may go inside a quoted value of a visibility query: run ids and project names are
# both narrower than this, so nothing a run carries can change the query's meaning.
_QUERY_VALUE = re.compile(r"[A-Za-z0-9_.:-]+")


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


def lineage_query(root: str) -> str:
    """The visibility query for the spawned runs of ``root``'s lineage, any status."""
    return f'{ROOT_ATTRIBUTE} = "{_query_value(root)}"'


def running_spawns_query(project: str) -> str:
    """The visibility query for ``project``'s spawned runs still running."""
    return (
        f'WorkflowType = "{WORKFLOW_TYPE}" AND {PROJECT_ATTRIBUTE} = "{_query_value(project)}" '
        f'AND {ROOT_ATTRIBUTE} IS NOT NULL AND ExecutionStatus = "Running"'
    )


def _query_value(value: str) -> str:
    if not _QUERY_VALUE.fullmatch(value):  # a retry would not change the value
        raise ApplicationError(f"{value!r} cannot be used in a visibility query", non_retryable=True)
    return value


class CatalogActivities:
    """Catalog activities over one shared :class:`WorkflowCatalog`.

    ``max_running_spawns`` (``DISPATCHED_MAX_RUNNING_SPAWNS``) is the worker's cap on a
    project's spawned runs running at once; the resolve answer carries it to the workflow,
    which decides (and says) whether a spawn is over it.
    """

    def __init__(self, catalog: WorkflowCatalog, *, max_running_spawns: int = DEFAULT_MAX_RUNNING_SPAWNS) -> None:
        self.catalog = catalog
        self.max_running_spawns = max_running_spawns

    @activity.defn(name=RESOLVE_WORKFLOW_ACTIVITY)
    async def resolve_workflow(self, lookup: WorkflowLookup) -> ResolvedWorkflow:
        """Look up the current revision of ``lookup.name`` in ``lookup.project``; unknown is
        an answer, not an error. With a ``lineage_root``, a found workflow's answer also
        carries the counts of the spawn limits (a failed count fails the look-up, which the
        workflow retries and then rejects the spawn with the reason)."""
        found = await self.catalog.current(lookup.project, lookup.name)
        if found is None:
            return ResolvedWorkflow()
        resolved = ResolvedWorkflow(document=found.document, revision=found.revision, pending_secrets=found.pending_secrets)
        if lookup.lineage_root is None or lookup.lineage_key is None:
            return resolved
        client = activity.client()

        async def lineage_ids() -> set[str]:  # at most 99 runs: one page
            return {execution.id async for execution in client.list_workflows(lineage_query(lookup.lineage_root or ""))}

        spawned, running = await asyncio.gather(lineage_ids(), client.count_workflows(running_spawns_query(lookup.project)))
        places = {lineage_run_id(lookup.lineage_key, slot): slot for slot in range(1, MAX_LINEAGE_RUNS)}
        return resolved.model_copy(update={
            "lineage_spawned": len(spawned),
            "lineage_taken": sorted(places[run_id] for run_id in spawned if run_id in places),
            "running_spawns": running.count,
            "max_running_spawns": self.max_running_spawns,
        })

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
