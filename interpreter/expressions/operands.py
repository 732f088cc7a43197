"""Stage 2, operands: what a comparison compares, JMESPath's constructs included.

An operand is a literal, or a base followed by segments::

    operand  := literal | base segment*
    base     := path | NAME "(" [arg ("," arg)*] ")" | "@" | "(" pipe ")"
              | "[" bracket "]" | "[" pipe ("," pipe)* "]" | "{" pair ("," pair)* "}" | "*"
    path     := NAME ("." NAME | "[" (INTEGER | STRING) "]")*
    segment  := "." NAME | "." NAME "(" args ")" | ".*" | ".[" list "]" | ".{" pairs "}"
              | "[" bracket "]"
    bracket  := INTEGER | STRING | slice | "*" | "?" pipe | (nothing: flatten)
    arg      := "&" pipe | pipe

A bare path (``steps.a.response.body['x-id'][0]``) stays a :class:`PathRef`, evaluated
natively; anything else with segments is a :class:`~interpreter.expressions.query.Chain`
for jmespath. At the very start a ``[`` is JMESPath's: ``[0]``, ``[1:]``, ``[*]``,
``[]`` and ``[?...]`` act on the current node, and any other ``[a, 'b']`` is a list.
Function names and arities are checked here, against jmespath's table, so a typo is a
registration error at the column of the name.
"""

from __future__ import annotations

from interpreter.expressions.ast import Literal, Node, PathRef
from interpreter.expressions.errors import ExpressionError
from interpreter.expressions.functions import call_problem, unknown_function
from interpreter.expressions.lexer import Token, tokenize
from interpreter.expressions.query import (
    Call,
    Chain,
    Current,
    ExpRef,
    Filter,
    Flatten,
    HashOf,
    Index,
    Key,
    ListOf,
    Segment,
    Select,
    Slice,
    Values,
    Wildcard,
)

_KEYWORD_LITERALS = {"true": True, "false": False, "null": None}
_INDEX_HELP = "expected an integer index or a quoted key inside '[ ]'"


