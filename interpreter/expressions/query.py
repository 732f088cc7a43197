"""Stage 3, continued: JMESPath's constructs as nodes, evaluated by the ``jmespath`` package.

Each node here spells itself in JMESPath's syntax (:meth:`Node.jmespath`); the
outermost one of a tree compiles that spelling once (:attr:`Query.compiled`, when the
expression is parsed) and evaluation is one ``search``. The spelling is canonical, not
the author's text: names are quoted identifiers (``"x-request-id"``), literals are
backtick JSON, and our operators are the private functions of
:mod:`interpreter.expressions.functions`, so ``[?qty == 0]`` is ``[?_eq("qty", `0`)]``.
jmespath re-derives the projection scoping from it exactly as from the author's text,
because the segments are spelled in the order they were written.

What a node reads (:meth:`Node.paths`) follows JMESPath's scoping: a function's
arguments and a multi-select's members read the context; a filter's condition, an
``&expression``, a pipe's right side and anything after a projection read the elements
they are given, so ``[?price > 10]`` names no step.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import jmespath
from jmespath.parser import ParsedResult
from jmespath.visitor import TreeInterpreter

from interpreter.expressions.ast import Node, Path, PathRef, condition, spell_name, spell_segment
from interpreter.expressions.functions import EVALUATION_ERRORS, OPTIONS

# One interpreter for every query: ``ParsedResult.search`` builds a new one per call, and
# with it an empty method cache, which is a third of a small query's time. It holds no
# state of an evaluation (only that cache, and the stateless functions), so sharing is safe.
_INTERPRETER = TreeInterpreter(OPTIONS)


class Query(Node):
    """A JMESPath construct: jmespath evaluates it, from its spelling compiled once."""

    @cached_property
    def compiled(self) -> ParsedResult:
        """The compiled spelling (cached on the node, and nodes are shared by the parse cache)."""
        return jmespath.compile(self.jmespath())

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        try:
            return _INTERPRETER.visit(self.compiled.parsed, context)
        except EVALUATION_ERRORS:  # functions already give null; this is the backstop
            return None

    def queries(self) -> Iterator[Query]:
        yield self


@dataclass(frozen=True)
class Current(Query):
    """``@``: the current node (the whole context at the top, else the element at hand)."""

    def paths(self) -> Iterator[Path]:
        yield ()

    def jmespath(self) -> str:
        return "@"


@dataclass(frozen=True)
class ExpRef(Node):
    """``&expr``: an expression handed to a function (``sort_by(items, &price)``) to apply
    to each element. Only a function argument can be one, so it is never evaluated alone."""

    body: Node

    def evaluate(self, context: Mapping[str, Any]) -> Any:
        return None

    def jmespath(self) -> str:
        return "&" + self.body.jmespath()


@dataclass(frozen=True)
class Call(Query):
    """``name(arg, ...)``: one of jmespath's functions (checked when parsed)."""

    name: str
    args: tuple[Node, ...]

    def paths(self) -> Iterator[Path]:
        for arg in self.args:
            yield from arg.paths()

    def jmespath(self) -> str:
        return f"{self.name}({', '.join(arg.jmespath() for arg in self.args)})"


@dataclass(frozen=True)
class Pipe(Query):
    """``left | right``: ``right`` evaluated on the value of ``left`` (stops a projection)."""

    left: Node
    right: Node

    def paths(self) -> Iterator[Path]:
        return self.left.paths()

    def jmespath(self) -> str:
        return f"({self.left.jmespath()} | {self.right.jmespath()})"


@dataclass(frozen=True)
class ListOf(Query):
    """``[a, b]``: a multi-select list, one value per member."""

    items: tuple[Node, ...]

    def paths(self) -> Iterator[Path]:
        for item in self.items:
            yield from item.paths()

    def jmespath(self) -> str:
        return f"[{', '.join(item.jmespath() for item in self.items)}]"


@dataclass(frozen=True)
class HashOf(Query):
    """``{key: a, other: b}``: a multi-select hash, an object built from the members."""

    pairs: tuple[tuple[str, Node], ...]

    def paths(self) -> Iterator[Path]:
        for _, value in self.pairs:
            yield from value.paths()

    def jmespath(self) -> str:
        return "{" + ", ".join(f"{spell_name(key)}: {value.jmespath()}" for key, value in self.pairs) + "}"


class Segment:
    """One step of a chain after its base: a key, an index, a projection, a filter..."""

    def jmespath(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Key(Segment):
    """``.name`` or ``['name']``."""

    name: str

    def jmespath(self) -> str:
        return spell_segment(self.name)


@dataclass(frozen=True)
class Index(Segment):
    """``[2]`` or ``[-1]``."""

    index: int

    def jmespath(self) -> str:
        return spell_segment(self.index)


@dataclass(frozen=True)
class Slice(Segment):
    """``[start:stop:step]``, each part optional (a projection over the slice)."""

    start: int | None
    stop: int | None
    step: int | None

    def jmespath(self) -> str:
        parts = [self.start, self.stop] + ([] if self.step is None else [self.step])
        return "[" + ":".join("" if part is None else str(part) for part in parts) + "]"


@dataclass(frozen=True)
class Wildcard(Segment):
    """``[*]``: a projection over a list's elements."""

    def jmespath(self) -> str:
        return "[*]"


@dataclass(frozen=True)
class Values(Segment):
    """``.*`` (or ``*`` at the start): a projection over an object's values."""

    def jmespath(self) -> str:
        return ".*"


@dataclass(frozen=True)
class Flatten(Segment):
    """``[]``: one level of nested lists flattened, then a projection."""

    def jmespath(self) -> str:
        return "[]"


@dataclass(frozen=True)
class Filter(Segment):
    """``[?condition]``: the elements for which ``condition`` is true by our truthiness."""

    condition: Node

    def jmespath(self) -> str:
        return f"[?{condition(self.condition)}]"


@dataclass(frozen=True)
class Select(Segment):
    """``.[a, b]``, ``.{k: a}`` or ``.fn(...)``: a multi-select or a call on the value so far."""

    node: Node

    def jmespath(self) -> str:
        return "." + self.node.jmespath()


_PRIMARIES = (PathRef, Current, Call, ListOf, HashOf)


@dataclass(frozen=True)
class Chain(Query):
    """A base followed by segments: ``trigger.body.items[?price > 10].sku``, ``@[0]``, ``(x)[*]``."""

    base: Node
    segments: tuple[Segment, ...]

    def paths(self) -> Iterator[Path]:
        if not isinstance(self.base, PathRef | Current):
            yield from self.base.paths()
            return
        path: Path = self.base.path if isinstance(self.base, PathRef) else ()
        for segment in self.segments:  # the keys and indexes up to the first projection
            if isinstance(segment, Key):
                path += (segment.name,)
            elif isinstance(segment, Index) and path:  # a path starts with a root's name
                path += (segment.index,)
            else:
                break
        yield path

    def jmespath(self) -> str:
        base = self.base.jmespath()
        if not isinstance(self.base, _PRIMARIES):  # (a[*].b).c is not a[*].b.c
            base = f"({base})"
        return base + "".join(segment.jmespath() for segment in self.segments)
