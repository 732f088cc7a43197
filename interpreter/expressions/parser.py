"""Stage 2: a recursive-descent parser from tokens to an :class:`Expression`.

Grammar, loosest binding first (``|`` < ``or`` < ``and`` < ``not`` < comparison)::

    expression := ["return"] pipe [";"] EOF
    pipe       := or ("|" or)*
    or         := and (("||" | "or") and)*
    and        := not (("&&" | "and") not)*
    not        := ("!" | "not") not | comparison
    comparison := operand [("==" | "!=" | "<" | "<=" | ">" | ">=") operand]

Operands (literals, paths, function calls, filters, projections, slices, multi-select)
are :mod:`interpreter.expressions.operands`. Comparisons do not chain (``a == b == c``
is an error; parenthesise instead), and ``!a == b`` means ``!(a == b)``, where JMESPath
would read ``(!a) == b``. After a ``.`` any word is a key, keywords included, so
``trigger.body.not`` reads the key ``not``. The right side of ``|`` is evaluated on the
value of the left side, as in JMESPath.

We parse JMESPath's constructs ourselves rather than hand the text to jmespath because
the spec's syntax differs from JMESPath's (quotes, bare literals, ``and``/``or``/``not``,
``-`` in names, precedence), and because our errors carry the column and a hint.
"""

from __future__ import annotations

from functools import lru_cache

from interpreter.expressions.ast import COMPARISON_OPS, Comparison, Expression, Logical, Node, Not
from interpreter.expressions.errors import ExpressionError
from interpreter.expressions.operands import OperandParser
from interpreter.expressions.query import Pipe

_LOGICAL = {"||": "or", "or": "or", "&&": "and", "and": "and"}


@lru_cache(maxsize=4096)
def parse_expression(text: str) -> Expression:
    """Parse ``text`` into an :class:`Expression`, its JMESPath queries compiled.

    Results are cached: the workflow parses the same ``when`` on every replay, and an
    :class:`Expression` is immutable so sharing one is safe. 4,096 entries (about
    0.7 KB each, measured: ~3 MB full) hold a 1,000-step document with a ``when`` and a
    template per step (~2,000 expressions) twice over: at 2,048 such a document filled
    the cache, and a few hundred other parses between two loads made the next load miss
    on every entry (an LRU read in a cycle larger than itself), 2.5x slower.

    Raises:
        ExpressionError: with the 1-based column of the first problem.
    """
    if not isinstance(text, str):
        raise TypeError(f"an expression must be a string, not {type(text).__name__}")
    return Expression(text, Parser(text).parse())


class Parser(OperandParser):
    """One parse of one text: the operator levels over :class:`OperandParser`."""

    def parse(self) -> Node:
        if self.at_end():
            raise ExpressionError("empty expression", 1, self.text)
        if self.at("return"):
            self.advance()
        node = self.parse_pipe()
        if self.at(";"):
            self.advance()
        if not self.at_end():
            raise self.unexpected()
        return node

    def parse_pipe(self) -> Node:
        node = self.parse_or()
        while self.at("|"):
            self.advance()
            node = Pipe(node, self.parse_or())
        return node

    def parse_or(self) -> Node:
        node = self.parse_and()
        while self.at("||", "or"):
            op = _LOGICAL[self.advance().text]
            node = Logical(op, node, self.parse_and())
        return node

    def parse_and(self) -> Node:
        node = self.parse_not()
        while self.at("&&", "and"):
            op = _LOGICAL[self.advance().text]
            node = Logical(op, node, self.parse_not())
        return node

    def parse_not(self) -> Node:
        if self.at("!", "not"):
            self.advance()
            return Not(self.parse_not())
        return self.parse_comparison()

    def parse_comparison(self) -> Node:
        left = self.parse_operand()
        if self.token.kind == "op" and self.token.text in COMPARISON_OPS:
            op = self.advance().text
            return Comparison(op, left, self.parse_operand())
        return left
