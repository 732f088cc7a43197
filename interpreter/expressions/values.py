"""What values mean to the language: truthiness, equality and ordering over JSON data.

These rules are shared by every operator so the whole language agrees on them:

* Truthiness: ``null``, ``false``, ``0``, ``""``, ``[]`` and ``{}`` are false; everything
  else is true.
* Equality is JSON equality: numbers compare by value (``200 == 200.0``), a string never
  equals a number (``"200" != 200``), and a boolean is not a number (``true != 1``,
  although Python says otherwise). Lists and objects compare element by element.
* Ordering compares a number with a number or a string with a string. Any other pair
  (``null < 1``, ``"1" < 2``, lists, objects) is simply false: a ``when`` over data that
  did not arrive must skip the step, not crash the run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any


def truthy(value: Any) -> bool:
    """Whether ``value`` counts as true in ``when``, ``!``, ``and`` and ``or``."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str | Mapping | Sequence):
        return len(value) > 0
    return True


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def json_equal(left: Any, right: Any) -> bool:
    """JSON equality: no cross-type coercion, and booleans are not numbers."""
    if _is_number(left) and _is_number(right):
        return bool(left == right)
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, str) or isinstance(right, str):
        return isinstance(left, str) and isinstance(right, str) and left == right
    if _is_list(left) and _is_list(right):
        return len(left) == len(right) and all(map(json_equal, left, right))
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left.keys() == right.keys() and all(json_equal(v, right[k]) for k, v in left.items())
    return type(left) is type(right) and bool(left == right)  # null == null, and anything else exotic


def ordered(compare: Callable[[Any, Any], bool], left: Any, right: Any) -> bool:
    """Apply an ordering ``compare`` when both sides are numbers or both strings, else False."""
    if _is_number(left) and _is_number(right):
        return compare(left, right)
    if isinstance(left, str) and isinstance(right, str):
        return compare(left, right)
    return False
