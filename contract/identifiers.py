"""What a workflow name, a step id, a signal name and a run id may look like.

A document names workflows and signals, an upstream names them again in its
``Dispatched-Spawn`` and ``Dispatched-Signal`` headers, and a client names a signal in
``POST /api/runs/{id}/signal/{name}``. All three must agree, or a signal one of them
accepts could never wake a wait the other wrote, so each rule is written here once.

Each ``*_problem`` function answers None for a good value and otherwise the rule in
words (``"use lowercase letters, ..."``); the caller puts the subject in front
(``f"invalid name {value!r}: {problem}"``), since only it knows how to show the value.
"""

from __future__ import annotations

import re

from contract.limits import MAX_SECRET_NAME_CHARS, MAX_SLUG_CHARS, MAX_STEP_ID_CHARS
from contract.names import RUN_ID_PREFIX

SLUG = re.compile(r"[a-z0-9][a-z0-9_-]*")
STEP_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
SIGNAL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*")
SECRET_NAME = re.compile(rf"[A-Z_][A-Z0-9_]{{0,{MAX_SECRET_NAME_CHARS - 1}}}")
RUN_ID = re.compile(re.escape(RUN_ID_PREFIX) + r"[A-Za-z0-9_-]+")
# Temporal's own signals and queries start with '__' (``__stack_trace``, ``__temporal_...``).
RESERVED_PREFIX = "__"

SLUG_RULE = f"use lowercase letters, digits, '-', '_' (at most {MAX_SLUG_CHARS})"
STEP_ID_RULE = "start with a letter or '_', then letters, digits, '-', '_'"
SIGNAL_NAME_RULE = (
    f"use letters, digits, '-', '_', '.', ':' (names starting with {RESERVED_PREFIX!r} are reserved)"
)
RUN_ID_RULE = f"expected {RUN_ID_PREFIX!r} followed by letters, digits, '-', '_'"


def is_slug(value: str) -> bool:
    """Whether ``value`` may name a workflow: it is part of URLs and search attributes."""
    return SLUG.fullmatch(value) is not None and len(value) <= MAX_SLUG_CHARS


def slug_problem(value: str) -> str | None:
    """None for a good workflow name, else :data:`SLUG_RULE`."""
    return None if is_slug(value) else SLUG_RULE


def is_secret_name(name: str) -> bool:
    """Whether ``name`` may name a secret: upper-case letters, digits and '_', as
    ``{{ secrets.ECOM_API_URL }}`` reads it."""
    return SECRET_NAME.fullmatch(name) is not None


def step_id_problem(value: str) -> str | None:
    """None for a good step id, else :data:`STEP_ID_RULE`; ids are expression paths
    (``steps.<id>.response``), hence a leading letter or '_'."""
    if STEP_ID.fullmatch(value) and len(value) <= MAX_STEP_ID_CHARS:
        return None
    return STEP_ID_RULE


def signal_name_problem(name: str, *, max_chars: int | None = None) -> str | None:
    """None for a name a user signal may have, else :data:`SIGNAL_NAME_RULE`.

    Args:
        name: the signal name as given.
        max_chars: also refuse names longer than this (directive headers are untrusted
            and capped; a document or the API are not).
    """
    if not SIGNAL_NAME.fullmatch(name) or name.startswith(RESERVED_PREFIX):
        return SIGNAL_NAME_RULE
    if max_chars is not None and len(name) > max_chars:
        return SIGNAL_NAME_RULE
    return None


def run_id_problem(text: str, *, max_chars: int | None = None) -> str | None:
    """None for a run id of ours (``run_...``), else :data:`RUN_ID_RULE`: only ids with
    the prefix address our runs, so nothing else in the namespace can be reached."""
    if not RUN_ID.fullmatch(text) or (max_chars is not None and len(text) > max_chars):
        return RUN_ID_RULE
    return None


RUN_ID_ENTROPY_HEX = 26
"""Hex digits of randomness in a run id (104 bits): unguessable, and short enough to read."""


def mint_run_id(entropy_hex: str) -> str:
    """A run id (also its Temporal workflow id) from random hex digits.

    The caller brings the randomness, because where it may come from differs: the gateway
    uses ``secrets``, a workflow spawning a child must use the replay-safe
    ``workflow.uuid4()``.

    Raises:
        ValueError: when ``entropy_hex`` has fewer than :data:`RUN_ID_ENTROPY_HEX` hex digits.
    """
    digits = entropy_hex[:RUN_ID_ENTROPY_HEX]
    if len(digits) < RUN_ID_ENTROPY_HEX or any(c not in "0123456789abcdef" for c in digits):
        raise ValueError(f"a run id needs {RUN_ID_ENTROPY_HEX} lowercase hex digits of randomness")
    return RUN_ID_PREFIX + digits
