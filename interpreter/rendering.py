"""Render a request step's templates inside the workflow, leaving secrets for the activity.

Secret values must never enter workflow history, so the workflow renders every template
except ``{{ secrets.NAME }}``: a string that names a secret becomes a
:class:`~contract.messages.SecretSlot` (its other templates rendered, each secret a
:class:`~contract.messages.SecretRef`) and the activity fills it in. Slots are made
only from the document's own template strings, never from data, so a trigger body or an
upstream answer that contains ``{{ secrets.X }}`` is just text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contract.messages import SecretRef, SecretSlot
from interpreter.compiler import RequestStep
from interpreter.expressions import Expression, Template, to_text

PathKey = list[str | int]


def _secret_name(part: Expression) -> str | None:
    path = part.as_path()
    if path and len(path) == 2 and path[0] == "secrets" and isinstance(path[1], str):
        return path[1]
    return None


class _Renderer:
    """Walks one request action, collecting secret slots as it goes."""

    def __init__(self, context: Mapping[str, Any]) -> None:
        self.context = context
        self.slots: list[SecretSlot] = []

    def template(self, template: Template, path: PathKey) -> Any:
        secret_parts = [p for p in template.parts if isinstance(p, Expression) and _secret_name(p)]
        if not secret_parts:
            return template.render(self.context)
        parts: list[str | SecretRef] = []
        for part in template.parts:
            if isinstance(part, str):
                parts.append(part)
            elif (name := _secret_name(part)) is not None:
                parts.append(SecretRef(secret=name))
            else:
                parts.append(to_text(part.evaluate(self.context)))
        self.slots.append(SecretSlot(path=list(path), parts=parts))
        return ""

    def value(self, value: Any, path: PathKey) -> Any:
        if isinstance(value, Template):
            return self.template(value, path)
        if isinstance(value, dict):
            return {k: self.value(v, [*path, k]) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, [*path, i]) for i, v in enumerate(value)]
        return value

    def text_map(self, values: Mapping[str, Any], field: str) -> dict[str, str]:
        return {name: to_text(self.value(v, [field, name])) for name, v in values.items()}


def render_request(step: RequestStep, context: Mapping[str, Any]) -> dict[str, Any]:
    """The request's url, headers, query and body rendered against ``context``.

    Returns the keyword arguments of :class:`~contract.messages.RequestInput` that
    depend on the run: ``url``, ``headers``, ``query``, ``body``, ``has_body`` and
    ``secret_slots``.
    """
    renderer = _Renderer(context)
    rendered = {
        "url": to_text(renderer.value(step.url, ["url"])),
        "headers": renderer.text_map(step.headers, "headers"),
        "query": renderer.text_map(step.query, "query"),
        "body": renderer.value(step.body, ["body"]),
        "has_body": step.has_body,
    }
    rendered["secret_slots"] = renderer.slots
    return rendered
