"""Stage 2: a recursive-descent parser from tokens to an :class:`Expression`.

Grammar, loosest binding first (``or`` < ``and`` < ``not`` < comparison)::

    expression := ["return"] or [";"] EOF
    or         := and (("||" | "or") and)*
    and        := not (("&&" | "and") not)*
    not        := ("!" | "not") not | comparison
    comparison := operand [("==" | "!=" | "<" | "<=" | ">" | ">=") operand]
    operand    := literal | path | "(" or ")"
    path       := NAME ("." NAME | "[" (INTEGER | STRING) "]")*

Comparisons do not chain (``a == b == c`` is an error; parenthesise instead), and
``!a == b`` means ``!(a == b)``. After a ``.`` any word is a key, keywords included,
so ``trigger.body.not`` reads the key ``not``.
"""

from __future__ import annotations

from functools import lru_cache

from interpreter.expressions.ast import (
    COMPARISON_OPS,
    Comparison,
    Expression,
    Literal,
    Logical,
    Node,
    Not,
    PathRef,
)
from interpreter.expressions.errors import ExpressionError
from interpreter.expressions.lexer import Token, tokenize

_KEYWORD_LITERALS = {"true": True, "false": False, "null": None}
_LOGICAL = {"||": "or", "or": "or", "&&": "and", "and": "and"}


@lru_cache(maxsize=2048)
def parse_expression(text: str) -> Expression:
    """Parse ``text`` into an :class:`Expression`.

    Results are cached: the workflow parses the same ``when`` on every replay, and an
    :class:`Expression` is immutable so sharing one is safe.

    Raises:
        ExpressionError: with the 1-based column of the first problem.
    """
    if not isinstance(text, str):
        raise TypeError(f"an expression must be a string, not {type(text).__name__}")
    return Expression(text, _Parser(text).parse())


class _Parser:
    """One parse of one text; holds the token list and a cursor."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def at(self, *texts: str) -> bool:
        """Whether the current token is an operator or keyword spelled as one of ``texts``."""
        return self.token.kind in ("op", "keyword") and self.token.text in texts

    def error(self, message: str, token: Token | None = None) -> ExpressionError:
        return ExpressionError(message, (token or self.token).start + 1, self.text)

    def unexpected(self) -> ExpressionError:
        if self.token.kind == "eof":
            return self.error("unexpected end of expression")
        return self.error(f"unexpected token {self.token.text!r}")

    def at_end(self) -> bool:
        return self.token.kind == "eof"

    def parse(self) -> Node:
        if self.at_end():
            raise ExpressionError("empty expression", 1, self.text)
        if self.at("return"):
            self.advance()
        node = self.parse_or()
        if self.at(";"):
            self.advance()
        if not self.at_end():
            raise self.unexpected()
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

    def parse_operand(self) -> Node:
        token = self.token
        if token.kind in ("number", "string"):
            self.advance()
            return Literal(token.value)
        if token.kind == "keyword" and token.text in _KEYWORD_LITERALS:
            self.advance()
            return Literal(_KEYWORD_LITERALS[token.text])
        if token.kind == "name":
            return self.parse_path()
        if self.at("("):
            self.advance()
            node = self.parse_or()
            self.expect_close(")", token)
            return node
        raise self.unexpected()

    def parse_path(self) -> PathRef:
        path: list[str | int] = [self.advance().text]
        while self.at(".", "["):
            opener = self.advance()
            if opener.text == ".":
                if self.token.kind not in ("name", "keyword"):
                    raise self.error(f"expected a name after '.', found {self.describe()}")
                path.append(self.advance().text)
            else:
                path.append(self.parse_index(opener))
                self.expect_close("]", opener)
        return PathRef(tuple(path))

    def parse_index(self, opener: Token) -> str | int:
        """The inside of ``[...]``: an integer index or a quoted key."""
        token = self.token
        if token.kind == "string" or (token.kind == "number" and isinstance(token.value, int)):
            self.advance()
            value: str | int = token.value
            return value
        if token.kind == "eof":
            raise self.error("unclosed '['", opener)
        raise self.error(f"expected an integer index or a quoted key inside '[ ]', found {self.describe()}")

    def expect_close(self, closer: str, opener: Token) -> None:
        """Consume ``closer``; a missing one at the end blames the unclosed opener."""
        if self.at(closer):
            self.advance()
            return
        if self.token.kind == "eof":
            raise self.error(f"unclosed {opener.text!r}", opener)
        raise self.error(f"expected {closer!r}, found {self.describe()}")

    def describe(self) -> str:
        return "the end" if self.token.kind == "eof" else repr(self.token.text)

