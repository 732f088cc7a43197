"""Templates: ``{{ expr }}`` inside document strings, and rendering whole values.

A string that is exactly one template (surrounding whitespace aside) renders to the
expression's value with its type kept, so ``body: "{{ trigger.body }}"`` sends an object
and ``amount: "{{ ...total_cents }}"`` a number. Anywhere else each template is rendered
into the text by :func:`to_text`.

There is no escape for a literal ``{{``; a ``}}`` outside a template is plain text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from interpreter.expressions.ast import Expression, Path
from interpreter.expressions.errors import ExpressionError
from interpreter.expressions.parser import parse_expression

OPEN = "{{"
CLOSE = "}}"


def contains_template(text: str) -> bool:
    """Whether ``text`` has a ``{{`` and so needs parsing and rendering."""
    return OPEN in text


def to_text(value: Any) -> str:
    """How a value reads inside a larger string: strings as-is, ``null`` as ``""``,
    everything else as compact JSON (``true``, ``4999``, ``{"a":1}``)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class Template:
    """A parsed template string: literal text and expressions, in order.

    Attributes:
        source: the template text exactly as given.
        is_single: the whole string (surrounding whitespace aside) is one template, so
            :meth:`render` keeps the value's type.
    """

    source: str
    _parts: tuple[str | Expression, ...]
    is_single: bool

    @property
    def parts(self) -> list[str | Expression]:
        """Literal text and expressions in order (a fresh list: the template is shared)."""
        return list(self._parts)

    @cached_property
    def expressions(self) -> tuple[Expression, ...]:
        """Just the expressions, in order (picked out once: the parts never change)."""
        return tuple(part for part in self._parts if isinstance(part, Expression))

    def render(self, context: Mapping[str, Any]) -> Any:
        """The value when :attr:`is_single`, else the text with every template rendered in."""
        if self.is_single:
            return self.expressions[0].evaluate(context)
        return "".join(
            part if isinstance(part, str) else to_text(part.evaluate(context)) for part in self._parts
        )

    def references(self) -> tuple[Path, ...]:
        """Every path any of the expressions reads, in order, without repeats (computed
        once: validation and compilation both ask, for every template of a document)."""
        return self._references

    @cached_property
    def _references(self) -> tuple[Path, ...]:
        return tuple(dict.fromkeys(path for expr in self.expressions for path in expr.references()))


@lru_cache(maxsize=4096)
def parse_template(text: str) -> Template:
    """Parse a string that may hold ``{{ expr }}`` templates (cached; templates are immutable;
    sized like :func:`~interpreter.expressions.parser.parse_expression`'s cache, and why).

    Raises:
        ExpressionError: for ``{{`` without ``}}``, an empty ``{{ }}`` or a bad expression,
            with the column counted from the start of ``text``.
    """
    if not isinstance(text, str):
        raise TypeError(f"a template must be a string, not {type(text).__name__}")
    parts: list[str | Expression] = []
    pos = 0
    while (start := text.find(OPEN, pos)) >= 0:
        if start > pos:
            parts.append(text[pos:start])
        end = _find_close(text, start + len(OPEN))
        if end < 0:
            raise ExpressionError("unclosed '{{' (expected '}}')", start + 1, text)
        parts.append(_parse_inner(text, start, end))
        pos = end + len(CLOSE)
    if pos < len(text):
        parts.append(text[pos:])
    expressions = [part for part in parts if isinstance(part, Expression)]
    single = len(expressions) == 1 and all(isinstance(p, Expression) or not p.strip() for p in parts)
    return Template(text, tuple(parts), single)


def _parse_inner(text: str, start: int, end: int) -> Expression:
    """Parse the expression between ``{{`` at ``start`` and ``}}`` at ``end``."""
    inner_start = start + len(OPEN)
    inner = text[inner_start:end]
    if not inner.strip():
        raise ExpressionError("empty template '{{ }}'", start + 1, text)
    try:
        return parse_expression(inner)
    except ExpressionError as error:
        raise error.shifted(inner_start, text) from None


def _find_close(text: str, pos: int) -> int:
    """Index of the ``}}`` closing a template whose expression starts at ``pos``, or -1.

    A ``}}`` inside a quoted string does not close the template
    (``{{ x == '}}' }}``), nor does one that closes a multi-select hash of the expression
    (``{{ {a: {b: x}} }}``): braces opened inside the expression must close first. If a
    quote never closes, fall back to the first ``}}`` and let the expression parser
    report the unclosed string where it is.
    """
    quote = ""
    depth = 0
    index = pos
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif depth == 0 and text.startswith(CLOSE, index):
            return index
        elif char == "{":
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        index += 1
    return text.find(CLOSE, pos)


def render_value(value: Any, context: Mapping[str, Any]) -> Any:
    """Render every templated string inside ``value``, walking objects and lists.

    Object keys are not templated. Returns a new value; ``value`` is left unchanged.
    Strings already parsed into a :class:`Template` (a compiled document's values,
    :func:`interpreter.compiler.compile_value`) render without parsing.

    Raises:
        ExpressionError: for a malformed template (documents are validated when
            registered, so a running workflow does not meet one).
    """
    if isinstance(value, Template):
        return value.render(context)
    if isinstance(value, str):
        return parse_template(value).render(context) if contains_template(value) else value
    if isinstance(value, Mapping):
        return {key: render_value(item, context) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [render_value(item, context) for item in value]
    return value
