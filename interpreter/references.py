"""Check every expression and template of a document, and every path they read.

Where a template may appear: a request's ``url``, ``headers`` and ``query`` values and
``body`` (at any depth); a respond step's ``headers``, ``body`` and ``body_from``; the
document ``response`` block's ``headers`` and ``body``; and each step's ``when``.

What a path may read (paths inside function arguments and multi-selects count; the
body of a filter, of an ``&expression`` or of a pipe's right side reads the elements it
is given, not the run context, so ``items[?price > 10]`` names no step):

* The first segment is a root: ``trigger``, ``steps``, ``secrets`` or ``run``; the whole
  context (``@``, ``keys(@)``, ``[0]`` or ``*`` at the start) is not: it would read
  every step, finished or not.
* ``trigger.body|headers|query`` and ``run.id|workflow``.
* ``steps.x`` only when ``x`` has certainly finished: ``x`` is an ancestor of the
  reading step. The document ``response`` renders once the DAG is done, so it may read
  any step. ``steps.x.<field>`` is ``status``, ``response`` (request steps) or
  ``signal`` (wait steps).
* ``secrets.NAME`` only in a request step (url, headers, query, body) and only as a
  whole template, ``{{ secrets.NAME }}``: the activity substitutes secrets after the
  workflow has rendered everything else, and a secret in a ``when``, a respond step or
  the response block could end up in an HTTP answer.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from contract.json_values import JSON_SCALARS
from contract.problems import Path, Problem
from interpreter.document_view import StepView
from interpreter.expressions import (
    ROOTS,
    Expression,
    ExpressionError,
    contains_template,
    parse_expression,
    parse_template,
)
from interpreter.graph import Plan

TRIGGER_FIELDS = ("body", "headers", "query")
RUN_FIELDS = ("id", "workflow")
STEP_FIELDS: dict[str | None, tuple[str, ...]] = {
    "request": ("status", "response"),
    "wait": ("status", "signal"),
    "respond": ("status",),
    None: ("status", "response", "signal"),  # the step's own shape is broken: don't guess
}


@dataclass(frozen=True)
class Scope:
    """Who reads an expression: the step (``None`` for the response block) and the place."""

    step: str | None
    place: str  # "when", "request", "respond" or "response": used in messages
    secrets: bool = False


def templated_strings(value: Any, path: Path) -> Iterator[tuple[str, Path]]:
    """Every string holding ``{{`` inside ``value`` (objects and lists walked), with its path."""
    found: list[tuple[str, Path]] = []
    _collect(value, path, found)
    return iter(found)


def _collect(value: Any, path: Path, found: list[tuple[str, Path]]) -> None:
    """The walk of :func:`templated_strings`, into one list (no generator per level).

    JSON values are exactly ``dict``, ``list``, ``str`` and scalars, so those are tested
    by type before the ``Mapping`` ABC check, which costs several times more.
    """
    kind = type(value)
    if kind in JSON_SCALARS:
        return
    if isinstance(value, str):
        if contains_template(value):
            found.append((value, path))
    elif kind is dict or (kind is not list and isinstance(value, Mapping)):
        for key, item in value.items():
            _collect(item, path + (key,), found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _collect(item, path + (index,), found)


def _show(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(path))


class ReferenceChecker:
    """Checks the expressions of one document against its steps and graph."""

    def __init__(self, steps: Mapping[str, StepView], plan: Plan) -> None:
        self.steps = steps
        self.plan = plan
        self.problems: list[Problem] = []

    def when(self, step: StepView) -> None:
        """Parse ``step.when`` and check what it reads."""
        if step.when is None:
            return
        path = ("steps", step.id, "when")
        try:
            expression = parse_expression(step.when)
        except ExpressionError as error:
            self._add(path, f"bad expression: {error.message} (column {error.column} of the expression)")
            return
        scope = Scope(step.id, "when")
        for reference in expression.references():
            self._reference(reference, scope, path, bare=False)

    def value(self, value: Any, path: Path, scope: Scope) -> None:
        """Check every template inside ``value``."""
        for text, where in templated_strings(value, path):
            try:
                template = parse_template(text)
            except ExpressionError as error:
                self._add(where, f"bad template: {error.message} (column {error.column} of the string)")
                continue
            for expression in template.expressions:
                self._expression(expression, where, scope)

    def body_from(self, text: Any, path: Path, scope: Scope) -> None:
        """``respond.body_from``: a bare path, written without braces."""
        if not isinstance(text, str):
            return
        try:
            expression = parse_expression(text)
        except ExpressionError as error:
            self._add(path, f"bad path: {error.message} (column {error.column} of the expression)")
            return
        if expression.as_path() is None:
            self._add(path, "body_from must be a path such as steps.x.response.body, without '{{ }}'")
            return
        self._expression(expression, path, scope)

    def _expression(self, expression: Expression, path: Path, scope: Scope) -> None:
        bare = expression.as_path()
        for reference in expression.references():
            self._reference(reference, scope, path, bare=reference == bare)

    def _reference(self, ref: tuple[str | int, ...], scope: Scope, path: Path, *, bare: bool) -> None:
        if ref and ref[0] == "steps":  # nearly every path: straight to its check
            problem = self._step_reference(ref, scope)
            if problem:
                self._add(path, problem)
            return
        where = "expression" if scope.place == "when" else "template"
        if not ref:
            self._add(path, f"the {where} reads the whole run context (@): start from one of {', '.join(ROOTS)}")
            return
        root = ref[0]
        problem = None
        if root not in ROOTS:
            problem = f'unknown root "{root}" in {where}: expected one of {", ".join(ROOTS)}'
        elif len(ref) > 1 and root == "trigger" and ref[1] not in TRIGGER_FIELDS:
            problem = f"unknown field {_show(ref[:2])}: expected trigger.{', trigger.'.join(TRIGGER_FIELDS)}"
        elif len(ref) > 1 and root == "run" and ref[1] not in RUN_FIELDS:
            problem = f"unknown field {_show(ref[:2])}: expected run.id or run.workflow"
        elif root == "secrets":
            problem = self._secret_reference(ref, scope, bare=bare)
        if problem:
            self._add(path, problem)

    def _step_reference(self, ref: tuple[str | int, ...], scope: Scope) -> str | None:
        if len(ref) < 2 or not isinstance(ref[1], str):
            return "name a step: steps.<id>"
        target = ref[1]
        if target not in self.steps:
            return f"{_show(ref[:2])} names an unknown step {target!r}"
        if scope.step is not None:
            if target == scope.step:
                return (
                    f"{_show(ref[:2])} is this step itself: its result does not exist yet when its "
                    f"{scope.place} is evaluated"
                )
            if not self.plan.is_ancestor(target, scope.step):
                return (
                    f"steps.{target} cannot have finished when {scope.step} runs: add {target} to "
                    f"{scope.step}'s after (directly or through another step)"
                )
        kind = self.steps[target].kind
        allowed = STEP_FIELDS[kind]
        if len(ref) > 2 and ref[2] not in allowed:
            what = f"a {kind} step" if kind else "a step"
            return f"unknown field {_show(ref[:3])} of {what}: expected one of {', '.join(allowed)}"
        return None

    def _secret_reference(self, ref: tuple[str | int, ...], scope: Scope, *, bare: bool) -> str | None:
        if not scope.secrets:
            return (
                f"{_show(ref)}: secrets may only be used in request steps (url, headers, query, body), "
                f"not in {_PLACES[scope.place]}, so a secret value can never reach an HTTP answer"
            )
        if len(ref) != 2 or not isinstance(ref[1], str):
            return f"{_show(ref)}: name one secret, as secrets.NAME"
        if not bare:
            return f"secrets.{ref[1]} must stand alone as {{{{ secrets.{ref[1]} }}}}, not inside an expression"
        return None

    def _add(self, path: Path, message: str) -> None:
        self.problems.append(Problem(message, path))


_PLACES = {
    "when": "a when",
    "request": "a request",
    "respond": "a respond step",
    "response": "the response block",
}


def check_references(
    steps: Mapping[str, StepView], plan: Plan, response: Mapping[str, Any] | None
) -> list[Problem]:
    """Every expression problem in the steps and the ``response`` block, in document order."""
    checker = ReferenceChecker(steps, plan)
    for step in steps.values():
        checker.when(step)
        base = ("steps", step.id)
        request = step.actions.get("request")
        if request is not None:
            scope = Scope(step.id, "request", secrets=True)
            for name in ("url", "headers", "query", "body"):
                if (value := request.get(name)) is not None:  # absent or null: nothing to read
                    checker.value(value, base + ("request", name), scope)
        respond = step.actions.get("respond")
        if respond is not None:
            scope = Scope(step.id, "respond")
            for name in ("headers", "body"):
                if (value := respond.get(name)) is not None:
                    checker.value(value, base + ("respond", name), scope)
            checker.body_from(respond.get("body_from"), base + ("respond", "body_from"), scope)
    if response is not None:
        scope = Scope(None, "response")
        for name in ("headers", "body"):
            checker.value(response.get(name), ("response", name), scope)
    return checker.problems
