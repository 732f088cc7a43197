"""A forgiving view of a document's steps, read from plain data.

Semantic checks (graph, references, warnings) run even when the document's shape is
broken, because authors want every problem in one round trip. So they read this view,
built from the raw mapping, instead of the validated model: anything of the wrong
type is simply left out here (shape validation reports it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from contract.document import ACTION_KINDS


@dataclass(frozen=True)
class StepView:
    """What the semantic checks need to know about one step."""

    id: str
    after: list[Any] = field(default_factory=list)
    when: str | None = None
    actions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # kind -> action

    @property
    def kind(self) -> str | None:
        """``request``, ``wait`` or ``respond`` when exactly one action is present."""
        return next(iter(self.actions)) if len(self.actions) == 1 else None

    @property
    def action(self) -> Mapping[str, Any]:
        """The one action's fields (empty when the step has zero or several)."""
        return self.actions[self.kind] if self.kind else {}


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if _is_mapping(value) else {}


def step_views(data: Mapping[str, Any]) -> dict[str, StepView]:
    """Every step of raw document ``data`` that is a mapping, in document order."""
    views: dict[str, StepView] = {}
    steps: Mapping[Any, Any] = _mapping(data.get("steps"))
    for sid, raw in steps.items():
        if not isinstance(sid, str):  # YAML may key a mapping by a number
            continue
        step = _mapping(raw)
        after = step.get("after")
        when = step.get("when")
        views[sid] = StepView(
            id=sid,
            after=list(after) if isinstance(after, list) else [],
            when=when if isinstance(when, str) else None,
            actions={kind: action for kind in ACTION_KINDS if _is_mapping(action := step.get(kind))},
        )
    return views


def _is_mapping(value: Any) -> TypeGuard[Mapping[str, Any]]:
    """``isinstance(value, Mapping)``, with the JSON cases (a dict, or absent) answered
    before the ABC check, which costs several times more: three per step."""
    if value is None:
        return False
    return type(value) is dict or isinstance(value, Mapping)


def response_block(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The document-level ``response`` mapping, if there is one."""
    block = data.get("response")
    return block if isinstance(block, Mapping) else None
