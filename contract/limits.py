"""The run's limits: what one document or one run may ask of Temporal.

Temporal refuses, or terminates, a workflow that goes past its own limits (2,000
pending activities, child workflows, signals or cancel requests per run; 51,200
history events or 50 MB of history). A terminated run would lose its events and its
answer, so Dispatched stops short of each limit and says why instead:

* ``MAX_STEPS`` = 1,000 steps per document, checked at registration. Every step may
  be in flight at once (a DAG with no ``after``), and each request step is one pending
  activity: 1,000 is half the 2,000 cap, leaving room for the directives' look-up
  activities, and about 6,000 history events for a run that goes through them all.
* ``MAX_SIGNALS`` = 1,000 signals received per run, each at most
  ``MAX_SIGNAL_BYTES`` = 256 KiB; past either, the signal is recorded as a
  ``signal.rejected`` event and not kept (the gateway refuses an oversized payload
  with 413 before it reaches Temporal).
* ``MAX_DIRECTIVE_EFFECTS`` = 500 spawns, 500 cancels and 500 signals sent by
  directives per run; past that, each is a ``directive.rejected`` event. Three times
  500 stays under Temporal's 2,000 pending cap even if none has completed.
* Spawn lineage (issue 13): a run spawned by a ``Dispatched-Spawn`` carries its root (the
  run at the top of its chain) and its depth. ``MAX_SPAWN_DEPTH`` = 8 spawns from the
  root, ``MAX_LINEAGE_RUNS`` = 100 runs per lineage (the root included, closed runs
  too), and ``DEFAULT_MAX_RUNNING_SPAWNS`` = 200 spawned runs running at once per
  project (``DISPATCHED_MAX_RUNNING_SPAWNS``); past any, the spawn is a
  ``directive.rejected`` event whose reason starts ``spawn_limit:``. The per-run budget
  above bounds one run; these bound what runs spawning runs add up to: an upstream that
  answers every call with two spawns of its own workflow otherwise grows without end.
* ``HISTORY_EVENTS`` = 40,960 and ``HISTORY_BYTES`` = 40 MiB (80 % of Temporal's
  hard limits): a run whose history reaches either fails with code ``history_limit``
  rather than being terminated by the server. Continue-as-new is not used: a run's
  in-flight steps, inbox and published answer do not carry over to a new execution
  with the same meaning.

Then the limits at the edges, where data from outside comes in (trigger and signal
bodies, upstream responses, directive headers) and where names are checked; each has a
line below saying why. Every other package imports them from here, so a limit the docs
quote is written once.

No Temporal import here: the values are plain data and the checks pure functions, so
the workflow stays deterministic and this module is tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from contract.problems import Problem

MAX_STEPS = 1_000
MAX_SIGNALS = 1_000
MAX_SIGNAL_BYTES = 256 * 1024
MAX_DIRECTIVE_EFFECTS = 500
HISTORY_EVENTS = 40_960
HISTORY_BYTES = 40 * 1024 * 1024

HISTORY_LIMIT = "history_limit"  # the run's failure code

# 8 spawns deep: the deepest chain real fan-outs need is 2 or 3 (an order spawns its
# shipments, a shipment its notifications); 8 leaves room, and ends a self-spawning loop.
MAX_SPAWN_DEPTH = 8
# Runs in one lineage, the root included: what one trigger may become through spawns. A
# hard bound (each spawned run takes one of the lineage's 99 places, a workflow id Temporal
# keeps unique), not a count that concurrent spawns could all read as "room left".
# Changing it changes which places a spawn tries, so runs in flight would not replay.
MAX_LINEAGE_RUNS = 100
# Spawned runs running at once in one project, unless DISPATCHED_MAX_RUNNING_SPAWNS says
# otherwise: a load guard across lineages (each run holds a worker's attention and history
# space). Counted from Temporal's visibility, so a burst of spawns in the same instant may
# pass it by the spawns in flight; the lineage limit is the hard bound.
DEFAULT_MAX_RUNNING_SPAWNS = 200
SPAWN_LIMIT = "spawn_limit"  # how every spawn-limit reason starts

# -- the edges: what comes in from outside ------------------------------------------
# A gateway request body (document source, trigger body, signal, secret): read with a
# cap so a client cannot make the gateway buffer an unbounded body (413 past it).
MAX_REQUEST_BODY_BYTES = 1024 * 1024
# JSON from the API (trigger bodies, signal payloads): deeper data would overflow the
# recursive encoders further on (issue 6).
MAX_JSON_DEPTH = 64
# An upstream's response body, unless DISPATCHED_MAX_RESPONSE_BYTES says otherwise
# (SPEC §1: 1 MiB); the step output lands in history, which has limits of its own.
DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024
# JSON nesting of an upstream's response body (issue 13); deeper fails the step with
# `invalid_response`. The body must come back out of every payload it travels in, and
# pydantic-core's JSON parser stops at 200 levels ("recursion limit exceeded", measured
# with pydantic-core 2.50): a body decodes inside RequestOutput up to 198 deep, inside an
# events page 195. A body accepted here also goes, unchanged, into the run context, into
# later steps' request bodies, into a respond step's answer, and a document may wrap it
# in objects of its own; 64, the trigger's depth, leaves 130 levels for that wrapping,
# and real APIs rarely nest past 20.
MAX_RESPONSE_JSON_DEPTH = MAX_JSON_DEPTH
# Redirects one request step follows: enough for real sites, few enough that a
# redirect loop fails fast (each hop is checked against the network policy again).
MAX_REDIRECTS = 5
# How long a synchronous trigger waits for the run's answer unless ``Prefer: wait=N``
# (or ``dispatched run start --wait``) says otherwise (SPEC §3).
DEFAULT_WAIT_SECONDS = 30
# ``Prefer: wait=N`` is capped: a synchronous trigger holds a connection that long.
MAX_WAIT_SECONDS = 300.0
# Values (scalars and collections) in one document's source: past this a YAML alias bomb
# or a generated monster is refused before it is built.
MAX_DOCUMENT_NODES = 200_000
# A secret's name (after its first character), as ``{{ secrets.NAME }}`` spells it.
MAX_SECRET_NAME_CHARS = 128
# An Idempotency-Key is stored per workflow for 24 hours; it is a key, not a payload.
MAX_IDEMPOTENCY_KEY_CHARS = 255

# -- names ---------------------------------------------------------------------------
# A workflow name is part of URLs, search attributes and the registry's keys.
MAX_SLUG_CHARS = 100
# A step id is part of every expression path and event that names the step.
MAX_STEP_ID_CHARS = 100
# A run id or signal name in a directive header: untrusted text from an upstream.
MAX_DIRECTIVE_NAME_CHARS = 200
# A directive header value as the run's events show it: events are for reading.
EVENT_VALUE_CHARS = 256
COUNTED_DIRECTIVES = ("spawn", "cancel", "signal")


class HistoryInfo(Protocol):
    """What :func:`history_problem` reads: ``temporalio.workflow.Info`` has both."""

    def get_current_history_length(self) -> int: ...

    def get_current_history_size(self) -> int: ...


def step_count_problems(data: Any) -> list[Problem]:
    """A located problem when a document (plain data) has more than ``MAX_STEPS`` steps."""
    steps = data.get("steps") if isinstance(data, dict) else None
    if isinstance(steps, dict) and len(steps) > MAX_STEPS:
        message = f"{len(steps)} steps: a document may have at most {MAX_STEPS} (split it, or spawn sub-workflows)"
        return [Problem(message, ("steps",))]
    return []


def signal_problem(received: int, size: int) -> str | None:
    """Why a signal cannot be kept (``received`` counts the signals already accepted by
    the run; ``size`` is its payload in bytes), or None when it is accepted."""
    if size > MAX_SIGNAL_BYTES:
        return f"payload of {size} bytes is over the {MAX_SIGNAL_BYTES // 1024} KiB limit"
    if received >= MAX_SIGNALS:
        return f"the run already received {MAX_SIGNALS} signals, the most one run accepts"
    return None


def history_problem(info: HistoryInfo) -> str | None:
    """Why the run must stop before Temporal terminates it, or None while there is room."""
    length, size = info.get_current_history_length(), info.get_current_history_size()
    if length >= HISTORY_EVENTS:
        return f"the run's history reached {length} events, near Temporal's limit (stopped at {HISTORY_EVENTS})"
    if size >= HISTORY_BYTES:
        return f"the run's history reached {size} bytes, near Temporal's limit (stopped at {HISTORY_BYTES})"
    return None


def spawn_depth_problem(depth: int, root: str) -> str | None:
    """Why a run ``depth`` spawns from its root ``root`` may not spawn, or None."""
    if depth >= MAX_SPAWN_DEPTH:
        return (
            f"{SPAWN_LIMIT}: depth: this run is {depth} spawns from its root run {root!r}; "
            f"a spawn chain is at most {MAX_SPAWN_DEPTH} deep"
        )
    return None


def lineage_full_problem(runs: int, root: str) -> str:
    """The reason a spawn is refused once the lineage of ``root`` has ``runs`` runs."""
    return (
        f"{SPAWN_LIMIT}: lineage: the lineage of root run {root!r} already has {runs} runs, "
        f"the most one lineage may have (the root included)"
    )


def spawn_count_problem(*, root: str, spawned: int, project: str, running: int, max_running: int) -> str | None:
    """Why a spawn is refused by the counts: ``spawned`` runs of the lineage of ``root``
    exist already (the root not counted), ``running`` spawned runs of ``project`` are
    running, at most ``max_running`` may be; or None when there is room."""
    if spawned + 1 >= MAX_LINEAGE_RUNS:
        return lineage_full_problem(spawned + 1, root)
    if running >= max_running:
        return (
            f"{SPAWN_LIMIT}: running: project {project!r} has {running} spawned runs running, "
            f"the most it may have at once (DISPATCHED_MAX_RUNNING_SPAWNS={max_running})"
        )
    return None


@dataclass
class DirectiveBudget:
    """Spawns, cancels and signals one run's directives may still send."""

    used: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED_DIRECTIVES, 0))

    def take(self, kind: str) -> str | None:
        """Count one directive of ``kind``; the reason it is refused when over budget."""
        if kind not in self.used:
            return None
        if self.used[kind] >= MAX_DIRECTIVE_EFFECTS:
            return f"the run already sent {MAX_DIRECTIVE_EFFECTS} {kind} directives, the most one run may"
        self.used[kind] += 1
        return None


@dataclass(frozen=True)
class DirectiveLimits:
    """The limits of SPEC §2; a directive past one of them is rejected."""

    per_response: int = 16
    header_bytes: int = 8 * 1024
    payload_bytes: int = 64 * 1024
    max_delay_seconds: float = 24 * 3600.0
    json_depth: int = 32

    @property
    def recorded(self) -> int:
        """How many candidate headers get an entry of their own before the rest are summed up."""
        return 2 * self.per_response
