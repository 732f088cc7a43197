"""Compile a valid document into the plan the workflow runs: typed steps, parsed once.

Validation (:mod:`interpreter.validation`) decides whether a document is acceptable;
this stage turns an accepted one into :class:`CompiledWorkflow`, which registration
(``load_document``), the gateway's revision cache and the workflow all share:

* one frozen class per step kind — :class:`RequestStep`, :class:`WaitStep`,
  :class:`RespondStep` — so the workflow dispatches with ``match`` and never asserts
  that an optional action is there;
* durations as ``timedelta``, retry policies as :class:`RetryValues`;
* ``when`` and ``body_from`` parsed into expressions, and every templated string of an
  action parsed into a :class:`~interpreter.expressions.Template` (plain strings stay
  strings), so a run renders without parsing;
* the graph planned (:class:`~interpreter.graph.Plan`: order, ancestors, dependents).

Compiling is pure and deterministic (no Temporal, no I/O, no clock), so the workflow may
compile the document its run carries on every replay and get the same plan.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any, Literal

from contract.document import Document, RequestAction, RespondAction, ResponseBlock, Step, WaitAction
from contract.document import RetryPolicy as RetrySpec
from contract.durations import parse_duration
from contract.json_values import JSON_SCALARS
from interpreter.expressions import Expression, Template, contains_template, parse_expression, parse_template
from interpreter.graph import Plan, plan_graph


@dataclass(frozen=True)
class RetryValues:
    """A request step's retry policy with its durations parsed."""

    max_attempts: int
    initial_interval: timedelta
    backoff: float
    max_interval: timedelta


@dataclass(frozen=True)
class StepBase:
    """What every step has: its id, the steps it waits for and its guard."""

    id: str
    after: tuple[str, ...]
    when: Expression | None


@dataclass(frozen=True)
class RequestStep(StepBase):
    """An HTTP call (the request activity). ``url``, ``headers``, ``query`` and ``body``
    hold parsed templates where the document had them (see :func:`compile_value`)."""

    method: str
    url: Any
    headers: Mapping[str, Any]
    query: Mapping[str, Any]
    body: Any
    has_body: bool
    timeout: timedelta
    retry: RetryValues
    directives: tuple[str, ...]
    local: bool
    follow_redirects: bool


@dataclass(frozen=True)
class WaitStep(StepBase):
    """A pause until one of ``signals`` arrives, or ``timeout`` passes (``None``: forever)."""

    signals: tuple[str, ...]
    timeout: timedelta | None
    timeout_text: str  # as the document wrote it, for events and messages ("30m")
    on_timeout: Literal["fail", "skip", "continue"]


@dataclass(frozen=True)
class RespondStep(StepBase):
    """The synchronous answer, published without an activity; ``body_from`` wins over ``body``."""

    status: int
    content_type: str
    headers: Mapping[str, Any]
    body: Any
    body_from: Expression | None


CompiledStep = RequestStep | WaitStep | RespondStep


@dataclass(frozen=True)
class Answer:
    """The document's ``response`` block, its templates parsed."""

    status: int
    content_type: str
    headers: Mapping[str, Any]
    body: Any


@dataclass(frozen=True)
class CompiledWorkflow:
    """Everything a run of one document needs, computed once.

    Attributes:
        document: the validated model (what travels in a run's input).
        steps: each step's compiled form, in document order.
        graph: run order, ancestors and dependents.
        response: the ``response`` block, if the document has one.
        secrets: the names of the secrets its request steps use, sorted (registration
            lists the pending ones; a trigger refuses to start while one is pending).
    """

    document: Document
    steps: Mapping[str, CompiledStep]
    graph: Plan
    response: Answer | None
    secrets: tuple[str, ...] = ()

    def kind(self, step_id: str) -> str:
        """``request``, ``wait`` or ``respond``: the step's kind as events name it."""
        return _KIND[type(self.steps[step_id])]


_KIND: dict[type, str] = {RequestStep: "request", WaitStep: "wait", RespondStep: "respond"}


def compile_value(value: Any) -> Any:
    """``value`` with every templated string replaced by its parsed ``Template``.

    Mappings and lists are copied; other values (numbers, plain strings) are kept.
    :func:`~interpreter.expressions.render_value` renders the result.

    Raises:
        ExpressionError: for a malformed template (validation reports these first).
    """
    return _compile(value, [])


