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
    was identical to the current revision (nothing new was stored). ``pending_secrets``
    names the secrets the document uses that the project has not set: it is accepted,
    but triggers are refused until they are set."""

    name: str
    revision: int
    version: int
    created: bool
    warnings: list[dict[str, Any]] = Field(default_factory=list)
    pending_secrets: list[str] = Field(default_factory=list)


class SecretUse(BaseModel):
    """A secret a document uses, and whether the project has set it."""

    name: str
    status: Literal["set", "pending"]


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
    secrets: list[SecretUse] = Field(default_factory=list, description="the secrets the current revision uses")
    graph: WorkflowGraph = Field(description="the current revision's DAG")


class WorkflowDeleted(BaseModel):
    name: str
    deleted: Literal[True] = True


class SecretSummary(BaseModel):
    """A secret as the API shows it: never its value."""

    name: str
    updated_at: datetime


class SecretListed(BaseModel):
    """A secret in the list: set, or pending (a current workflow uses it, nobody set it)."""

    name: str
    status: Literal["set", "pending"]
    used_by: list[str] = Field(description="the project's current workflows that use it")
    updated_at: datetime | None = Field(description="when it was last set; null while pending")


class SecretDeleted(BaseModel):
    name: str
    deleted: Literal[True] = True


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class ProjectCreate(BaseModel):
    """``POST /api/projects``: the new project's slug."""

    name: str = Field(examples=["shop"])


class ProjectSummary(BaseModel):
    name: str
    created_at: datetime


class TokenCreate(BaseModel):
    """``POST /api/tokens``: a token of the caller's project."""

    role: str = Field(examples=["run"], description="read, run, deploy or admin")
    label: str = Field("", max_length=200, description="what the token is for")


class TokenSummary(BaseModel):
    """A token as the list shows it: never its value."""

    id: str
    role: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(BaseModel):
    """The one answer that carries the token's value: keep it, it is not shown again."""

    id: str
    token: str
    role: str
    label: str


# The marketplace (SPEC §7). A template carries the names of the secrets its document
# uses and never a value, in either direction.


class TemplateSummary(BaseModel):
    """A template as the search lists it."""

    id: str = Field(examples=["@dispatched/async-checkout"], description="@owner/slug")
    title: str
    description: str
    tags: list[str]
    secrets: list[str] = Field(description="the names of the secrets its document uses (never values)")
    publisher: str = Field(description="the owner: the publishing project, or 'dispatched' for the built-ins")
    published_at: datetime


class TemplateDetail(TemplateSummary):
    """A template with its document as published."""

    format: str = Field(description="yaml or json: how the document is written")
    document: str = Field(description="the document's source text, as published")


class TemplatePublish(BaseModel):
    """``POST /api/marketplace``: publish the current revision of one of the project's workflows."""

    model_config = {"extra": "forbid"}

    workflow: str = Field(examples=["async-checkout"])
    slug: str | None = Field(None, description="default: the workflow's name")
    title: str | None = Field(None, max_length=200, description="default: the slug")
    description: str = Field("", max_length=4000)
    tags: list[str] = Field(default_factory=list, max_length=20)


class TemplatePublished(TemplateSummary):
    replaced: bool = Field(description="true when a template with this slug was replaced")


class TemplateUse(BaseModel):
    """``POST /api/marketplace/@owner/slug/use``: the body may be empty."""

    model_config = {"extra": "forbid"}

    name: str | None = Field(None, description="the workflow to create or update; default: the slug")


class TemplateUsed(BaseModel):
    """A template copied into the project: the workflow, and the secrets it needs."""

    workflow: str
    revision: int
    template: str = Field(description="the template's id, @owner/slug")
    created: bool = Field(description="false when the current revision was this very document (nothing stored)")
    new_revision: bool = Field(description="true when the workflow existed and this added a revision to it")
    renamed: bool = Field(description="true when the document's name was rewritten (then it is stored as JSON)")
    secrets: list[SecretUse] = Field(description="every secret the document uses; 'pending' until the project sets it")


class TemplateWithdrawn(BaseModel):
    withdrawn: str = Field(examples=["@shop/checkout"])


# The graph of a revision: what a client needs to draw the DAG (the console does),
# computed from the compiled document, so it is exactly the plan a run follows.


class GraphStep(BaseModel):
    """One step of the DAG."""

    id: str
    kind: Literal["request", "wait", "respond"]
    after: list[str] = Field(description="the steps it waits for: one edge from each")
    when: str | None = Field(description="its guard, as the document writes it; null when it has none")
    signals: list[str] = Field(description="the signals a wait step waits for (any one of them); empty otherwise")
    layer: int = Field(description="0 for a step without `after`, else one more than the deepest step it waits for")


class WorkflowGraph(BaseModel):
    """The steps in run order (topological; document order among steps ready together)."""

    steps: list[GraphStep]


class WorkflowRevisionDetail(BaseModel):
    """One revision: its source and its graph (a run page draws the revision the run started with)."""

    name: str
    revision: int
    version: int
    format: str
    source: str
    created_at: datetime
    graph: WorkflowGraph
