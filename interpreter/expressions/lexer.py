"""Stage 1: turn expression text into tokens, each remembering where it started.

The lexer knows the shapes of words, numbers, strings and operators and nothing about
grammar; :mod:`interpreter.expressions.parser` decides what may follow what. It is ours,
not jmespath's, because the two languages spell things differently: ``'x'`` and ``"x"``
are both strings here, ``42`` and ``true`` need no backticks, and ``-`` may sit inside a
name (``trigger.headers.x-request-id``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from interpreter.expressions.errors import ExpressionError

TokenKind = Literal["name", "keyword", "number", "string", "op", "eof"]

# '-' is allowed after the first character because step ids and header names use it
# (``trigger.headers.content-type``). There is no arithmetic, so it is never ambiguous.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_SPACE = re.compile(r"\s+")
_KEYWORDS = frozenset({"and", "or", "not", "true", "false", "null", "return"})
# Longest first, so '<=' wins over '<' and '&&' over '&'. The single-character ones after
# ';' are JMESPath's: pipe, current node, &expression, wildcard, filter, slice, lists, hashes.
_OPERATORS = (
    "==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", ".", "[", "]", "(", ")", ";",
    "|", "@", "&", "*", "?", ":", ",", "{", "}",
)
_ESCAPES = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t"}
_ESCAPES_HELP = "\\\\, \\', \\\", \\n or \\t"
_HINTS = {
    "=": "use '==' to compare",
    "`": "JMESPath's backtick literals are not needed here: write 1, 'text', true or null",
}


@dataclass(frozen=True)
class Token:
    """One token: its kind, its source text, its value (for literals) and 0-based start."""

    kind: TokenKind
    text: str
    start: int
    value: Any = None


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens, ending with one ``eof`` token.

    Raises:
        ExpressionError: on a character no token starts with, or an unclosed string.
    """
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        space = _SPACE.match(text, pos)
        if space:
            pos = space.end()
            continue
        token = _next_token(text, pos)
        tokens.append(token)
        pos = token.start + len(token.text)
    tokens.append(Token("eof", "", len(text)))
    return tokens


def _next_token(text: str, pos: int) -> Token:
    char = text[pos]
    if char in "'\"":
        return _string(text, pos)
    number = _NUMBER.match(text, pos)
    if number:
        raw = number.group()
        return Token("number", raw, pos, float(raw) if "." in raw else int(raw))
    name = _NAME.match(text, pos)
    if name:
        word = name.group()
        return Token("keyword" if word in _KEYWORDS else "name", word, pos, word)
    for op in _OPERATORS:
        if text.startswith(op, pos):
            return Token("op", op, pos)
    hint = _HINTS.get(char)
    message = f"unexpected character {char!r}" + (f" ({hint})" if hint else "")
    raise ExpressionError(message, pos + 1, text)


def _string(text: str, start: int) -> Token:
    """A quoted string literal; the closing quote must match the opening one."""
    quote = text[start]
    chars: list[str] = []
    pos = start + 1
    while pos < len(text):
        char = text[pos]
        if char == quote:
            return Token("string", text[start : pos + 1], start, "".join(chars))
        if char == "\\":
            escaped = text[pos + 1 : pos + 2]
            if not escaped:
                break  # a backslash as the last character: the string never closes
            if escaped not in _ESCAPES:
                message = f"unknown escape '\\{escaped}' (use {_ESCAPES_HELP})"
                raise ExpressionError(message, pos + 1, text)
            chars.append(_ESCAPES[escaped])
            pos += 2
            continue
        chars.append(char)
        pos += 1
    raise ExpressionError("unclosed string", start + 1, text)
