"""Apply a request step's response-header directives inside the workflow (SPEC §2).

The activity has already parsed the headers (:mod:`activities.directives`); this
module decides, deterministically and in header order, what each one does to the run:

* a kind the step does not list under ``directives`` → ``directive.skipped``;
* a malformed or over-limit one (incl. the run's spawn/cancel/signal budget), or one
  whose target is missing → ``directive.rejected``
  with the reason (the step has completed already and the run goes on);
* ``log`` → a ``log`` event; ``delay`` → a pause the caller sleeps before releasing the
  step's dependents; ``spawn`` → a detached child run of the same project;
  ``cancel`` / ``signal`` → that request to another run of the same project, or into
  this run's own inbox when it names this run.

Spawn lineage (issue 13): a spawned run carries its root and depth (``RunInput.lineage``,
its memo, and the ``DispatchedRoot`` search attribute). A spawn past depth 8, past 100 runs
of one lineage, or past the project's cap of spawned runs running at once is rejected
with a reason starting ``spawn_limit:`` (``contract.limits``). The depth is the run's own
input; the counts come with the resolve look-up's answer; the lineage bound itself is
Temporal's unique workflow ids: each spawned run takes one of its lineage's 99 places,
so concurrent spawns can never make more, whatever the counts said.

Projects (SPEC §6): a spawn resolves the workflow in this run's project and the child
carries it (memo and ``DispatchedProject``); a cancel or signal first looks the target
up (the ``run_is_open`` activity answers its project) and treats a run of another
project exactly like a missing one, same reason, so a directive cannot tell the two
apart.

Every effect is a Temporal command (activity, child start, external cancel/signal) or
pure state, so a replay takes the same path.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, TypeVar, cast

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import ActivityError, FailureError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    import contract.limits as limits  # `from contract import limits` would load a sandbox copy
    from contract.directives import (
        CancelDirective,
        DelayDirective,
        Directive,
        LogDirective,
        ParsedDirective,
        SignalDirective,
        SpawnDirective,
    )
    from contract.document import DIRECTIVE_KINDS, Document
    from contract.errors import SECRETS_PENDING
    from contract.identifiers import mint_run_id
    from contract.messages import (
        Lineage,
        ResolvedWorkflow,
        RunInput,
        RunLookup,
        RunOpen,
        TriggerData,
        WorkflowLookup,
        lineage_run_id,
    )
    from contract.names import (
        DEFAULT_PROJECT,
        DEPTH_MEMO,
        PROJECT_MEMO,
        RESOLVE_WORKFLOW_ACTIVITY,
        ROOT_MEMO,
        RUN_IS_OPEN_ACTIVITY,
        WORKFLOW_TYPE,
    )
    from interpreter.run_book import RunBook
    from interpreter.run_metrics import RunMetrics
    from interpreter.search_attributes import PROJECT_ATTR, REVISION_ATTR, ROOT_ATTR, WORKFLOW_NAME_ATTR

_Answer = TypeVar("_Answer")
_LOOKUP_TIMEOUT = timedelta(seconds=10)
_LOOKUP_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_attempts=3)

# The patch that added the target look-up before a signal to another run. Runs recorded
# before it sent the external signal straight away; on replay `workflow.patched` answers
# False for them and they keep that path, new runs record the marker and look up first.
TARGET_PROJECT_PATCH = "directive-target-project"
# The patch that added the spawn limits (issue 13). Runs recorded before it spawned with a
# random child id and no lineage; on replay `workflow.patched` answers False for them and
# they keep that path (tests/workflow/histories/directives.json has such a spawn). New
# runs record the marker, then check the limits and start the child at a lineage place.
SPAWN_LINEAGE_PATCH = "spawn-lineage"
# Places a spawn tries before it looks at the lineage again (see DirectiveEffects._spawn).
_PLACES_PER_LOOK = 3
# One reason for a missing, closed or other project's target: a directive must not be
# able to tell another project's run from no run at all.
_NO_SUCH_RUN = "no such run, or it has already closed"


def may_reach(project: str, target: RunOpen) -> bool:
    """Whether a directive from a run of ``project`` may cancel or signal the run the
    look-up described as ``target``: an open run of the same project.

    The one place that confines directives, by the target's own project (its search
    attribute or memo, read by the look-up), never by the shape of its id. External
    handles only address this run's namespace, and the look-up calls only a
    ``DispatchedRun`` open, so nothing else in the namespace is reachable. A caller told
    no gives the reason it gives for a missing run: another project's run must not be
    told apart from one that does not exist.
    """
    return target.open and target.project == project


class _Rejected(Exception):
    """A well-formed directive that could not be applied; the message is the reason."""


class DirectiveEffects:
    """Applies directives for one run; holds the run's input and its book (events, inbox)."""

    def __init__(self, run: RunInput, book: RunBook, metrics: RunMetrics | None = None) -> None:
        self._run = run
        self._book = book
        self._metrics = metrics
        self._budget = limits.DirectiveBudget()  # spawns/cancels/signals this run may still send
        # The root's lineage key, minted at its first spawn (workflow state: replays mint the
        # same); a spawned run inherits its own from its input instead.
        self._lineage_key: str | None = run.lineage.key if run.lineage is not None else None
        # Lineage places this run knows are taken (its own, the ones it took or found
        # taken): its next spawn skips them, whatever visibility says.
        self._taken: set[int] = {run.lineage.slot} if run.lineage is not None else set()

    async def apply(self, step_id: str, accepted: Sequence[str], parsed: Sequence[ParsedDirective]) -> timedelta | None:
        """Apply ``parsed`` in order; returns the pause before the step's dependents, if any.

        Several delays don't add up: they are pauses requested for the same moment, so
        the longest one wins.
        """
        delay: timedelta | None = None
        for entry in parsed:
            seen = {"kind": entry.kind, "header": entry.header, "value": entry.value}
            if entry.kind in DIRECTIVE_KINDS and entry.kind not in accepted:
                self._book.emit("directive.skipped", step_id, **seen)
                self._count(entry.kind, "skipped")
                continue
            try:
                if entry.directive is None:
                    raise _Rejected(entry.error or "malformed directive")
                if (over_budget := self._budget.take(entry.kind)) is not None:
                    raise _Rejected(over_budget)
                pause = await self._apply_one(step_id, entry.directive)
            except _Rejected as rejected:
                self._book.emit("directive.rejected", step_id, **seen, reason=str(rejected))
                self._count(entry.kind, "rejected")
                continue
            self._count(entry.kind, "applied")
            if pause is not None and (delay is None or pause > delay):
                delay = pause
        return delay

    def _count(self, kind: str, outcome: str) -> None:
        """Count a directive's outcome; a kind no directive has (an upstream's invented
        ``Dispatched-Anything``) is counted as ``unknown``, so labels stay bounded."""
        if self._metrics is not None:
            self._metrics.directive(kind if kind in DIRECTIVE_KINDS else "unknown", outcome)

    async def _apply_one(self, step_id: str, directive: Directive) -> timedelta | None:
        match directive:
            case LogDirective(message=message):
                self._book.emit("log", step_id, message=message)
            case DelayDirective(duration=duration, seconds=seconds):
                self._book.emit("directive.applied", step_id, kind="delay", duration=duration)
                return timedelta(seconds=seconds)
            case SpawnDirective():
                await self._spawn(step_id, directive)
            case CancelDirective(run_id=target):
                await self._cancel(step_id, target)
            case SignalDirective(run_id=target, name=name, data=data):
                await self._signal(step_id, target, name, data)
        return None

    async def _spawn(self, step_id: str, directive: SpawnDirective) -> None:
        if not workflow.patched(SPAWN_LINEAGE_PATCH):
            # Recorded before the spawn limits: replay exactly what was done then.
            await self._spawn_unbounded(step_id, directive)
            return
        root, depth = self._root_and_depth()
        if (too_deep := limits.spawn_depth_problem(depth, root)) is not None:  # from the input alone: no I/O
            raise _Rejected(too_deep)
        key = self._lineage_key
        if key is None:  # the root's first spawn: uuid4() is replay-safe
            key = self._lineage_key = workflow.uuid4().hex
        resolved = await self._resolve(directive.workflow, lineage=(root, key))
        document, revision = self._spawnable(directive, resolved)
        while True:  # each round learns at least one more taken place: at most 99 rounds, usually one
            self._check_counts(root, resolved)
            # Visibility may lag a start of the same instant, so the places it saw taken are
            # only a guide; the places themselves are the bound. The free ones are tried in a
            # random order (workflow.random() is replay-safe): runs of one lineage spawning
            # at the same instant, with the same view, then rarely reach for the same place.
            self._taken.update(resolved.lineage_taken or ())
            free = [slot for slot in range(1, limits.MAX_LINEAGE_RUNS) if slot not in self._taken]
            workflow.random().shuffle(free)
            for slot in free[:_PLACES_PER_LOOK]:
                self._taken.add(slot)
                if await self._start_at(step_id, directive, document, revision, Lineage(
                    root=root, depth=depth + 1, key=key, slot=slot,
                )):
                    return
            if len(free) <= _PLACES_PER_LOOK:
                break
            # Every place tried was taken: the view is stale, the lineage busy or full. A fresh
            # look costs one activity, where trying every place it listed could cost 99 starts.
            resolved = await self._resolve(directive.workflow, lineage=(root, key))
        raise _Rejected(limits.lineage_full_problem(limits.MAX_LINEAGE_RUNS, root))

    def _check_counts(self, root: str, resolved: ResolvedWorkflow) -> None:
        """Reject the spawn when the look-up's counts say the lineage or the project is full."""
        cap = resolved.max_running_spawns
        over = limits.spawn_count_problem(
            root=root,
            spawned=max(resolved.lineage_spawned or 0, len(self._taken)),
            project=self._run.project,
            running=resolved.running_spawns or 0,
            max_running=cap if cap is not None else limits.DEFAULT_MAX_RUNNING_SPAWNS,
        )
        if over is not None:
            raise _Rejected(over)

    async def _start_at(
        self, step_id: str, directive: SpawnDirective, document: Document, revision: int, lineage: Lineage
    ) -> bool:
        """Start the child at ``lineage.slot``; False when another run holds that place."""
        child = RunInput(
            run_id=lineage_run_id(lineage.key, lineage.slot),
            workflow=document.name,
            revision=revision,
            document=document,
            trigger=TriggerData(body=directive.input),
            project=self._run.project,
            lineage=lineage,
        )
        try:
            await self._start_child(step_id, child, document.version, lineage)
        except WorkflowAlreadyStartedError:
            return False  # another run of the lineage took this place first (or took it and closed)
        except FailureError as error:  # e.g. the server refused the start
            raise _Rejected(f"could not start workflow {directive.workflow!r}: {error.message}") from None
        self._book.emit(
            "directive.applied", step_id, kind="spawn", workflow=child.workflow, revision=revision, run_id=child.run_id
        )
        return True

    def _root_and_depth(self) -> tuple[str, int]:
        """This run's root (itself when nobody spawned it) and its depth (0 for a root)."""
        lineage = self._run.lineage
        return (self._run.run_id, 0) if lineage is None else (lineage.root, lineage.depth)

    @staticmethod
    def _spawnable(directive: SpawnDirective, resolved: ResolvedWorkflow) -> tuple[Document, int]:
        """The document and revision to spawn, or the reason it can't be."""
        document, revision = resolved.document, resolved.revision
        if document is None or revision is None:
            raise _Rejected(f"unknown workflow {directive.workflow!r}: it is not registered")
        if resolved.pending_secrets:  # as a trigger would be refused: the child could only fail
            pending = ", ".join(resolved.pending_secrets)
            raise _Rejected(
                f"{SECRETS_PENDING}: workflow {directive.workflow!r} uses secrets not set in this project: {pending}"
            )
        return document, revision

    async def _start_child(self, step_id: str, child: RunInput, version: int, lineage: Lineage) -> None:
        """Start ``child`` detached at its lineage place.

        REJECT_DUPLICATE: a place stays taken after its run closes (for the namespace's
        retention), so closed runs count towards the lineage too. The memo and the search
        attributes are the ones interpreter.client gives a run it starts, plus the root
        and depth; like the id policy, they are not part of replay's command matching.
        """
        await workflow.start_child_workflow(
            WORKFLOW_TYPE,
            child,
            id=child.run_id,
            task_queue=workflow.info().task_queue,
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            memo={
                "workflow": child.workflow, "revision": child.revision, "version": version, PROJECT_MEMO: child.project,
                ROOT_MEMO: lineage.root, DEPTH_MEMO: lineage.depth,
            },
            search_attributes=TypedSearchAttributes([
                SearchAttributePair(WORKFLOW_NAME_ATTR, child.workflow),
                SearchAttributePair(REVISION_ATTR, child.revision),
                SearchAttributePair(PROJECT_ATTR, child.project),
                SearchAttributePair(ROOT_ATTR, lineage.root),
            ]),
            static_summary=f"{child.workflow} r{child.revision} (spawned by {self._run.run_id} {step_id})",
        )

    async def _spawn_unbounded(self, step_id: str, directive: SpawnDirective) -> None:
        """The spawn as runs recorded before :data:`SPAWN_LINEAGE_PATCH` made it: no limits
        across runs, a random child id, no lineage. Kept for their replay only."""
        resolved = await self._resolve(directive.workflow)
        document, revision = self._spawnable(directive, resolved)
        project = self._run.project
        child_id = mint_run_id(workflow.uuid4().hex)  # uuid4() is replay-safe
        child = RunInput(
            run_id=child_id,
            workflow=document.name,
            revision=revision,
            document=document,
            trigger=TriggerData(body=directive.input),
            project=project,
        )
        try:
            await workflow.start_child_workflow(
                WORKFLOW_TYPE,
                child,
                id=child_id,
                task_queue=workflow.info().task_queue,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                # The same labels interpreter.client gives a run it starts. The child
                # start's memo and attributes are not part of replay's command matching
                # (type and id are), so runs that spawned before projects still replay.
                memo={
                    "workflow": child.workflow, "revision": revision, "version": document.version, PROJECT_MEMO: project,
                },
                search_attributes=TypedSearchAttributes([
                    SearchAttributePair(WORKFLOW_NAME_ATTR, child.workflow),
                    SearchAttributePair(REVISION_ATTR, revision),
                    SearchAttributePair(PROJECT_ATTR, project),
                ]),
                static_summary=f"{child.workflow} r{revision} (spawned by {self._run.run_id} {step_id})",
            )
        except FailureError as error:  # e.g. the server refused the start
            raise _Rejected(f"could not start workflow {directive.workflow!r}: {error.message}") from None
        # Detached: the parent never awaits the child's result (parent close policy abandon).
        self._book.emit(
            "directive.applied", step_id, kind="spawn", workflow=child.workflow, revision=revision, run_id=child_id
        )

    async def _resolve(self, name: str, *, lineage: tuple[str, str] | None = None) -> ResolvedWorkflow:
        """The current revision of ``name`` in this run's project; with ``lineage`` (root,
        key), also what the spawn limits read (one activity either way: the command runs
        recorded before the limits have)."""
        root, key = lineage if lineage is not None else (None, None)
        lookup = WorkflowLookup(name=name, project=self._run.project, lineage_root=root, lineage_key=key)
        return await _look_up(RESOLVE_WORKFLOW_ACTIVITY, lookup, ResolvedWorkflow, f"workflow {name!r}")

    async def _look_up_run(self, target: str) -> RunOpen:
        """Ask outside the workflow whether ``target`` is open, and whose it is: Temporal
        silently accepts cancelling a closed run, and only the run knows its project."""
        return await _look_up(RUN_IS_OPEN_ACTIVITY, RunLookup(run_id=target), RunOpen, f"run {target!r}")

    async def _cancel(self, step_id: str, target: str) -> None:
        if target == self._run.run_id:
            # Temporal does not deliver an external cancel to the requesting run itself (the
            # request never resolves), and a step stopping its own run is a failure to report.
            raise _Rejected("a run cannot cancel itself; answer with an error status to fail the step")
        # Runs from before projects recorded this same look-up; its answer then had no
        # project, which reads as the default one they all belonged to.
        if not may_reach(self._run.project, await self._look_up_run(target)):
            # missing, closed or another project's: one reason
            raise _Rejected(f"could not cancel run {target!r}: {_NO_SUCH_RUN}")
        try:
            await workflow.get_external_workflow_handle(target).cancel()
        except FailureError as error:
            raise _Rejected(f"could not cancel run {target!r}: {_missing(error)}") from None
        self._book.emit("directive.applied", step_id, kind="cancel", run_id=target)

    async def _signal(self, step_id: str, target: str, name: str, data: Any) -> None:
        if target == self._run.run_id:
            # Straight into our own inbox: the same effect as a signal from outside, without
            # a round trip through the server that would race the steps still running.
            self._book.receive(name, data)
            self._book.emit("directive.applied", step_id, kind="signal", run_id=target, name=name)
            return
        if workflow.patched(TARGET_PROJECT_PATCH):
            # The look-up is an activity, i.e. a command the runs recorded before this
            # patch do not have; they replay the branch below instead.
            target_run = await self._look_up_run(target)
        else:
            # Recorded before projects: no look-up was made, every run was the default
            # project's, and the external signal itself found out whether the target was open.
            target_run = RunOpen(open=True, project=DEFAULT_PROJECT)
        if not may_reach(self._run.project, target_run):
            # missing, closed or another project's: one reason
            raise _Rejected(f"could not signal run {target!r}: {_NO_SUCH_RUN}")
        try:
            await workflow.get_external_workflow_handle(target).signal(name, data)
        except FailureError as error:
            raise _Rejected(f"could not signal run {target!r}: {_missing(error)}") from None
        self._book.emit("directive.applied", step_id, kind="signal", run_id=target, name=name)


async def _look_up(activity: str, argument: Any, result_type: type[_Answer], what: str) -> _Answer:
    """Run a catalog look-up activity; a failed look-up rejects the directive."""
    try:
        answer = await workflow.execute_activity(
            activity,
            argument,
            result_type=result_type,
            start_to_close_timeout=_LOOKUP_TIMEOUT,
            retry_policy=_LOOKUP_RETRY,
            summary=f"look up {what}",
        )
    except ActivityError as error:
        cause = error.cause.message if isinstance(error.cause, FailureError) else error.message
        raise _Rejected(f"could not look up {what}: {cause}") from None
    return cast(_Answer, answer)  # result_type made the converter build an _Answer


def _missing(error: FailureError) -> str:
    """A readable reason for a failed external cancel/signal (the usual one: no such open run)."""
    message = error.message or type(error).__name__
    if "not found" in message.lower() or "notfound" in message.lower():
        return _NO_SUCH_RUN
    return message
