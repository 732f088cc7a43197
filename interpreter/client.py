"""The engine's Python API: start runs, await their answer, signal, cancel, inspect.

The gateway, the CLI's dev mode, the benchmarks and the tests all drive runs through
:class:`RunClient`, so the Temporal details (ids, policies, update-with-start, queries)
are decided here once. The Temporal workflow id is the run id.

Every run belongs to one project (SPEC §6): its memo ``project`` and its
``DispatchedProject`` search attribute say which, both set at start. Every method that
reads or acts on a run takes the caller's project and answers :class:`RunNotFound` for
a run of another project, exactly as for a run that does not exist, so a caller cannot
tell the two apart. Runs started before projects carry neither and are the default
project's.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timedelta
from typing import Any, cast

from pydantic import BaseModel
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from contract.errors import STEP_FAILED, RunClosed, RunFailed, RunNotFound
from contract.identifiers import RUN_ID_ENTROPY_HEX, mint_run_id
from contract.messages import ErrorInfo, EventsPage, PublishedResponse, RunInput, RunResult, RunState, RunStatus
from contract.names import (
    DEFAULT_PROJECT,
    DEFAULT_TASK_QUEUE,
    EVENTS_QUERY,
    PROJECT_MEMO,
    RESPONSE_UPDATE,
    STATE_QUERY,
    WORKFLOW_TYPE,
    project_of_run,
)
from interpreter.search_attributes import PROJECT_ATTR, REVISION_ATTR, WORKFLOW_NAME_ATTR

_STATUS: dict[WorkflowExecutionStatus, RunStatus] = {
    WorkflowExecutionStatus.RUNNING: "running",
    WorkflowExecutionStatus.CONTINUED_AS_NEW: "running",
    WorkflowExecutionStatus.COMPLETED: "completed",
    WorkflowExecutionStatus.FAILED: "failed",
    WorkflowExecutionStatus.CANCELED: "cancelled",
    WorkflowExecutionStatus.TERMINATED: "cancelled",
    WorkflowExecutionStatus.TIMED_OUT: "timed_out",
}
_QUERY_TIMEOUT = timedelta(seconds=10)


class RunSummary(BaseModel):
    """One line of ``GET /api/runs``, from Temporal visibility."""

    run_id: str
    workflow: str | None
    revision: int | None
    status: RunStatus
    started_at: datetime | None
    closed_at: datetime | None


async def run_project(description: WorkflowExecutionDescription) -> str:
    """The project of a described run: its ``DispatchedProject`` search attribute, else
    its memo ``project``, else the default project (runs from before projects have neither)."""
    attribute = description.typed_search_attributes.get(PROJECT_ATTR)
    return project_of_run(attribute, None if attribute else await description.memo_value(PROJECT_MEMO, None))


def project_filter(project: str) -> str:
    """The visibility clause that keeps ``project``'s runs only.

    The default project also owns every run started before projects, which has no
    ``DispatchedProject`` at all; ``IS NULL`` finds those (SQL visibility, the dev
    server's SQLite included, and Elasticsearch both support it; ``!=`` would not do, as
    it never matches a missing value). No run has a ``project`` memo without the
    attribute (both are set at start), so the memo fallback of :func:`run_project` needs
    no clause of its own.
    """
    clause = f"{PROJECT_ATTR.name} = '{_quoted(project)}'"
    if project == DEFAULT_PROJECT:
        return f"({clause} OR {PROJECT_ATTR.name} IS NULL)"
    return clause


def _status(description: WorkflowExecutionDescription) -> RunStatus:
    return _STATUS.get(description.status, "running") if description.status else "running"


def _failure(run_id: str, error: BaseException) -> RunFailed:
    """The run's own failure code and message, from an update or result failure."""
    cause = getattr(error, "cause", None)
    if isinstance(cause, ApplicationError):
        return RunFailed(run_id, ErrorInfo(code=cause.type or STEP_FAILED, message=cause.message))
    return RunFailed(run_id, ErrorInfo(code=STEP_FAILED, message=str(cause or error)))