class Cursor:
    """One parse of one text: the token list, a position, and errors that point at a column."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def peek(self, offset: int) -> Token:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def at(self, *texts: str, offset: int = 0) -> bool:
        """Whether the token (``offset`` ahead) is an operator or keyword spelled as one of ``texts``."""
        token = self.peek(offset)
        return token.kind in ("op", "keyword") and token.text in texts

    def at_integer(self, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token.kind == "number" and isinstance(token.value, int)

    def at_end(self) -> bool:
        return self.token.kind == "eof"

    def error(self, message: str, token: Token | None = None) -> ExpressionError:
        return ExpressionError(message, (token or self.token).start + 1, self.text)

    def unexpected(self) -> ExpressionError:
        if self.token.kind == "eof":
            return self.error("unexpected end of expression")
        if self.at("&"):  # after an operand, a lone '&' is a misspelt '&&'
            return self.error("unexpected character '&' (use '&&' or 'and')")
        return self.error(f"unexpected token {self.token.text!r}")

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


class OperandParser(Cursor):
    """Parses operands; :class:`~interpreter.expressions.parser.Parser` adds the operators."""

    def parse_pipe(self) -> Node:
        """A whole expression (inside parentheses, brackets, braces and arguments)."""
        raise NotImplementedError

    def parse_operand(self) -> Node:
        token = self.token
        if token.kind in ("number", "string"):
            self.advance()
            return Literal(token.value)
        if token.kind == "keyword" and token.text in _KEYWORD_LITERALS:
            self.advance()
            return Literal(_KEYWORD_LITERALS[token.text])
        if token.kind == "name":
            base = self.parse_call() if self.at("(", offset=1) else self.parse_path()
            return self.parse_segments(base, [])
        if self.at("@"):
            self.advance()
            return self.parse_segments(Current(), [])
        if self.at("("):
            self.advance()
            inner = self.parse_pipe()
            self.expect_close(")", token)
            return self.parse_segments(inner, [])
        if self.at("["):
            return self.parse_leading_bracket()
        if self.at("{"):
            return self.parse_segments(self.parse_hash(), [])
        if self.at("*"):
            self.advance()
            return self.parse_segments(Current(), [Values()])
        if self.at("&"):
            raise self.error("unexpected token '&' (an &expression such as &price is only a function argument)")
        raise self.unexpected()

    def parse_path(self) -> PathRef:
        path: list[str | int] = [self.advance().text]
        while True:
            if self.at(".") and self.peek(1).kind in ("name", "keyword") and not self.at("(", offset=2):
                self.advance()
                path.append(self.advance().text)
            elif self.at("[") and (self.peek(1).kind == "string" or self.at_integer(1)) and self.at("]", offset=2):
                self.advance()
                path.append(self.advance().value)
                self.advance()
            else:
                return PathRef(tuple(path))

    def parse_segments(self, base: Node, segments: list[Segment]) -> Node:
        """The segments after ``base``; a chain when there are any, else ``base`` itself."""
        while True:
            if self.at("."):
                self.advance()
                segments.append(self.parse_dot_segment())
            elif self.at("["):
                segments.append(self.parse_bracket(self.advance()))
            else:
                return Chain(base, tuple(segments)) if segments else base

    def parse_dot_segment(self) -> Segment:
        token = self.token
        if token.kind == "name" and self.at("(", offset=1):
            return Select(self.parse_call())
        if token.kind in ("name", "keyword"):
            self.advance()
            return Key(token.text)
        if self.at("*"):
            self.advance()
            return Values()
        if self.at("[") and not self.looks_like_index():  # a.[0] is a misplaced a[0]
            return Select(self.parse_list(self.advance()))
        if self.at("{"):
            return Select(self.parse_hash())
        raise self.error(f"expected a name after '.', found {self.describe()}")

    def looks_like_index(self) -> bool:
        """``[0]`` or ``['key']`` ahead: what a path segment looks like."""
        return (self.peek(1).kind == "string" or self.at_integer(1)) and self.at("]", offset=2)

    def parse_bracket(self, opener: Token) -> Segment:
        """The inside of ``[...]`` after an operand (``opener`` is consumed)."""
        if self.at("]"):
            self.advance()
            return Flatten()
        if self.at("*") and self.at("]", offset=1):
            self.advance()
            self.advance()
            return Wildcard()
        if self.at("?"):
            self.advance()
            body = self.parse_pipe()
            self.expect_close("]", opener)
            return Filter(body)
        if self.at(":") or (self.at_integer() and self.at(":", offset=1)):
            return self.parse_slice(opener)
        token = self.token
        if token.kind == "string" or self.at_integer():
            self.advance()
            self.expect_close("]", opener)
            return Key(token.value) if token.kind == "string" else Index(token.value)
        if token.kind == "eof":
            raise self.error("unclosed '['", opener)
        raise self.error(f"{_INDEX_HELP}, found {self.describe()}")

    def parse_slice(self, opener: Token) -> Slice:
        parts: list[int | None] = [None, None, None]
        tokens: list[Token | None] = [None, None, None]
        part = 0
        while not self.at("]"):
            token = self.token
            if self.at(":") and part < 2:
                part += 1
            elif self.at_integer() and parts[part] is None:
                parts[part], tokens[part] = token.value, token
            elif token.kind == "eof":
                raise self.error("unclosed '['", opener)
            else:
                raise self.error(f"expected an integer, ':' or ']' inside a slice, found {self.describe()}")
            self.advance()
        self.advance()
        if parts[2] == 0:
            raise self.error("a slice step cannot be 0", tokens[2])
        return Slice(parts[0], parts[1], parts[2])

    def parse_leading_bracket(self) -> Node:
        """``[`` starting an operand: JMESPath's bracket on the current node, or a list."""
        opener = self.advance()
        on_current = (
            self.at("]", "?", ":")
            or (self.at("*") and self.at("]", offset=1))
            or (self.at_integer() and self.at("]", ":", offset=1))
        )
        if on_current:
            return self.parse_segments(Current(), [self.parse_bracket(opener)])
        return self.parse_segments(self.parse_list(opener), [])

    def parse_list(self, opener: Token) -> ListOf:
        items = [self.parse_pipe()]
        while self.at(","):
            self.advance()
            items.append(self.parse_pipe())
        self.expect_close("]", opener)
        return ListOf(tuple(items))

    def parse_hash(self) -> Node:
        opener = self.advance()
        pairs: dict[str, Node] = {}
        while True:
            token = self.token
            if token.kind == "eof":
                raise self.error("unclosed '{'", opener)
            if token.kind not in ("name", "keyword", "string"):
                raise self.error(f"expected a key (a name or a quoted string) inside '{{ }}', found {self.describe()}")
            key = token.value if token.kind == "string" else token.text
            if key in pairs:
                raise self.error(f"duplicate key {key!r} inside '{{ }}'")
            self.advance()
            if not self.at(":"):
                if self.token.kind == "eof":
                    raise self.error("unclosed '{'", opener)
                raise self.error(f"expected ':' after the key, found {self.describe()}")
            self.advance()
            pairs[key] = self.parse_pipe()
            if not self.at(","):
                self.expect_close("}", opener)
                return HashOf(tuple(pairs.items()))
            self.advance()

    def parse_call(self) -> Call:
        name = self.advance()
        opener = self.advance()
        unknown = unknown_function(name.text)
        if unknown:
            raise self.error(unknown, name)
        args: list[Node] = []
        starts: list[Token] = []
        while not self.at(")") or args:
            starts.append(self.token)
            if self.at("&"):
                self.advance()
                args.append(ExpRef(self.parse_pipe()))
            else:
                args.append(self.parse_pipe())
            if not self.at(","):
                break
            self.advance()
        self.expect_close(")", opener)
        problem = call_problem(name.text, [isinstance(arg, ExpRef) for arg in args])
        if problem:
            message, index = problem
            raise self.error(message, name if index is None else starts[index])
        return Call(name.text, tuple(args))