def _compile(value: Any, found: list[Template]) -> Any:
    """:func:`compile_value`, appending every template it parses to ``found`` (the
    document's secrets are read from them, without walking the values again).

    JSON values are exactly ``dict``, ``list``, ``str`` and scalars, so those are tested
    by type first: a ``Mapping`` (ABC) check costs several times more, and compiling a
    1,000-step document visits every value of every action. Other mappings and
    sequences take the general branches.
    """
    kind = type(value)
    if kind in JSON_SCALARS:
        return value
    if isinstance(value, str):
        if not contains_template(value):
            return value
        template = parse_template(value)
        found.append(template)
        return template
    if kind is dict or (kind is not list and isinstance(value, Mapping)):
        return {key: _compile(item, found) for key, item in value.items()} if value else {}
    if isinstance(value, list | tuple):
        return [_compile(item, found) for item in value]
    return value


def _expression(text: str | None) -> Expression | None:
    return parse_expression(text) if text is not None else None


def _retry(retry: RetrySpec) -> RetryValues:
    return _retry_values(retry.max_attempts, retry.initial_interval, retry.backoff, retry.max_interval)


@lru_cache(maxsize=256)
def _retry_values(max_attempts: int, initial_interval: str, backoff: float, max_interval: str) -> RetryValues:
    """One shared (frozen) :class:`RetryValues` per distinct policy: nearly every step of a
    document has the default one, and building it was a fifth of compiling a step."""
    return RetryValues(
        max_attempts=max_attempts,
        initial_interval=parse_duration(initial_interval),
        backoff=backoff,
        max_interval=parse_duration(max_interval),
    )


# The common fields (id, after, when) are passed one by one, not merged in from a dict:
# ``**common`` doubled the cost of building a step.


def _request(
    step_id: str, after: tuple[str, ...], when: Expression | None, step: Step, action: RequestAction,
    found: list[Template],
) -> RequestStep:
    return RequestStep(
        id=step_id,
        after=after,
        when=when,
        method=action.method,
        url=_compile(action.url, found),
        headers=_compile(action.headers, found),
        query=_compile(action.query, found),
        body=_compile(action.body, found),
        has_body="body" in action.model_fields_set and action.body is not None,
        timeout=parse_duration(action.timeout),
        retry=_retry(action.retry),
        directives=tuple(step.directives),
        local=action.local,
        follow_redirects=action.follow_redirects,
    )


def _wait(step_id: str, after: tuple[str, ...], when: Expression | None, action: WaitAction) -> WaitStep:
    return WaitStep(
        id=step_id,
        after=after,
        when=when,
        signals=tuple(action.signal_names),
        timeout=parse_duration(action.timeout) if action.timeout else None,
        timeout_text=action.timeout or "",
        on_timeout=action.on_timeout,
    )


def _respond(step_id: str, after: tuple[str, ...], when: Expression | None, action: RespondAction) -> RespondStep:
    return RespondStep(
        id=step_id,
        after=after,
        when=when,
        status=action.status,
        content_type=action.content_type,
        headers=compile_value(action.headers),
        body=compile_value(action.body),
        body_from=_expression(action.body_from),
    )


def compile_step(step_id: str, step: Step, *, request_templates: list[Template] | None = None) -> CompiledStep:
    """One validated step in its typed form; a request step's templates are appended to
    ``request_templates`` when given (see :func:`secret_names`)."""
    after, when = tuple(step.after), _expression(step.when)
    if step.request is not None:
        found = request_templates if request_templates is not None else []
        return _request(step_id, after, when, step, step.request, found)
    if step.wait is not None:
        return _wait(step_id, after, when, step.wait)
    if step.respond is not None:
        return _respond(step_id, after, when, step.respond)
    raise ValueError(f"step {step_id!r} has no action")  # the model refuses such a step


def secret_names(request_templates: Iterable[Template]) -> tuple[str, ...]:
    """Every ``secrets.NAME`` the request steps' templates read (validation allows them
    nowhere else), sorted and without repeats."""
    found: set[str] = set()
    for template in request_templates:
        for path in template.references():
            if len(path) >= 2 and path[0] == "secrets" and isinstance(path[1], str):
                found.add(path[1])
    return tuple(sorted(found))


def _answer(block: ResponseBlock | None) -> Answer | None:
    if block is None:
        return None
    return Answer(block.status, block.content_type, compile_value(block.headers), compile_value(block.body))


def compile_document(document: Document, *, graph: Plan | None = None) -> CompiledWorkflow:
    """Compile a validated document; ``graph`` reuses a plan validation already made.

    Raises:
        DocumentInvalid: when the graph is broken (a document that passed validation is not).
        ExpressionError: for a malformed expression (likewise).
    """
    templates: list[Template] = []
    steps = {
        step_id: compile_step(step_id, step, request_templates=templates)
        for step_id, step in document.steps.items()
    }
    return CompiledWorkflow(
        document=document,
        steps=steps,
        graph=graph if graph is not None else plan_graph(document.steps),
        response=_answer(document.response),
        secrets=secret_names(templates),
    )
