"""Validation at registration: the shape, then what the document means as a whole.

Two passes over the same plain data, both always run so one round trip lists every
problem:

1. Shape: ``Document.model_validate``. Each pydantic error becomes a
   :class:`~contract.problems.Problem` at the document path it concerns, with a
   message written for authors (``unknown field 'timout' (did you mean 'timeout'?)``).
2. Meaning, on a forgiving view of the raw steps (:mod:`interpreter.document_view`):
   the graph (:mod:`interpreter.graph`), expressions and the paths they read
   (:mod:`interpreter.references`), respond steps without a body, and the warnings
   (:mod:`interpreter.lints`).

Problems carry paths only; the loader adds line and column from its source map.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import NoneType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from contract.document import DIRECTIVE_KINDS, Document
from contract.limits import step_count_problems
from contract.problems import Path, Problem
from interpreter.document_view import StepView, response_block, step_views
from interpreter.graph import Plan, check_graph
from interpreter.lints import check_warnings
from interpreter.references import check_references

_TYPE_NAMES = {
    str: "a string", int: "an integer", float: "a number", bool: "a boolean",
    dict: "a mapping", list: "a list", NoneType: "null",
}
_EXPECTED = {
    "string_type": "a string", "int_type": "an integer", "int_parsing": "an integer",
    "int_from_float": "an integer", "float_type": "a number", "float_parsing": "a number",
    "bool_type": "a boolean", "bool_parsing": "a boolean", "dict_type": "a mapping",
    "model_type": "a mapping", "model_attributes_type": "a mapping", "list_type": "a list",
}


@dataclass(frozen=True)
class Checked:
    """The outcome of validating plain data: the model when the shape was right, every
    problem (errors and warnings) and the plan (partial when the graph is broken)."""

    document: Document | None
    problems: list[Problem]
    plan: Plan


def _type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _unwrap(annotation: Any) -> Any:
    """``X | None`` and ``Annotated[X, ...]`` to ``X``."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin in (Union, UnionType):
        members = [arg for arg in get_args(annotation) if arg is not NoneType]
        return _unwrap(members[0]) if len(members) == 1 else annotation
    return annotation


def _model_at(path: Path) -> type[BaseModel] | None:
    """The model class that describes the mapping at ``path``, if one does."""
    current: Any = Document
    for segment in path:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(segment))
            current = field.annotation if field else None
        elif get_origin(current) in (dict, list):
            current = get_args(current)[-1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _data_path(loc: tuple[str | int, ...], data: Any, error_type: str) -> Path:
    """The document path of a pydantic ``loc``: union member tags are dropped."""
    path: list[str | int] = []
    current = data
    for position, segment in enumerate(loc):
        in_list = isinstance(current, list) and isinstance(segment, int) and 0 <= segment < len(current)
        if (isinstance(current, dict) and segment in current) or in_list:
            current = current[segment]
        elif error_type == "missing" and position == len(loc) - 1:
            pass
        else:
            continue
        path.append(segment)
    return tuple(path)


def _choices(expected: str) -> str:
    found = re.findall(r"'([^']*)'", expected)
    return ", ".join(found) if found else expected


def _message(error: Mapping[str, Any], path: Path) -> str:
    kind, value, context = error["type"], error.get("input"), error.get("ctx") or {}
    name = str(path[-1]) if path else "document"
    if kind == "extra_forbidden":
        model = _model_at(path[:-1])
        close = difflib.get_close_matches(name, list(model.model_fields) if model else [], n=1)
        return f"unknown field {name!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
    if kind == "missing":
        return f"missing required field {name!r}"
    if kind == "literal_error":
        if len(path) >= 2 and path[-2] == "directives":
            return f"unknown directive {value!r}: expected one of {', '.join(DIRECTIVE_KINDS)}"
        return f"invalid {name} {value!r}: expected one of {_choices(context.get('expected', ''))}"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_type_name(value)}"
    if kind == "too_short":
        count = context.get("min_length", 1)
        return f"must have at least {count} item{'s' if count != 1 else ''}"
    message = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    message = message.replace("Input should be", "must be")
    if isinstance(value, int | float | str) and kind.startswith(("greater", "less")):
        message += f" (got {value!r})"
    return message


def shape_problems(error: ValidationError, data: Any) -> list[Problem]:
    """Readable, located problems for every pydantic error of ``data``.

    Errors of one union (``str | int | float | bool`` header values) at the same path
    are merged into one.
    """
    by_path: dict[Path, list[Mapping[str, Any]]] = {}
    for item in error.errors(include_url=False):
        by_path.setdefault(_data_path(tuple(item["loc"]), data, item["type"]), []).append(item)
    problems = []
    for path, errors in by_path.items():
        if len(errors) > 1 and all(e["type"] in _EXPECTED for e in errors):
            wanted = list(dict.fromkeys(_EXPECTED[e["type"]] for e in errors))
            got = _type_name(errors[0].get("input"))
            message = f"expected {', '.join(wanted[:-1])} or {wanted[-1]}, got {got}"
            problems.append(Problem(message, path))
        else:
            problems += [Problem(_message(e, path), path) for e in errors]
    return problems


def _respond_bodies(steps: Mapping[str, StepView]) -> list[Problem]:
    """A respond step without ``body``/``body_from`` sends its one upstream's output."""
    problems = []
    for step in steps.values():
        respond = step.actions.get("respond")
        if respond is None or "body" in respond or respond.get("body_from") is not None:
            continue
        if len(step.after) != 1:
            problems.append(Problem(
                f"respond step {step.id!r} has no 'body' or 'body_from', so it sends its upstream step's "
                f"output, but it has {len(step.after)} steps in 'after': add 'body' or 'body_from' "
                "(or list exactly one step in 'after')", ("steps", step.id, "respond")))
    return problems


def check_data(data: Mapping[str, Any]) -> Checked:
    """Validate a document given as plain data (a parsed YAML or JSON mapping)."""
    problems: list[Problem] = []
    document = None
    try:
        document = Document.model_validate(data)
    except ValidationError as error:
        problems += shape_problems(error, data)
    problems += step_count_problems(data)  # issue 6: at most limits.MAX_STEPS steps
    steps = step_views(data)
    graph = check_graph({sid: step.after for sid, step in steps.items()})
    problems += graph.problems
    problems += check_references(steps, graph.plan, response_block(data))
    problems += _respond_bodies(steps)
    problems += check_warnings(steps, graph.plan, has_response_block=response_block(data) is not None)
    return Checked(document, problems, graph.plan)


def validate_document(document: Document) -> list[Problem]:
    """Every semantic problem and warning of a document that arrived as a model.

    The model's shape is already right, so only the second pass has anything to say.
    """
    return check_data(document.model_dump(exclude_unset=True)).problems
