"""Response-header directives as the request activity hands them to the workflow (SPEC §2).

The activity parses an upstream's ``Dispatched-*`` headers (:mod:`activities.directives`)
into these models; the workflow applies them (:mod:`interpreter.directive_effects`).
They cross a Temporal boundary, so their shape is part of recorded histories.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Directive(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LogDirective(_Directive):
    """``Dispatched-Log``: one line for the run's events."""

    kind: Literal["log"] = "log"
    message: str


class DelayDirective(_Directive):
    """``Dispatched-Delay``: a durable pause before the step's dependents start."""

    kind: Literal["delay"] = "delay"
    duration: str
    seconds: float


class SpawnDirective(_Directive):
    """``Dispatched-Spawn``: a detached child run of a registered workflow."""

    kind: Literal["spawn"] = "spawn"
    workflow: str
    input: Any = None
    mode: Literal["detach"] = "detach"


class CancelDirective(_Directive):
    """``Dispatched-Cancel``: request cancellation of another run."""

    kind: Literal["cancel"] = "cancel"
    run_id: str


class SignalDirective(_Directive):
    """``Dispatched-Signal``: send a user signal, with an optional JSON payload, to a run."""

    kind: Literal["signal"] = "signal"
    run_id: str
    name: str
    data: Any = None


Directive = Annotated[
    LogDirective | DelayDirective | SpawnDirective | CancelDirective | SignalDirective,
    Field(discriminator="kind"),
]


class ParsedDirective(BaseModel):
    """One ``Dispatched-*`` response header, parsed (``directive``) or not (``error``)."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    header: str
    value: str
    directive: Directive | None = None
    error: str | None = None
