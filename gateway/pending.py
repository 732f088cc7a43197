"""Which secrets a project's workflows use, and which of them are pending (SPEC §7).

Pending is derived, never stored: a secret is *pending* in a project when a current
workflow of the project uses it (``{{ secrets.NAME }}``) and nobody has set it. So a
placeholder appears the moment a workflow (or a template's copy) that needs it is
registered, and goes the moment the value is set or the last workflow using it is
deleted; there is no second list that could disagree with the first.

What a document uses comes from its compiled form (``CompiledWorkflow.secrets``),
read through the app's cache of compiled revisions.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from interpreter.revisions import CompiledRevisions
from registry import Registry

SecretStatus = Literal["set", "pending"]


@dataclass(frozen=True)
class SecretState:
    """One secret of the project as the list shows it (never its value)."""

    name: str
    status: SecretStatus
    used_by: list[str]
    updated_at: datetime | None


async def usage(registry: Registry, revisions: CompiledRevisions, project: str) -> dict[str, list[str]]:
    """``secret name -> the project's current workflows that use it``, names sorted."""
    used: dict[str, list[str]] = {}
    for current in await registry.workflows.current_revisions(project):
        compiled = revisions.get(project, current.name, current.revision, functools.partial(str, current.document_json))
        for name in compiled.secrets:
            used.setdefault(name, []).append(current.name)
    return used


async def secret_states(registry: Registry, revisions: CompiledRevisions, project: str) -> list[SecretState]:
    """Every secret set in the project, and every one a current workflow uses but nobody set."""
    used = await usage(registry, revisions, project)
    states = {s.name: SecretState(s.name, "set", used.get(s.name, []), s.updated_at) for s in await registry.secrets.list(project)}
    for name, workflows in used.items():
        states.setdefault(name, SecretState(name, "pending", workflows, None))
    return [states[name] for name in sorted(states)]


async def pending_among(registry: Registry, project: str, names: Iterable[str]) -> list[str]:
    """Those of ``names`` the project has not set, sorted (empty: all set)."""
    wanted = set(names)
    if not wanted:
        return []
    have = {s.name for s in await registry.secrets.list(project)}
    return sorted(wanted - have)


def statuses(names: Iterable[str], pending: Iterable[str]) -> list[tuple[str, SecretStatus]]:
    """``(name, "set" | "pending")`` for each of ``names``, sorted."""
    missing = set(pending)
    return [(name, "pending" if name in missing else "set") for name in sorted(set(names))]
