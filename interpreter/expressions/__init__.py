"""The expression and template language of workflow documents.

``{{ expr }}`` templates go anywhere in a string; ``when`` is a bare expression. An
expression reads the run context, a mapping with the roots ``trigger``, ``steps``,
``secrets`` and ``run``, through paths (``steps.a.response.body['x-id'][0]``), and
combines them with comparisons and boolean logic, plus JMESPath's query power: its
built-in functions, filters, projections, slices, multi-select and pipes
(``length(steps.q.response.body.quotes[?cents < 1000]) > 0``). The user's reference is
``docs/expressions.md``.

Stages, one module each (as in jmespath): :mod:`.lexer` (text to tokens),
:mod:`.parser` and :mod:`.operands` (tokens to a tree, errors pointing at the column),
:mod:`.ast` (our nodes, evaluated natively), :mod:`.query` (JMESPath's nodes, evaluated
by the ``jmespath`` package from a spelling compiled once), :mod:`.functions` (the
function table and our operators as jmespath functions), :mod:`.values` (the value
rules below), :mod:`.templates`.

Semantics:

* A path that leads nowhere (missing key, index out of range, a key of a non-object,
  an index of a non-list) is ``null``. Evaluation never raises: a function given the
  wrong types is ``null`` too.
* Negative indexes count from the end: ``[-1]`` is the last element.
* ``==`` / ``!=`` are JSON equality: ``200 == 200.0`` is true, ``"200" == 200`` is
  false, and a boolean is not a number (``true == 1`` is false).
* ``<``, ``<=``, ``>``, ``>=`` compare two numbers or two strings; any other pair is
  false, never an error.
* Truthiness (``when``, ``!``, ``and``, ``or``, filters): ``null``, ``false``, ``0``,
  ``""``, ``[]`` and ``{}`` are false, everything else is true.
* ``and`` / ``or`` short-circuit and yield booleans, not operands.
* Precedence, loosest first: ``|`` < ``or`` < ``and`` < ``not`` < comparison. So
  ``!a == b`` is ``!(a == b)``; comparisons do not chain.
* A leading ``return``, a trailing ``;`` and surrounding whitespace are ignored, so the
  ``when: | return x == 200`` form of the seeds works.

Errors: :class:`ExpressionError` (a :class:`ValueError`) with ``message``, ``column``
(1-based) and ``expression``; ``str()`` reads
``unexpected token '==' at column 6 in "a == == b"``. An unknown function or a wrong
number of arguments is one too, found when the expression is parsed.
"""

from __future__ import annotations

from interpreter.expressions.ast import Expression, Path
from interpreter.expressions.errors import ExpressionError
from interpreter.expressions.functions import FUNCTIONS
from interpreter.expressions.parser import parse_expression
from interpreter.expressions.templates import (
    Template,
    contains_template,
    parse_template,
    render_value,
    to_text,
)
from interpreter.expressions.values import json_equal, truthy

ROOTS: tuple[str, ...] = ("trigger", "steps", "secrets", "run")
"""The names an expression's paths may start with (the run context's keys)."""

__all__ = [
    "FUNCTIONS",
    "ROOTS",
    "Expression",
    "ExpressionError",
    "Path",
    "Template",
    "contains_template",
    "json_equal",
    "parse_expression",
    "parse_template",
    "render_value",
    "to_text",
    "truthy",
]
