"""Stage 3: the syntax tree, and how each node evaluates against a run context.

Two families of nodes share one tree. The language's own nodes (this module: literals,
paths, ``!``, ``and``/``or``, comparisons) evaluate themselves, in plain Python: they
are what nearly every ``when`` is made of, and they run on every step of every run.
JMESPath's constructs (:mod:`interpreter.expressions.query`: function calls, filters,
projections, slices, multi-select, pipes, ``@``) are evaluated by the ``jmespath``
package, each outermost one compiled once from its JMESPath spelling
(:meth:`Node.jmespath`). Our nodes inside a query are spelled with the private
functions of :mod:`interpreter.expressions.functions`, so they keep our rules there too.

Nodes are frozen dataclasses, so a parsed expression can be cached and shared across
workflow replays without anyone changing it underneath, and two parses of the same text
compare equal (the lints match conditions on the tree). Evaluation never raises for
missing data: a path that leads nowhere is ``None`` (``null``).
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from interpreter.expressions.functions import OPERATOR_FUNCTIONS
from interpreter.expressions.values import json_equal, ordered, truthy

if TYPE_CHECKING:
    from interpreter.expressions.query import Query

Path = tuple[str | int, ...]


def spell_literal(value: Any) -> str:
    """A JSON value as a JMESPath literal. A backtick can only sit inside a JSON string,
    where ``\\u0060`` means the same, so no escaping rule of jmespath's lexer matters."""
    return "`" + json.dumps(value).replace("`", "\\u0060") + "`"


def spell_name(name: str) -> str:
    """A key as a JMESPath quoted identifier: any key, ``-`` and keywords included."""
    return json.dumps(name)


def spell_segment(segment: str | int) -> str:
    """One step of a path after the first: ``."key"`` or ``[2]``."""
    return f"[{segment}]" if isinstance(segment, int) else "." + spell_name(segment)


class Node:
    """Base of every node: evaluate, list the paths read, and spell itself for jmespath."""

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        raise NotImplementedError

    def paths(self) -> Iterator[Path]:
        """Every path this node reads from the run context, in source order.

        Only what is read from the context itself: the body of a filter, of an
        ``&expression`` or of a pipe's right side reads the elements it is given.
        """
        return iter(())

    def yields_boolean(self) -> bool:
        """Whether the node always yields ``true`` or ``false`` (no truthiness test needed)."""
        return False

    def jmespath(self) -> str:
        """This node in JMESPath's syntax, as the query that contains it is compiled."""
        raise NotImplementedError

    def queries(self) -> Iterator[Query]:
        """The outermost JMESPath queries in this subtree: what evaluation hands to jmespath."""
        return iter(())


def condition(node: Node) -> str:
    """``node`` spelled as a boolean by our truthiness (for ``!``, ``&&``, ``||``, filters)."""
    return node.jmespath() if node.yields_boolean() else f"_truthy({node.jmespath()})"


@dataclass(frozen=True)
class Literal(Node):
    """``'text'``, ``42``, ``-1.5``, ``true``, ``false`` or ``null``."""

    value: Any

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        return self.value

    def jmespath(self) -> str:
        return spell_literal(self.value)

    def yields_boolean(self) -> bool:
        return isinstance(self.value, bool)


@dataclass(frozen=True)
class PathRef(Node):
    """``root.name['key'][0]``: a walk from a context root through keys and indexes.

    Inside a query it walks from the current node instead (a filter's element, say).
    """

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

    def jmespath(self) -> str:
        first, *rest = self.path
        return spell_name(str(first)) + "".join(spell_segment(segment) for segment in rest)


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

    def yields_boolean(self) -> bool:
        return True

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        return not truthy(self.operand.evaluate(context))

    def paths(self) -> Iterator[Path]:
        return self.operand.paths()

    def jmespath(self) -> str:
        return "!" + condition(self.operand)

    def queries(self) -> Iterator[Query]:
        return self.operand.queries()


@dataclass(frozen=True)
class Logical(Node):
    """``a and b`` / ``a or b``: short-circuits and always yields a boolean."""

    op: str  # "and" | "or"
    left: Node
    right: Node

    def yields_boolean(self) -> bool:
        return True

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        first = truthy(self.left.evaluate(context))
        if self.op == "and":
            return first and truthy(self.right.evaluate(context))
        return first or truthy(self.right.evaluate(context))

    def paths(self) -> Iterator[Path]:
        yield from self.left.paths()
        yield from self.right.paths()

    def jmespath(self) -> str:
        # Both sides are booleans, so jmespath's own short-circuiting && and || (which
        # yield an operand) yield our boolean.
        op = "&&" if self.op == "and" else "||"
        return f"({condition(self.left)} {op} {condition(self.right)})"

    def queries(self) -> Iterator[Query]:
        yield from self.left.queries()
        yield from self.right.queries()


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

    def yields_boolean(self) -> bool:
        return True

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        return _COMPARISONS[self.op](self.left.evaluate(context), self.right.evaluate(context))

    def paths(self) -> Iterator[Path]:
        yield from self.left.paths()
        yield from self.right.paths()

    def jmespath(self) -> str:
        return f"{OPERATOR_FUNCTIONS[self.op]}({self.left.jmespath()}, {self.right.jmespath()})"

    def queries(self) -> Iterator[Query]:
        yield from self.left.queries()
        yield from self.right.queries()


@dataclass(frozen=True)
class Expression:
    """A parsed expression: the text as given plus its tree. Immutable, so cacheable.

    Every JMESPath query in the tree is compiled here, once, when the text is parsed
    (and :func:`~interpreter.expressions.parser.parse_expression` caches the parse), so
    evaluating never compiles.

    Attributes:
        source: the expression text exactly as given to :func:`parse_expression`.
    """

    source: str
    root: Node

    def __post_init__(self) -> None:
        for query in self.root.queries():
            query.compiled  # noqa: B018 - compiling is the point

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        """The value of the expression over ``context`` (roots ``trigger``, ``steps``, ...).

        Never raises: a missing key, an index out of range or indexing something that is
        not a container yields ``None``, and so does a function given the wrong types.
        """
        return self.root.evaluate(context)

    def references(self) -> tuple[Path, ...]:
        """Every path the expression reads, in source order, without repeats.

        ``()`` stands for the whole context (``@``, or a ``[``, ``{`` or ``*`` that starts
        the expression). Computed once (:attr:`_references`): the tree never changes, and
        validation, compilation and the lints all ask, thousands of times for a
        1,000-step document.
        """
        return self._references

    @cached_property
    def _references(self) -> tuple[Path, ...]:
        return tuple(dict.fromkeys(self.root.paths()))

    def as_path(self) -> Path | None:
        """The path when the whole expression is a bare path, else ``None``."""
        return self.root.path if isinstance(self.root, PathRef) else None
