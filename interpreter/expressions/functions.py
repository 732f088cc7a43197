"""Stage 4: the functions an expression may call, on jmespath's implementations.

Which functions exist, and how many arguments each takes, is read from jmespath's own
table (``jmespath.functions.Functions``), so the registration-time check and the
evaluator can never disagree. :class:`QueryFunctions` adds what our language needs on
top of jmespath:

* private operator functions (``_eq``, ``_lt``, ``_truthy``, ...): the translation in
  :mod:`interpreter.expressions.query` spells our ``==``, ``<``, ``!``, ``&&`` and filter
  conditions with them, so inside a JMESPath query they keep our rules (JSON equality,
  ordering only between two numbers or two strings, a falsy ``0``) rather than
  jmespath's (``0`` is true there, and ``'a' < 1`` raises: its issue #169). Their names
  start with ``_``, which :func:`call_problem` refuses in documents;
* ``contains`` with JSON equality (jmespath's ``true in [1]`` is Python's, and so true);
* a function given the wrong types is ``null``: jmespath raises ``JMESPathTypeError``
  (and Python's own errors leak from a few functions, ``ceil`` of infinity say), and an
  evaluation inside a workflow must never raise.
"""

from __future__ import annotations

import difflib
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from jmespath import Options
from jmespath import functions as jp_functions
from jmespath.exceptions import JMESPathError

from interpreter.expressions.values import json_equal, ordered, truthy

# Errors a function may raise on data it cannot use: jmespath's (type and arity errors
# are JMESPathError) and Python's (TypeError, ValueError, OverflowError...).
EVALUATION_ERRORS = (JMESPathError, TypeError, ValueError, ArithmeticError)


@dataclass(frozen=True)
class Signature:
    """What one public function accepts: the JMESPath types of each parameter.

    ``types[i]`` is empty when parameter ``i`` takes any value; ``variadic`` means the
    last parameter may repeat (``merge(a, b, c)``).
    """

    name: str
    types: tuple[tuple[str, ...], ...]
    variadic: bool

    def takes_expref(self, index: int) -> bool:
        """Whether argument ``index`` (0-based) is an ``&expression``."""
        position = min(index, len(self.types) - 1)
        return "expref" in self.types[position] if self.types else False

    def arity_problem(self, count: int) -> str | None:
        """Why ``count`` arguments are wrong, or ``None`` when they are not."""
        wanted = len(self.types)
        if count == wanted or (self.variadic and count >= wanted):
            return None
        plural = "argument" if wanted == 1 else "arguments"
        at_least = "at least " if self.variadic else ""
        return f"{self.name}() takes {at_least}{wanted} {plural}, got {count}"


def _signatures() -> dict[str, Signature]:
    table: dict[str, dict[str, Any]] = jp_functions.Functions.FUNCTION_TABLE
    found = {}
    for name, spec in sorted(table.items()):
        params = spec["signature"]
        types = tuple(tuple(param.get("types", ())) for param in params)
        found[name] = Signature(name, types, bool(params and params[-1].get("variadic")))
    return found


FUNCTIONS: dict[str, Signature] = _signatures()
"""jmespath's built-in functions by name: every function a document may call."""

_EXPREF_TAKERS = ", ".join(sorted(n for n, s in FUNCTIONS.items() if any("expref" in t for t in s.types)))


def unknown_function(name: str) -> str | None:
    """Why ``name`` cannot be called (with the closest real name), or ``None``."""
    if name in FUNCTIONS:
        return None
    close = difflib.get_close_matches(name, list(FUNCTIONS), n=1)
    return f"unknown function {name!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


def call_problem(name: str, exprefs: Sequence[bool]) -> tuple[str, int | None] | None:
    """What is wrong with calling ``name`` with arguments that are (or are not) ``&expr``.

    Returns the message and the 0-based argument it concerns (``None``: the call itself),
    or ``None`` when the call is fine.
    """
    unknown = unknown_function(name)
    if unknown:
        return unknown, None
    signature = FUNCTIONS[name]
    arity = signature.arity_problem(len(exprefs))
    if arity:
        return arity, None
    for index, is_expref in enumerate(exprefs):
        wanted = signature.takes_expref(index)
        if wanted and not is_expref:
            return f"argument {index + 1} of {name}() must be an &expression, such as &price", index
        if is_expref and not wanted:
            return f"argument {index + 1} of {name}() cannot be an &expression (only {_EXPREF_TAKERS} take one)", index
    return None


class QueryFunctions(jp_functions.Functions):
    """jmespath's functions, our operators, and ``null`` instead of a type error."""

    def call_function(self, function_name: str, resolved_args: Iterable[Any]) -> Any:
        try:
            return super().call_function(function_name, resolved_args)
        except EVALUATION_ERRORS:
            return None

    @jp_functions.signature({"types": ["array", "string"]}, {"types": []})
    def _func_contains(self, subject: Any, search: Any) -> bool:
        if isinstance(subject, str):
            return isinstance(search, str) and search in subject
        return any(json_equal(item, search) for item in subject)

    @jp_functions.signature({"types": []})
    def _func__truthy(self, value: Any) -> bool:
        return truthy(value)

    @jp_functions.signature({"types": []}, {"types": []})
    def _func__eq(self, left: Any, right: Any) -> bool:
        return json_equal(left, right)

    @jp_functions.signature({"types": []}, {"types": []})
    def _func__ne(self, left: Any, right: Any) -> bool:
        return not json_equal(left, right)

    @jp_functions.signature({"types": []}, {"types": []})
    def _func__lt(self, left: Any, right: Any) -> bool:
        return ordered(operator.lt, left, right)

    @jp_functions.signature({"types": []}, {"types": []})
    def _func__le(self, left: Any, right: Any) -> bool:
        return ordered(operator.le, left, right)

    @jp_functions.signature({"types": []}, {"types": []})
    def _func__gt(self, left: Any, right: Any) -> bool:
        return ordered(operator.gt, left, right)

    @jp_functions.signature({"types": []}, {"types": []})
    def _func__ge(self, left: Any, right: Any) -> bool:
        return ordered(operator.ge, left, right)


OPTIONS = Options(custom_functions=QueryFunctions())
"""The jmespath options every query is searched with (one instance: it holds no state)."""

OPERATOR_FUNCTIONS = {"==": "_eq", "!=": "_ne", "<": "_lt", "<=": "_le", ">": "_gt", ">=": "_ge"}
"""Our comparison operators as the private functions that evaluate them in a query."""
