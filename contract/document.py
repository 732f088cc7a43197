"""The workflow document model: what a YAML or JSON document may say, as pydantic models.

Shape only. Whether the document makes sense as a whole (``after`` names real steps,
no cycles, templates name ancestors, expressions parse) is checked by
:mod:`interpreter.validation`, which also attaches line and column to every problem.
Every model forbids unknown fields so a typo (``timout:``) is an error, not a no-op.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from contract.durations import parse_duration
from contract.identifiers import STEP_ID_RULE, signal_name_problem, slug_problem, step_id_problem

DirectiveKind = Literal["log", "delay", "spawn", "cancel", "signal"]
DIRECTIVE_KINDS: tuple[str, ...] = ("log", "delay", "spawn", "cancel", "signal")
HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def _check_duration(value: str) -> str:
    parse_duration(value)  # raises DurationError (a ValueError) with a readable message
    return value


def _check_positive_duration(value: str) -> str:
    if parse_duration(value).total_seconds() <= 0:
        raise ValueError(f"duration {value!r} must be greater than zero")
    return value


def _check_signal_name(value: str) -> str:
    problem = signal_name_problem(value)
    if problem is not None:
        raise ValueError(f"invalid signal name {value!r}: {problem}")
    return value


Duration = Annotated[str, AfterValidator(_check_duration), AfterValidator(_check_positive_duration)]
SignalName = Annotated[str, AfterValidator(_check_signal_name)]
HeaderValue = str | int | float | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RetryPolicy(_Strict):
    """How a request step retries transport errors, 408, 429 and 5xx."""

    max_attempts: int = Field(3, ge=1, le=100)
    initial_interval: Duration = "1s"
    backoff: float = Field(2.0, ge=1.0, le=100.0)
    max_interval: Duration = "30s"


class RequestAction(_Strict):
    """An HTTP call, run as a Temporal activity."""

    method: HttpMethod = "GET"
    url: str
    headers: dict[str, HeaderValue] = Field(default_factory=dict)
    query: dict[str, Any] = Field(default_factory=dict)
    body: Any = None
    timeout: Duration = "30s"
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    follow_redirects: bool = False
    local: bool = Field(
        False,
        description=(
            "run the call as a Temporal local activity, inside the workflow worker: much less "
            "latency for short calls, but a worker crash repeats the attempt (same Idempotency-Key) "
            "and retries are not visible as separate history events (docs/engine.md)"
        ),
    )

    @field_validator("method", mode="before")
    @classmethod
    def _upper_method(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class WaitAction(_Strict):
    """Pause until one of the named signals arrives (or the timeout fires)."""

    signal: SignalName | None = None
    any: list[SignalName] | None = Field(default=None, min_length=1)
    timeout: Duration | None = None
    on_timeout: Literal["fail", "skip", "continue"] = "fail"

    @model_validator(mode="after")
    def _one_source(self) -> WaitAction:
        if (self.signal is None) == (self.any is None):
            raise ValueError("a wait needs exactly one of 'signal' or 'any'")
        return self

    @property
    def signal_names(self) -> list[str]:
        """Every signal name that wakes this wait."""
        return [self.signal] if self.signal is not None else list(self.any or [])


class RespondAction(_Strict):
    """Publish the synchronous HTTP answer; the DAG keeps going afterwards."""

    status: int = Field(200, ge=100, le=599)
    content_type: str = "application/json"
    headers: dict[str, HeaderValue] = Field(default_factory=dict)
    body: Any = None
    body_from: str | None = None

    @model_validator(mode="after")
    def _one_body(self) -> RespondAction:
        if self.body is not None and self.body_from is not None:
            raise ValueError("give either 'body' or 'body_from', not both")
        return self

    @property
    def has_explicit_body(self) -> bool:
        """True when the document itself set ``body`` (even to null) or ``body_from``.

        Only meaningful on a document as the author wrote it: :class:`Document` fills
        ``body_from`` for a body-less respond step, so a validated document always has one.
        """
        return "body" in self.model_fields_set or self.body_from is not None


ActionKind = Literal["request", "wait", "respond"]
ACTION_KINDS: tuple[ActionKind, ...] = ("request", "wait", "respond")


class Step(_Strict):
    """One node of the DAG: exactly one action plus the common fields."""

    after: list[str] = Field(default_factory=list)
    when: str | None = None
    directives: list[DirectiveKind] = Field(default_factory=list)
    request: RequestAction | None = None
    wait: WaitAction | None = None
    respond: RespondAction | None = None

    @model_validator(mode="after")
    def _exactly_one_action(self) -> Step:
        present = [kind for kind in ACTION_KINDS if getattr(self, kind) is not None]
        if len(present) != 1:
            found = ", ".join(present) if present else "none"
            raise ValueError(f"a step needs exactly one action of request, wait, respond (found: {found})")
        if self.directives and self.request is None:
            raise ValueError("'directives' is only allowed on request steps")
        return self

    @property
    def kind(self) -> ActionKind:
        """Which action this step performs."""
        for kind in ACTION_KINDS:
            if getattr(self, kind) is not None:
                return kind
        raise AssertionError("validated step without an action")


# Where each kind of step keeps what a body-less respond step sends on.
_OUTPUT_PATH: dict[ActionKind, str] = {"request": "response.body", "wait": "signal.body", "respond": "body"}


class Trigger(_Strict):
    """How runs of the workflow start. Only HTTP triggers exist today."""

    type: Literal["http"]


class ResponseBlock(_Strict):
    """The document-level synchronous answer, published once the DAG is done."""

    status: int = Field(200, ge=100, le=599)
    content_type: str = "application/json"
    headers: dict[str, HeaderValue] = Field(default_factory=dict)
    body: Any = None


class Document(_Strict):
    """A whole workflow document."""

    model_config = ConfigDict(extra="forbid", title="Dispatched workflow document")

    name: str = Field(description="slug: lowercase letters, digits, '-', '_'")
    version: int = Field(1, ge=0, description="the author's own version number")
    triggers: list[Trigger] = Field(default_factory=lambda: [Trigger(type="http")])
    steps: dict[str, Step] = Field(min_length=1)
    response: ResponseBlock | None = None

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        problem = slug_problem(value)
        if problem is not None:
            raise ValueError(f"invalid name {value!r}: {problem}")
        return value

    @model_validator(mode="after")
    def _default_respond_bodies(self) -> Document:
        """A respond step with no ``body``/``body_from`` sends its one upstream's output.

        Written out as an explicit ``body_from`` so the document means the same after the
        JSON round trip into the workflow (field presence does not survive it). With
        zero or several upstreams there is no default: validation reports it.
        """
        for step in self.steps.values():
            action = step.respond
            if action is None or action.has_explicit_body or len(step.after) != 1:
                continue
            upstream_id = step.after[0]
            upstream = self.steps.get(upstream_id)
            if upstream is not None:
                action.body_from = f"steps.{upstream_id}.{_OUTPUT_PATH[upstream.kind]}"
        return self

    @field_validator("steps")
    @classmethod
    def _step_ids(cls, steps: dict[str, Step]) -> dict[str, Step]:
        bad = [sid for sid in steps if step_id_problem(sid) is not None]
        if bad:
            raise ValueError(f"invalid step id(s) {', '.join(map(repr, bad))}: {STEP_ID_RULE}")
        return steps
