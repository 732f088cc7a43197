"""Warnings: documents that are valid but probably not what the author meant.

* A ``wait`` without ``timeout`` waits forever.
* Two respond steps that can both run in one execution: only the first answer is
  sent, the other is dropped. Two respond steps are *exclusive*, and not warned
  about, when some step ``A`` of the first one's lineage (the step and its ancestors)
  and some step ``B`` of the second one's are an *opposite pair*: ``A`` and ``B`` have
  the same ``after`` and ``when`` expressions that cannot both be true. A skipped step
  skips its dependents, so at most one lineage runs to its end. Opposite means, on the
  parsed expressions (so spacing, parentheses, ``!``/``not`` and a leading ``return``
  don't matter):

  - ``X`` and ``!X`` (also ``not X``, ``not (X)``);
  - ``a == v`` and ``a != v``;
  - ``a == v1`` and ``a == v2`` where ``v1`` and ``v2`` are different literals.

  Anything cleverer (``a > 1`` against ``a <= 1``, three-way splits) is warned
  about; the warning is advice, and the document is still accepted.
* A document ``response`` block next to a respond step that always runs (no ``when``
  on it or its ancestors, no ancestor wait with ``on_timeout: skip``): the respond
  step answers first, so the block is never sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations

from contract.problems import Problem
from interpreter.document_view import StepView
from interpreter.expressions import ExpressionError, json_equal, parse_expression
from interpreter.expressions.ast import Comparison, Literal, Node, Not
from interpreter.graph import Plan


def _warn(message: str, *path: str | int) -> Problem:
    return Problem(message, tuple(path), severity="warning")


def _oriented(node: Comparison) -> Comparison:
    """The comparison with its literal (if any) on the right."""
    if isinstance(node.left, Literal) and not isinstance(node.right, Literal):
        return Comparison(node.op, node.right, node.left)
    return node


def _same_literal(a: Node, b: Node) -> bool:
    return isinstance(a, Literal) and isinstance(b, Literal) and json_equal(a.value, b.value)


def opposite(a: Node, b: Node) -> bool:
    """True when ``a`` and ``b`` can never both be true (by the rules above)."""
    if (isinstance(a, Not) and a.operand == b) or (isinstance(b, Not) and b.operand == a):
        return True
    if not (isinstance(a, Comparison) and isinstance(b, Comparison)):
        return False
    a, b = _oriented(a), _oriented(b)
    if a.left != b.left:
        return False
    if {a.op, b.op} == {"==", "!="}:
        return a.right == b.right or _same_literal(a.right, b.right)
    if a.op == b.op == "==" and isinstance(a.right, Literal) and isinstance(b.right, Literal):
        return not json_equal(a.right.value, b.right.value)
    return False


def _conditions(steps: Mapping[str, StepView]) -> dict[str, Node]:
    found: dict[str, Node] = {}
    for step in steps.values():
        if step.when is not None:
            try:
                found[step.id] = parse_expression(step.when).root
            except ExpressionError:
                continue  # reported as an error elsewhere
    return found


def opposite_pairs(steps: Mapping[str, StepView]) -> list[tuple[str, str]]:
    """Pairs of steps with the same ``after`` whose ``when`` are opposite."""
    conditions = _conditions(steps)
    groups: dict[frozenset[object], list[str]] = {}
    for sid in conditions:
        groups.setdefault(frozenset(steps[sid].after), []).append(sid)
    return [
        (a, b)
        for members in groups.values()
        for a, b in combinations(members, 2)
        if opposite(conditions[a], conditions[b])
    ]


def _lineage(plan: Plan, sid: str) -> frozenset[str]:
    return plan.ancestors.get(sid, frozenset()) | {sid}


def _exclusive(first: str, second: str, pairs: list[tuple[str, str]], plan: Plan) -> bool:
    one, two = _lineage(plan, first), _lineage(plan, second)
    return any((a in one and b in two) or (b in one and a in two) for a, b in pairs)


def _always_runs(step: StepView, steps: Mapping[str, StepView], plan: Plan) -> bool:
    for sid in _lineage(plan, step.id):
        other = steps[sid]
        if other.when is not None:
            return False
        if other.kind == "wait" and other.action.get("on_timeout") == "skip":
            return False
    return True


def check_warnings(steps: Mapping[str, StepView], plan: Plan, *, has_response_block: bool) -> list[Problem]:
    """Every warning for a document, in document order of the steps involved."""
    warnings = [
        _warn(f"wait step {step.id!r} has no timeout, so it can wait forever; set 'timeout' "
              "(and 'on_timeout')", "steps", step.id, "wait")
        for step in steps.values()
        if step.kind == "wait" and step.action.get("timeout") is None
    ]
    responders = [step for step in steps.values() if step.kind == "respond"]
    pairs = opposite_pairs(steps) if len(responders) > 1 else []
    for first, second in combinations(responders, 2):
        if not _exclusive(first.id, second.id, pairs, plan):
            warnings.append(_warn(
                f"respond steps {first.id!r} and {second.id!r} can both run in one execution: only the "
                "first answer is sent; gate them with opposite 'when' conditions", "steps", second.id, "respond"))
    if has_response_block:
        always = [step.id for step in responders if _always_runs(step, steps, plan)]
        if always:
            warnings.append(_warn(
                f"the response block is never sent: respond step {always[0]!r} always runs and the "
                "first response wins", "response"))
    return warnings
