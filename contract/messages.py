"""The data that crosses Temporal boundaries: workflow input, activity input/output,
query answers and events. One pydantic model per boundary, so the pydantic data
converter checks every payload on both sides and the shapes are written down once.

No Temporal imports here: the gateway and the tests read these models too.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from contract.directives import ParsedDirective
from contract.document import Document
from contract.identifiers import mint_run_id
from contract.names import DEFAULT_PROJECT

StepStatus = Literal["pending", "running", "waiting", "completed", "skipped", "failed", "cancelled"]
RunStatus = Literal["running", "completed", "failed", "cancelled", "timed_out"]


class TriggerData(BaseModel):
    """What started the run: the HTTP trigger's JSON body, headers and query."""

    body: Any = None
    headers: dict[str, str] = Field(default_factory=dict)
    query: dict[str, str] = Field(default_factory=dict)


def lineage_run_id(key: str, slot: int) -> str:
    """The run id of place ``slot`` in the lineage whose key is ``key``.

    A pure function of both, so two runs of one lineage that spawn at the same instant
    compute the same id for the same place and Temporal starts only one of them (the
    other's start fails as already started and it tries another place), and the resolve
    look-up can tell which places visibility has seen taken. The key is random (the root's
    ``workflow.uuid4()``), so the ids are as unguessable as any run id.
    """
    return mint_run_id(hashlib.sha256(f"{key}:{slot}".encode()).hexdigest())


class Lineage(BaseModel):
    """Where a spawned run sits in its spawn chain (``Dispatched-Spawn``, issue 13).

    ``root`` is the run id of the run at the top of the chain (a run nobody spawned: it
    has no lineage itself), ``depth`` how many spawns it is from there (1 for the root's
    own children). ``key`` is random, minted by the root at its first spawn and handed
    down: the lineage's run ids derive from it and ``slot``, the place (1 to 99) a run
    holds in its lineage, so Temporal's unique workflow ids bound the lineage however
    many of its runs spawn at once, while an upstream that knows the root's id still
    cannot tell its children's.
    """

    root: str
    depth: int = Field(ge=1)
    key: str
    slot: int = Field(ge=1)


class RunInput(BaseModel):
    """Input of the generic workflow. The document travels with the run, so a run keeps
    the revision it started with whatever is registered later.

    ``lineage`` is set on spawned runs only; None (every run a trigger starts, and every
    input recorded before lineage existed) means the run is the root of its own lineage.
    """

    run_id: str
    workflow: str
    revision: int
    document: Document
    trigger: TriggerData = Field(default_factory=TriggerData)
    project: str = DEFAULT_PROJECT
    lineage: Lineage | None = None


class SecretRef(BaseModel):
    """A ``{{ secrets.NAME }}`` reference left for the activity to resolve."""

    secret: str


class SecretSlot(BaseModel):
    """Where a string that names secrets goes in the outgoing request.

    ``path`` points into the request (``["url"]``, ``["headers", "authorization"]``,
    ``["body", "auth", 0]``); ``parts`` is the string with its non-secret templates
    already rendered by the workflow and each secret left as a :class:`SecretRef`.
    Only the workflow writes slots, from the document's own template strings, so data
    from a trigger or an upstream can never name a secret to be filled in.
    """

    path: list[str | int]
    parts: list[str | SecretRef]


class RequestInput(BaseModel):
    """One HTTP call of a request step, templates rendered except secrets.

    ``project`` is the run's: the activity fills the secret slots from that project's
    secrets. Inputs recorded before projects lack it and read the default project's.
    """

    run_id: str
    workflow: str
    step_id: str
    method: str
    url: str
    headers: dict[str, str] = Field(default_factory=dict)
    query: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    has_body: bool = False
    secret_slots: list[SecretSlot] = Field(default_factory=list)
    timeout_seconds: float = 30.0
    follow_redirects: bool = False
    project: str = DEFAULT_PROJECT


class HttpResponse(BaseModel):
    """``steps.<id>.response``: status, headers (lower-case names) and parsed body."""

    status: int
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None


class RequestOutput(BaseModel):
    """What a request activity hands back to the workflow."""

    response: HttpResponse
    attempt: int = 1
    directives: list[ParsedDirective] = Field(default_factory=list)


class ErrorInfo(BaseModel):
    """A failure as users see it: a stable ``code`` and a readable ``message``."""

    code: str
    message: str


class StepState(BaseModel):
    status: StepStatus = "pending"
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = 0
    error: ErrorInfo | None = None


class RunState(BaseModel):
    """The run as ``GET /api/runs/{id}`` shows it: states, never step output."""

    run_id: str
    workflow: str
    version: int
    revision: int
    status: RunStatus
    error: ErrorInfo | None = None
    started_at: datetime | None = None
    closed_at: datetime | None = None
    steps: dict[str, StepState] = Field(default_factory=dict)


class Event(BaseModel):
    """One line of the run's event log."""

    seq: int
    at: datetime
    type: str
    step: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class EventsPage(BaseModel):
    """Events from ``after`` on; ``closed`` says no more will come."""

    events: list[Event]
    closed: bool = False


class PublishedResponse(BaseModel):
    """The synchronous HTTP answer of a run: from a respond step, the ``response``
    block, or (neither given) the default ``{run_id, status}`` once the run completes."""

    status: int = 200
    content_type: str = "application/json"
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    source: str = "response"


class RunResult(BaseModel):
    """What a completed run returns: its final state and the answer it published."""

    state: RunState
    response: PublishedResponse | None = None


# -- the directives' look-up activities (activities.catalog) ------------------
class WorkflowLookup(BaseModel):
    """Input of the resolve activity: a workflow name in the spawning run's project.

    ``lineage_root`` and ``lineage_key``, when set, are the spawning run's lineage (its
    root, and the key its places' run ids derive from): the answer then also says (when
    the workflow is found) what the spawn limits need. Look-ups recorded before the spawn
    limits lack them.
    """

    name: str
    project: str = DEFAULT_PROJECT
    lineage_root: str | None = None
    lineage_key: str | None = None


class ResolvedWorkflow(BaseModel):
    """Output of the resolve activity: the document and revision, or neither when unknown.

    ``pending_secrets`` names the secrets the document uses that its project has not set
    (sorted); a spawn of such a workflow is rejected, as a trigger of it is refused.
    Answers recorded before the field existed read as none pending.

    With a lineage in the look-up, ``lineage_spawned`` counts the spawned runs of that
    lineage (any status; the root not included), ``lineage_taken`` lists the places
    (sorted) those runs hold, ``running_spawns`` counts the spawned runs of the project
    still running, and ``max_running_spawns`` is the worker's cap on those
    (``DISPATCHED_MAX_RUNNING_SPAWNS``). Temporal's visibility answers them, so they may
    lag a spawn of the same instant; None when not asked (answers recorded before).
    """

    document: Document | None = None
    revision: int | None = None
    pending_secrets: list[str] = Field(default_factory=list)
    lineage_spawned: int | None = None
    lineage_taken: list[int] | None = None
    running_spawns: int | None = None
    max_running_spawns: int | None = None


class RunLookup(BaseModel):
    """Input of the run look-up: the run id (the Temporal workflow id)."""

    run_id: str


class RunOpen(BaseModel):
    """Output of the run look-up: false when the run does not exist or has closed.

    ``project`` is the run's (its ``DispatchedProject`` search attribute, else its memo,
    else the default project, as for every run from before projects). The directive
    compares it with its own run's project; answers recorded before the field existed
    read as the default project, which every run then belonged to.
    """

    open: bool
    project: str = DEFAULT_PROJECT
