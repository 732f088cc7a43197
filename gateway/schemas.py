"""Response models of the HTTP API: what each route answers, as OpenAPI shows it.

Runs reuse the engine's own models (:class:`~contract.messages.RunState`,
:class:`~contract.messages.Event`), so the API cannot drift from the engine.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    code: str = Field(examples=["run_not_found"])
    message: str
    problems: list[dict[str, Any]] | None = Field(None, description="invalid_document only: every located problem")


class ErrorResponse(BaseModel):
    """Every error answer: ``{"error": {"code", "message"}}``."""

    error: ErrorDetail


class RunAccepted(BaseModel):
    """A run that was started (or found) but has not answered yet."""

    run_id: str = Field(examples=["run_0123456789abcdef0123456789"])


class SignalAccepted(BaseModel):
    run_id: str
    signal: str


class CancelAccepted(BaseModel):
    run_id: str
    status: Literal["cancel_requested"] = "cancel_requested"


class WorkflowRegistered(BaseModel):
    """The answer to ``PUT /api/workflows/{name}``; ``created`` is False when the source
    was identical to the current revision (nothing new was stored)."""

    name: str
    revision: int
    version: int
    created: bool
    warnings: list[dict[str, Any]] = Field(default_factory=list)


class WorkflowSummary(BaseModel):
    name: str
    revision: int
    version: int
    updated_at: datetime


class RevisionSummary(BaseModel):
    revision: int
    version: int
    format: str
    created_at: datetime


class WorkflowDetail(BaseModel):
    """The current revision with its source text, and every revision's number."""

    name: str
    revision: int
    version: int
    format: str
    source: str
    created_at: datetime
    revisions: list[RevisionSummary]


class WorkflowDeleted(BaseModel):
    name: str
    deleted: Literal[True] = True


class SecretSummary(BaseModel):
    """A secret as the API shows it: never its value."""

    name: str
    updated_at: datetime


class SecretDeleted(BaseModel):
    name: str
    deleted: Literal[True] = True


class Health(BaseModel):
    status: Literal["ok"] = "ok"
