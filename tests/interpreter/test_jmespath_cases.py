"""JMESPath's query power, case by case, from tests/interpreter/jmespath_cases.json.

The file holds one context and groups of (expression, expected value): every built-in
function, filters, projections, slices, pipes, multi-select, the places where our rules
win over JMESPath's, and wrong types giving null; then templates.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from interpreter.expressions import FUNCTIONS, parse_expression, parse_template

CASES = json.loads((Path(__file__).parent / "jmespath_cases.json").read_text())
CONTEXT: dict[str, Any] = CASES["context"]
EXPRESSIONS = [
    pytest.param(case["expression"], case["result"], id=f"{group}: {case['expression']}")
    for group, cases in CASES["groups"].items()
    for case in cases
]
TEMPLATES = [pytest.param(case["template"], case["result"], id=case["template"]) for case in CASES["templates"]]


def as_json(value: Any) -> str:
    """Strict comparison: JSON text tells 1 from 1.0 and from true, and keeps key order."""
    return json.dumps(value)


@pytest.mark.parametrize(("text", "expected"), EXPRESSIONS)
def test_expression_case(text: str, expected: Any) -> None:
    assert as_json(parse_expression(text).evaluate(CONTEXT)) == as_json(expected)


@pytest.mark.parametrize(("text", "expected"), TEMPLATES)
def test_template_case(text: str, expected: Any) -> None:
    assert as_json(parse_template(text).render(CONTEXT)) == as_json(expected)


def test_every_function_has_a_case() -> None:
    called = {name for case in CASES["groups"]["functions"] for name in re.findall(r"([a-z_]+)\(", case["expression"])}
    assert set(FUNCTIONS) - called == set()


def test_the_context_is_left_alone() -> None:
    """Sorting, reversing, merging and projecting build new values; the run context is shared."""
    before = json.dumps(CONTEXT)
    for param in EXPRESSIONS:
        parse_expression(param.values[0]).evaluate(CONTEXT)
    assert json.dumps(CONTEXT) == before


DOCS = Path(__file__).parents[2] / "docs" / "expressions.md"
DOC_CONTEXT = {
    "trigger": {
        "body": {
            "items": [{"sku": "a", "qty": 2, "price": 5, "tags": ["x"]}, {"sku": "b", "qty": 0, "price": 20, "tags": []}],
            "counts": {"open": 3, "paid": 0},
            "quotes": [{"carrier": "ups", "cents": 1200}, {"carrier": "post", "cents": 450}],
        },
        "query": {"page": "2"},
    }
}


def doc_function_rows() -> list[tuple[str, str, str]]:
    """(function, example, value) for each row of the function table in docs/expressions.md."""
    text = DOCS.read_text()
    table = text[text.index("### Functions") : text.index("### How it is evaluated")]
    rows = []
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split(" | ")]
        name = re.match(r"`([a-z_]+)\(", cells[0])
        if name:
            example = re.match(r"`([^`]+)`", cells[-2])
            assert example, line
            rows.append((name.group(1), example.group(1), cells[-1].strip("`")))
    return rows


def test_the_docs_list_every_function() -> None:
    assert [name for name, _, _ in doc_function_rows()] == sorted(FUNCTIONS)


@pytest.mark.parametrize(("name", "example", "value"), doc_function_rows(), ids=lambda v: str(v))
def test_the_docs_examples_are_right(name: str, example: str, value: str) -> None:
    """The table's shorthand (``items`` for ``trigger.body.items``) over its stated data."""
    text = re.sub(r"\b(items|counts|quotes)\b", r"trigger.body.\1", example)
    assert name in example
    assert as_json(parse_expression(text).evaluate(DOC_CONTEXT)) == as_json(json.loads(value))
