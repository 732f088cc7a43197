"""The one generic Temporal workflow: it interprets any validated workflow document.

Each step runs as its own asyncio task that waits for its ``after`` steps to be
released, then dispatches on its kind: ``request`` → the request activity, ``wait`` →
a signal from the inbox with a durable timer, ``respond`` → an answer published to the
caller without an activity. A failed step fails the run and cancels what is still
running. Everything here must be deterministic: time is ``workflow.now()``, ids come
from ``workflow.uuid4()``, and handlers only change state.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.exceptions import TimeoutError as TemporalTimeoutError

with workflow.unsafe.imports_passed_through():
    # `import pkg.mod as x` passes the host module through; `from pkg import mod`
    # would load a sandbox copy (importlib bypasses the sandbox's import hook for it).
    import contract.limits as limits
    from contract import errors
    from contract.messages import (
        ErrorInfo,
        EventsPage,
        PublishedResponse,
        RequestInput,
        RequestOutput,
        RunInput,
        RunResult,
        RunState,
        RunStatus,
    )
    from contract.names import EVENTS_QUERY, REQUEST_ACTIVITY, REQUEST_HEARTBEAT_TIMEOUT, RESPONSE_UPDATE, STATE_QUERY
    from interpreter.compiler import CompiledStep, RequestStep, RespondStep, RetryValues, WaitStep, compile_document
    from interpreter.directive_effects import DirectiveEffects
    from interpreter.expressions import render_value, to_text, truthy
    from interpreter.rendering import render_request
    from interpreter.run_book import RunBook
    from interpreter.run_metrics import RunMetrics
    from interpreter.search_attributes import LABEL_ATTRIBUTES, REVISION_ATTR, WORKFLOW_NAME_ATTR

# Room for the activity to read the body and report after httpx's own per-attempt timeout.
_ACTIVITY_TIMEOUT_MARGIN = timedelta(seconds=5)


class StepFailure(Exception):
    """Raised inside a step task; turns into a failed step and a failed run."""

    def __init__(self, error: ErrorInfo, *, attempts: int | None = None, run_code: str = errors.STEP_FAILED) -> None:
        super().__init__(error.message)
        self.error, self.attempts, self.run_code = error, attempts, run_code


@workflow.defn(name="DispatchedRun")
class DispatchedRun:
    @workflow.init
    def __init__(self, input: RunInput) -> None:
        self._input = input
        # Compiled from the document the run carries: pure, so every replay gets the same plan.
        self._plan = compile_document(input.document)
        self._steps = self._plan.steps
        self._metrics = RunMetrics(input.workflow, input.project)
        self._book = RunBook(input, workflow.now, on_step_finished=self._step_finished)
        self._released: set[str] = set()
        self._failure: StepFailure | None = None
        self._response: PublishedResponse | None = None
        self._directives = DirectiveEffects(input, self._book, self._metrics)
        self._signals_kept = 0  # signals accepted into the inbox (contract.limits caps them)

    # -- the run ----------------------------------------------------------------
    @workflow.run
    async def run(self, input: RunInput) -> RunResult:
        self._label_run()
        self._book.emit("run.started", workflow=input.workflow, revision=input.revision)
        tasks = [asyncio.create_task(self._run_step(step_id)) for step_id in self._steps]
        tasks.append(asyncio.create_task(self._watch_history()))
        try:
            await self._supervise(tasks)
        except asyncio.CancelledError:
            await self._stop(tasks)
            self._close("cancelled", ErrorInfo(code=errors.CANCELLED, message="the run was cancelled"))
            await workflow.wait_condition(workflow.all_handlers_finished)
            raise
        if self._failure is not None:
            await self._stop(tasks)
            failure = self._failure
            step_error = failure.error
            error = ErrorInfo(code=failure.run_code, message=step_error.message)
            self._close("failed", error)
            await workflow.wait_condition(workflow.all_handlers_finished)
            raise ApplicationError(error.message, {"step_error": step_error.model_dump()}, type=error.code, non_retryable=True)
        self._publish_final_response()
        self._close("completed")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return RunResult(state=self._book.state(), response=self._response)

    def _step_finished(self, step_id: str, kind: str, status: str, ran: timedelta | None) -> None:
        self._metrics.step(kind, status, ran)

    def _close(self, status: RunStatus, error: ErrorInfo | None = None) -> None:
        """Record the run's end, count and log it (the meter and workflow.logger are both
        silent during replay)."""
        self._book.close(status, error)
        self._metrics.run(status)
        context = {"workflow": self._input.workflow, "project": self._input.project}
        if error is None:
            workflow.logger.info("run %s", status, extra=context)
        else:
            workflow.logger.warning("run %s: %s: %s", status, error.code, error.message, extra=context)

    async def _supervise(self, tasks: list[asyncio.Task[None]]) -> None:
        """Wait until every step task ends or one step fails; surface engine bugs."""
        pending: set[asyncio.Task[None]] = set(tasks)
        while pending and self._failure is None:
            done, still = await workflow.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            pending = set(still)
            for task in done:
                task.result()  # an unexpected exception fails the workflow task, to be fixed and retried

    async def _stop(self, tasks: list[asyncio.Task[None]]) -> None:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._book.cancel_unfinished()

    async def _watch_history(self) -> None:
        """Fail the run with ``history_limit`` before Temporal's own history limits
        terminate it (losing its events and answer). Issues no command, so it replays the
        same; it returns once every step is released."""
        problem: str | None = None

        def stop() -> bool:
            nonlocal problem
            problem = limits.history_problem(workflow.info())
            return problem is not None or len(self._released) == len(self._steps)

        await workflow.wait_condition(stop)
        if problem is not None and self._failure is None:
            self._failure = StepFailure(ErrorInfo(code=limits.HISTORY_LIMIT, message=problem), run_code=limits.HISTORY_LIMIT)

    def _label_run(self) -> None:
        """Memo and search attributes show workflow name and revision in the Web UI.

        Only the two label keys are checked and upserted here. ``DispatchedProject`` is set
        by whoever starts the run (interpreter.client, a spawn); upserting it here would add
        a command to every run from before projects when it replays (non-determinism).
        """
        present = workflow.info().typed_search_attributes
        if all(present.get(key) is not None for key in LABEL_ATTRIBUTES):
            return
        workflow.upsert_search_attributes(
            [WORKFLOW_NAME_ATTR.value_set(self._input.workflow), REVISION_ATTR.value_set(self._input.revision)]
        )

    # -- one step ---------------------------------------------------------------
    async def _run_step(self, step_id: str) -> None:
        step = self._steps[step_id]
        await workflow.wait_condition(lambda: all(dep in self._released for dep in step.after))
        skipped = [dep for dep in step.after if self._book.status_of(dep) == "skipped"]
        if skipped:
            self._book.skip(step_id, f"dependency {skipped[0]} was skipped")
        elif step.when is not None and not truthy(step.when.evaluate(self._book.context())):
            self._book.skip(step_id, "when was false")
        else:
            delay = await self._execute(step)
            if delay:
                await workflow.sleep(delay, summary=f"{step_id}: Dispatched-Delay")
        self._released.add(step_id)

    async def _execute(self, step: CompiledStep) -> timedelta | None:
        try:
            match step:
                case RequestStep():
                    return await self._request(step)
                case WaitStep():
                    await self._wait(step)
                case RespondStep():
                    self._respond(step)
        except StepFailure as failure:
            self._book.fail(step.id, failure.error, attempts=failure.attempts)
            self._failure = self._failure or failure
        return None

    async def _request(self, step: RequestStep) -> timedelta | None:
        step_id = step.id
        self._book.start(step_id)
        request = RequestInput(
            run_id=self._input.run_id,
            workflow=self._input.workflow,
            project=self._input.project,  # whose secrets fill the slots (activities.http)
            step_id=step_id,
            method=step.method,
            timeout_seconds=step.timeout.total_seconds(),
            follow_redirects=step.follow_redirects,
            **render_request(step, self._book.context()),
        )
        options: dict[str, Any] = {
            "result_type": RequestOutput,
            "activity_id": step_id,
            "summary": step_id,
            "start_to_close_timeout": step.timeout + _ACTIVITY_TIMEOUT_MARGIN,
            "retry_policy": _retry_policy(step.retry),
        }
        try:
            if step.local:  # opt-in: no task-queue round trip, at local activities' terms
                output = await workflow.execute_local_activity(REQUEST_ACTIVITY, request, **options)
            else:
                output = await workflow.execute_activity(
                    REQUEST_ACTIVITY, request, heartbeat_timeout=REQUEST_HEARTBEAT_TIMEOUT, **options
                )
        except ActivityError as err:
            raise StepFailure(_activity_error(err, step_id), attempts=_attempts(err)) from None
        self._book.complete(step_id, attempts=output.attempt, response=output.response.model_dump(mode="json"))
        # The step's accepted response-header directives; a delay holds back its dependents.
        return await self._directives.apply(step_id, step.directives, output.directives)

    async def _wait(self, step: WaitStep) -> None:
        step_id, names = step.id, step.signals
        self._book.start(step_id, "waiting")
        deadline = workflow.now() + step.timeout if step.timeout is not None else None
        while (signal := self._book.take(names)) is None:
            remaining = (deadline - workflow.now()) if deadline else None
            try:
                if remaining is not None and remaining <= timedelta(0):
                    raise TimeoutError
                await workflow.wait_condition(
                    lambda: self._book.has(names), timeout=remaining, timeout_summary=f"{step_id}: wait timeout"
                )
            except TimeoutError:
                self._wait_timed_out(step_id, step.on_timeout, step.timeout_text)
                return
        self._book.emit("signal.consumed", step_id, name=signal.name)
        self._book.complete(
            step_id,
            signal={"name": signal.name, "body": signal.body, "received_at": signal.received_at.isoformat()},
        )

    def _wait_timed_out(self, step_id: str, on_timeout: str, timeout: str) -> None:
        self._book.emit("wait.timed_out", step_id, timeout=timeout, on_timeout=on_timeout)
        if on_timeout == "skip":
            self._book.skip(step_id, f"no signal within {timeout}")
        elif on_timeout == "continue":
            self._book.complete(step_id, signal=None)
        else:
            message = f"step {step_id}: no signal within {timeout}"
            raise StepFailure(ErrorInfo(code=errors.WAIT_TIMEOUT, message=message), run_code=errors.WAIT_TIMEOUT)

    def _respond(self, step: RespondStep) -> None:
        step_id = step.id
        self._book.start(step_id)
        context = self._book.context()
        body = step.body_from.evaluate(context) if step.body_from is not None else render_value(step.body, context)
        headers = _answer_headers(step.headers, context)
        self._publish(PublishedResponse(status=step.status, content_type=step.content_type, headers=headers, body=body, source=step_id))
        self._book.complete(step_id, body=body)

    # -- the synchronous answer -------------------------------------------------
    def _publish(self, response: PublishedResponse) -> None:
        """First response wins; later ones are recorded as dropped."""
        event = "respond.published" if self._response is None else "respond.dropped"
        self._response = self._response or response
        step = response.source if response.source in self._steps else None
        self._book.emit(event, step, status=response.status, source=response.source)

    def _publish_final_response(self) -> None:
        block = self._plan.response
        if block is not None:
            context = self._book.context()
            body = render_value(block.body, context)
            headers = _answer_headers(block.headers, context)
            self._publish(
                PublishedResponse(status=block.status, content_type=block.content_type, headers=headers, body=body, source="response")
            )
        elif self._response is None:
            self._publish(PublishedResponse(body={"run_id": self._input.run_id, "status": "completed"}, source="default"))

    @workflow.update(name=RESPONSE_UPDATE)
    async def wait_response(self) -> PublishedResponse:
        """Resolves once the run has published its answer; fails if the run ends without one."""
        await workflow.wait_condition(lambda: self._response is not None or self._book.status != "running")
        if self._response is not None:
            return self._response
        error = self._book.error or ErrorInfo(code=errors.STEP_FAILED, message="the run ended without answering")
        raise ApplicationError(error.message, error.model_dump(), type=error.code, non_retryable=True)

    # -- signals and queries ----------------------------------------------------
    @workflow.signal(dynamic=True)
    def on_signal(self, name: str, args: Sequence[RawValue]) -> None:
        """Every user signal lands here: its one JSON argument is the payload."""
        # An oversized payload or one signal too many is recorded, not kept.
        problem = limits.signal_problem(self._signals_kept, len(args[0].payload.data) if args else 0)
        if problem is not None:
            self._book.emit("signal.rejected", name=name, reason=problem)
            return
        try:
            body: Any = workflow.payload_converter().from_payload(args[0].payload) if args else None
        except Exception as error:  # a payload that does not decode must not fail the workflow task
            self._book.emit("signal.rejected", name=name, reason=f"payload could not be decoded: {type(error).__name__}")
            return
        self._signals_kept += 1
        self._book.receive(name, body)

    @workflow.query(name=STATE_QUERY)
    def state(self) -> RunState:
        return self._book.state()

    @workflow.query(name=EVENTS_QUERY)
    def events(self, after: int) -> EventsPage:
        return self._book.events_after(after)


def _answer_headers(headers: Mapping[str, Any], context: dict[str, Any]) -> dict[str, str]:
    """A respond step's or the response block's headers, rendered to text."""
    return {name: to_text(render_value(value, context)) for name, value in headers.items()}


def _retry_policy(retry: RetryValues) -> RetryPolicy:
    """The step's retry policy in Temporal's terms; failures a retry cannot mend stop it."""
    return RetryPolicy(
        initial_interval=retry.initial_interval,
        backoff_coefficient=retry.backoff,
        maximum_interval=retry.max_interval,
        maximum_attempts=retry.max_attempts,
        non_retryable_error_types=list(errors.NON_RETRYABLE),
    )


def _attempts(err: ActivityError) -> int | None:
    """The attempt the activity reported with its last failure (see activities.http)."""
    cause = err.cause
    if isinstance(cause, ApplicationError) and cause.details and isinstance(cause.details[0], dict):
        attempt = cause.details[0].get("attempt")
        return attempt if isinstance(attempt, int) else None
    return None


def _activity_error(err: ActivityError, step_id: str) -> ErrorInfo:
    """The activity's own code and message (already free of secrets), or a timeout."""
    cause = err.cause
    if isinstance(cause, ApplicationError):
        return ErrorInfo(code=cause.type or errors.STEP_FAILED, message=f"step {step_id}: {cause.message}")
    if isinstance(cause, TemporalTimeoutError):
        return ErrorInfo(code=errors.STEP_TIMEOUT, message=f"step {step_id}: the request did not finish in time")
    return ErrorInfo(code=errors.STEP_FAILED, message=f"step {step_id}: {err.message}")