class RunClient:
    def __init__(self, client: Client, *, task_queue: str = DEFAULT_TASK_QUEUE) -> None:
        self.client = client
        self.task_queue = task_queue

    @staticmethod
    def new_run_id() -> str:
        return mint_run_id(secrets.token_hex(RUN_ID_ENTROPY_HEX // 2))

    def _start_options(self, run: RunInput) -> dict[str, Any]:
        """Start options shared by :meth:`start` and update-with-start. The project goes
        into the memo and the search attribute here, at start: the workflow never sets it
        (see ``DispatchedRun._label_run``)."""
        memo = {"workflow": run.workflow, "revision": run.revision, "version": run.document.version, PROJECT_MEMO: run.project}
        return {
            "id": run.run_id,
            "task_queue": self.task_queue,
            "memo": memo,
            "search_attributes": TypedSearchAttributes([
                SearchAttributePair(WORKFLOW_NAME_ATTR, run.workflow),
                SearchAttributePair(REVISION_ATTR, run.revision),
                SearchAttributePair(PROJECT_ATTR, run.project),
            ]),
            # A run id names one run forever: a repeat (idempotent trigger) finds the same run.
            "id_conflict_policy": WorkflowIDConflictPolicy.USE_EXISTING,
            "id_reuse_policy": WorkflowIDReusePolicy.REJECT_DUPLICATE,
            "static_summary": f"{run.workflow} r{run.revision}",
        }

    async def start(self, run: RunInput) -> str:
        """Start a run without waiting for anything; an existing run with that id is kept."""
        try:
            await self.client.start_workflow(WORKFLOW_TYPE, run, result_type=RunResult, **self._start_options(run))
        except WorkflowAlreadyStartedError:
            pass
        return run.run_id

    async def start_and_wait_response(self, run: RunInput, *, timeout: float) -> PublishedResponse | None:
        """Start a run and wait for its answer in one round trip (update-with-start).

        Returns None when no answer came within ``timeout`` seconds (the run goes on);
        raises :class:`RunFailed` when the run failed before answering.
        """
        operation: WithStartWorkflowOperation[Any, RunResult] = WithStartWorkflowOperation(
            WORKFLOW_TYPE, run, result_type=RunResult, **self._start_options(run)
        )
        try:
            return await asyncio.wait_for(self._update_with_start(run.run_id, operation), timeout)
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            _collect_start_outcome(operation)
            await self.start(run)  # the start may not have reached the server before the deadline
            return None
        except WorkflowAlreadyStartedError:
            return await self.wait_response(run.run_id, project=run.project, timeout=timeout)

    async def start_eagerly_and_wait_response(self, run: RunInput, *, timeout: float) -> PublishedResponse | None:
        """Like :meth:`start_and_wait_response`, in two calls: a start with eager workflow
        start (a worker polling the same task queue on this very client takes the run's
        first workflow task from the start's answer, skipping the task queue), then the
        response update. Update-with-start cannot be eager (the SDK has no such option and
        the server refuses it: bench/eager.py), and without a worker in this process the
        start is an ordinary one.
        """
        handle = await self.client.start_workflow(
            WORKFLOW_TYPE, run, result_type=RunResult, request_eager_start=True, **self._start_options(run)
        )
        try:
            return await asyncio.wait_for(handle.execute_update(RESPONSE_UPDATE, result_type=PublishedResponse), timeout)
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            return None
        except WorkflowUpdateFailedError as err:
            raise _failure(run.run_id, err) from None
        except RPCError:  # the run closed before the update reached it
            return await self._closed_response(handle)

    async def _update_with_start(self, run_id: str, operation: WithStartWorkflowOperation[Any, Any]) -> PublishedResponse:
        """The start and the response update in one call that asks the server to hold it
        until the update has COMPLETED, so the answer comes in the call's own response.
        Waiting only for ACCEPTED and then polling for the outcome, as this did before,
        costs one more round trip per sync trigger (~3 ms of a 3-step run, bench/README.md).
        """
        try:
            published = await self.client.execute_update_with_start_workflow(
                RESPONSE_UPDATE, start_workflow_operation=operation, result_type=PublishedResponse
            )
            return cast(PublishedResponse, published)
        except WorkflowUpdateFailedError as err:
            raise _failure(run_id, err) from None

    async def wait_response(self, run_id: str, *, project: str, timeout: float) -> PublishedResponse | None:
        """Wait for an existing run's answer (None past ``timeout``); a closed run's answer comes
        from its result."""
        handle = self.client.get_workflow_handle(run_id, result_type=RunResult)
        description = await self._describe(handle, project)
        if _status(description) != "running":
            return await self._closed_response(handle)
        try:
            return await asyncio.wait_for(
                handle.execute_update(RESPONSE_UPDATE, result_type=PublishedResponse), timeout
            )
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            return None
        except WorkflowUpdateFailedError as err:
            raise _failure(run_id, err) from None
        except RPCError:  # closed between describe and update
            return await self._closed_response(handle)

    async def _closed_response(self, handle: WorkflowHandle[Any, RunResult]) -> PublishedResponse | None:
        try:
            result = await handle.result()
        except WorkflowFailureError as err:
            raise _failure(handle.id, err) from None
        return result.response

    async def signal(self, run_id: str, name: str, payload: Any, *, project: str) -> None:
        handle = self.client.get_workflow_handle(run_id)
        await self._require_running(handle, project)
        try:
            await handle.signal(name, payload)
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                raise RunClosed(run_id, "closed") from None
            raise

    async def cancel(self, run_id: str, *, project: str) -> None:
        handle = self.client.get_workflow_handle(run_id)
        await self._require_running(handle, project)
        await handle.cancel()

    async def state(self, run_id: str, *, project: str) -> RunState:
        """The run's step states; a completed run answers from its result, no worker needed."""
        handle = self.client.get_workflow_handle(run_id, result_type=RunResult)
        description = await self._describe(handle, project)
        if description.status == WorkflowExecutionStatus.COMPLETED:
            return cast(RunResult, await handle.result()).state
        try:
            return cast(RunState, await handle.query(STATE_QUERY, result_type=RunState, rpc_timeout=_QUERY_TIMEOUT))
        except RPCError:
            return self._state_from_description(run_id, description)

    async def events(self, run_id: str, *, project: str, after: int = 0) -> EventsPage:
        """Events after ``after``. The SSE follow calls this on every poll, so each page is
        checked against the caller's project (one describe, before the query)."""
        handle = self.client.get_workflow_handle(run_id)
        await self._describe(handle, project)
        try:
            return cast(EventsPage, await handle.query(EVENTS_QUERY, after, result_type=EventsPage, rpc_timeout=_QUERY_TIMEOUT))
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                raise RunNotFound(run_id) from None
            raise

    async def list_runs(
        self, *, project: str, workflow: str | None = None, status: RunStatus | None = None, limit: int = 50
    ) -> list[RunSummary]:
        """``project``'s recent runs, newest first. The project is a clause of the visibility
        query (:func:`project_filter`), so the server filters and ``limit`` counts only
        this project's runs."""
        clauses = [f"WorkflowType = '{WORKFLOW_TYPE}'", project_filter(project)]
        if workflow:
            clauses.append(f"{WORKFLOW_NAME_ATTR.name} = '{_quoted(workflow)}'")
        if status:
            wanted = [s for s, ours in _STATUS.items() if ours == status]
            clauses.append("(" + " OR ".join(f"ExecutionStatus = '{_visibility_name(s)}'" for s in wanted) + ")")
        runs: list[RunSummary] = []
        async for execution in self.client.list_workflows(" AND ".join(clauses), limit=limit):
            attributes = execution.typed_search_attributes
            runs.append(
                RunSummary(
                    run_id=execution.id,
                    workflow=attributes.get(WORKFLOW_NAME_ATTR),
                    revision=attributes.get(REVISION_ATTR),
                    status=_STATUS.get(execution.status, "running") if execution.status else "running",
                    started_at=execution.start_time,
                    closed_at=execution.close_time,
                )
            )
        return runs

    async def _describe(self, handle: WorkflowHandle[Any, Any], project: str) -> WorkflowExecutionDescription:
        """The run's description, if it is one of ``project``'s runs; another project's run
        raises the same :class:`RunNotFound` as a missing one (and nothing about it leaks)."""
        try:
            description = await handle.describe()
        except RPCError as err:
            if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
                raise RunNotFound(handle.id) from None
            raise
        if description.workflow_type != WORKFLOW_TYPE or await run_project(description) != project:
            raise RunNotFound(handle.id)
        return description

    async def _require_running(self, handle: WorkflowHandle[Any, Any], project: str) -> None:
        status = _status(await self._describe(handle, project))
        if status != "running":
            raise RunClosed(handle.id, status)

    @staticmethod
    def _state_from_description(run_id: str, description: WorkflowExecutionDescription) -> RunState:
        """What visibility alone knows, while no worker has picked the run up yet."""
        attributes = description.typed_search_attributes
        return RunState(
            run_id=run_id,
            workflow=attributes.get(WORKFLOW_NAME_ATTR) or "",
            version=0,
            revision=attributes.get(REVISION_ATTR) or 0,
            status=_status(description),
            started_at=description.start_time,
            closed_at=description.close_time,
        )


def _collect_start_outcome(operation: WithStartWorkflowOperation[Any, Any]) -> None:
    """Read the start outcome of an update-with-start we stopped waiting for.

    The SDK parks it in a future of the operation; left unread, asyncio reports "Future
    exception was never retrieved" when the deadline cancelled the call.
    """
    future = getattr(operation, "_workflow_handle", None)
    if isinstance(future, asyncio.Future) and future.done() and not future.cancelled():
        future.exception()


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _visibility_name(status: WorkflowExecutionStatus) -> str:
    return {
        WorkflowExecutionStatus.CONTINUED_AS_NEW: "ContinuedAsNew",
        WorkflowExecutionStatus.TIMED_OUT: "TimedOut",
        WorkflowExecutionStatus.CANCELED: "Canceled",
    }.get(status, status.name.capitalize())
