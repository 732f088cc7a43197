"""Stage 3: the syntax tree, and how each node evaluates against a run context.

Nodes are frozen dataclasses, so a parsed expression can be cached and shared across
workflow replays without anyone changing it underneath. Evaluation never raises for
missing data: a path that leads nowhere is ``None`` (``null``).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from interpreter.expressions.values import json_equal, ordered, truthy

Path = tuple[str | int, ...]


class Node:
    """Base of every node: evaluate against a context, and list the paths read."""

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    def paths(self) -> Iterator[Path]:
        """Every path this node reads, in source order."""
        return iter(())


@dataclass(frozen=True)
class Literal(Node):
    """``'text'``, ``42``, ``-1.5``, ``true``, ``false`` or ``null``."""

    value: Any

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        return self.value


@dataclass(frozen=True)
class PathRef(Node):
    """``root.name['key'][0]``: a walk from a context root through keys and indexes."""

    path: Path

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        current: Any = context
        for segment in self.path:
            current = step_into(current, segment)
            if current is None:
                return None
        return current

    def paths(self) -> Iterator[Path]:
        yield self.path


def step_into(value: Any, segment: str | int) -> Any:
    """One step of a path: a key of an object or an index of a list, else ``None``."""
    if isinstance(segment, str):
        return value.get(segment) if isinstance(value, Mapping) else None
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        # Negative indexes count from the end, as in Python and jmespath.
        return value[segment] if -len(value) <= segment < len(value) else None
    return None


@dataclass(frozen=True)
class Not(Node):
    """``!x`` / ``not x``: the negated truthiness of ``x``."""

    operand: Node

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        return not truthy(self.operand.evaluate(context))

    def paths(self) -> Iterator[Path]:
        return self.operand.paths()


@dataclass(frozen=True)
class Logical(Node):
    """``a and b`` / ``a or b``: short-circuits and always yields a boolean."""

    op: str  # "and" | "or"
    left: Node
    right: Node

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        first = truthy(self.left.evaluate(context))
        if self.op == "and":
            return first and truthy(self.right.evaluate(context))
        return first or truthy(self.right.evaluate(context))

    def paths(self) -> Iterator[Path]:
        yield from self.left.paths()
        yield from self.right.paths()


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "==": json_equal,
    "!=": lambda left, right: not json_equal(left, right),
    "<": lambda left, right: ordered(operator.lt, left, right),
    "<=": lambda left, right: ordered(operator.le, left, right),
    ">": lambda left, right: ordered(operator.gt, left, right),
    ">=": lambda left, right: ordered(operator.ge, left, right),
}
COMPARISON_OPS = frozenset(_COMPARISONS)


@dataclass(frozen=True)
class Comparison(Node):
    """``a == b`` and friends; see :mod:`interpreter.expressions.values` for the rules."""

    op: str
    left: Node
    right: Node

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        return _COMPARISONS[self.op](self.left.evaluate(context), self.right.evaluate(context))

    def paths(self) -> Iterator[Path]:
        yield from self.left.paths()
        yield from self.right.paths()


@dataclass(frozen=True)
class Expression:
    """A parsed expression: the text as given plus its tree. Immutable, so cacheable.

    Attributes:
        source: the expression text exactly as given to :func:`parse_expression`.
    """

    source: str
    root: Node

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        """The value of the expression over ``context`` (roots ``trigger``, ``steps``, ...).

        Never raises for missing data: a missing key, an index out of range or indexing
        something that is not a container yields ``None``.
        """
        return self.root.evaluate(context)

    def references(self) -> list[Path]:
        """Every path the expression reads, in source order, without repeats."""
        return list(dict.fromkeys(self.root.paths()))

    def as_path(self) -> Path | None:
        """The path when the whole expression is a bare path, else ``None``."""
        return self.root.path if isinstance(self.root, PathRef) else None
