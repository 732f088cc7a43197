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
