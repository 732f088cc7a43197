"""Templates: ``{{ expr }}`` in document strings, type-keeping versus rendering into text."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from interpreter.expressions import (
    Expression,
    ExpressionError,
    contains_template,
    parse_template,
    render_value,
)

CONTEXT: dict[str, Any] = {
    "trigger": {"body": {"user_id": "user_42", "tags": ["a", "b"]}, "headers": {}, "query": {}},
    "steps": {
        "process_order": {
            "status": "completed",
            "response": {
                "status": 201,
                "headers": {"content-type": "application/json"},
                "body": {"order_id": "ord_42", "total_cents": 4999, "paid": True, "note": None, "ratio": 0.5},
            },
        },
        "confirm_address": {
            "status": "completed",
            "signal": {"name": "address-submitted", "body": {"street": "100 Main St", "city": "Berlin"}},
        },
    },
    "secrets": {"API": "http://127.0.0.1:9"},
    "run": {"id": "run_1", "workflow": "checkout"},
}

ORDER = "steps.process_order.response.body"

RENDER = (
    # A string that is exactly one template keeps the value's type...
    ("{{ trigger.body }}", CONTEXT["trigger"]["body"]),
    (f"{{{{ {ORDER}.total_cents }}}}", 4999),
    (f"{{{{ {ORDER}.paid }}}}", True),
    (f"{{{{ {ORDER}.note }}}}", None),
    ("{{ trigger.body.tags }}", ["a", "b"]),
    ("{{ steps.confirm_address.signal.body }}", {"street": "100 Main St", "city": "Berlin"}),
    ("  {{ trigger.body.user_id }}\n", "user_42"),  # surrounding whitespace aside
    ("{{trigger.body.user_id}}", "user_42"),  # spaces inside are optional
    ("{{ steps.process_order.response.status == 201 }}", True),  # any expression
    ("{{ trigger.body.missing }}", None),
    # ...anything else renders each template into the text.
    ("{{ secrets.API }}/carts", "http://127.0.0.1:9/carts"),
    (f"{{{{ secrets.API }}}}/orders/{{{{ {ORDER}.order_id }}}}/confirm", "http://127.0.0.1:9/orders/ord_42/confirm"),
    (f"total={{{{ {ORDER}.total_cents }}}}", "total=4999"),  # numbers as JSON
    (f"ratio={{{{ {ORDER}.ratio }}}}", "ratio=0.5"),
    (f"paid={{{{ {ORDER}.paid }}}}", "paid=true"),  # booleans as JSON
    (f"note=[{{{{ {ORDER}.note }}}}]", "note=[]"),  # null as the empty string
    ("missing=[{{ trigger.body.missing }}]", "missing=[]"),
    ("tags={{ trigger.body.tags }}", 'tags=["a","b"]'),  # lists and objects as compact JSON
    ("addr={{ steps.confirm_address.signal.body }}", 'addr={"street":"100 Main St","city":"Berlin"}'),
    ("{{ run.id }}{{ run.workflow }}", "run_1checkout"),  # two templates: text
    ("{{ run.id }} ", "run_1"),  # one template plus whitespace is still single
    ("Bearer {{ secrets.API }}", "Bearer http://127.0.0.1:9"),
    ("no templates }} here", "no templates }} here"),
    ("{{ '}}' }}", "}}"),  # '}}' inside a quoted string does not close the template
    ("{{ run.id }}}", "run_1}"),
)


@pytest.mark.parametrize(("text", "expected"), RENDER, ids=[repr(row[0]) for row in RENDER])
def test_render(text: str, expected: Any) -> None:
    value = parse_template(text).render(CONTEXT)
    assert value == expected and type(value) is type(expected)


SEED_TEMPLATES = (
    ("{{ trigger.body.user_id }}", "user_42"),
    (f"{{{{ {ORDER}.total_cents }}}}", 4999),
    ("{{ steps.confirm_address.signal.body }}", {"street": "100 Main St", "city": "Berlin"}),
    ("{{ secrets.API }}/shipping/quote", "http://127.0.0.1:9/shipping/quote"),
)


@pytest.mark.parametrize(("text", "expected"), SEED_TEMPLATES, ids=[row[0] for row in SEED_TEMPLATES])
def test_seed_templates(text: str, expected: Any) -> None:
    assert parse_template(text).render(CONTEXT) == expected


def test_parts_and_references() -> None:
    template = parse_template("{{ secrets.API }}/carts/{{ steps.a.response.body.id }}?u={{ secrets.API }}")
    kinds = [part if isinstance(part, str) else type(part) for part in template.parts]
    assert kinds == [Expression, "/carts/", Expression, "?u=", Expression]
    assert [part.as_path() for part in template.parts if isinstance(part, Expression)] == [
        ("secrets", "API"),
        ("steps", "a", "response", "body", "id"),
        ("secrets", "API"),
    ]
    assert template.references() == (("secrets", "API"), ("steps", "a", "response", "body", "id"))
    assert not template.is_single


@pytest.mark.parametrize(
    ("text", "single"),
    [("{{ a }}", True), (" {{ a }}\n", True), ("x{{ a }}", False), ("{{ a }}{{ b }}", False), ("plain", False)],
)
def test_is_single(text: str, single: bool) -> None:
    assert parse_template(text).is_single is single


def test_parts_cannot_corrupt_the_cache() -> None:
    template = parse_template("a{{ run.id }}")
    template.parts.clear()
    assert parse_template("a{{ run.id }}") is template
    assert template.render(CONTEXT) == "arun_1"


def test_expressions_and_references_are_computed_once_and_cannot_be_changed() -> None:
    """Validation and compilation both ask a shared (cached) template: what one caller
    gets is immutable, and worked out once."""
    template = parse_template("{{ run.id }}-{{ steps.a.status }}-{{ run.id }}")
    assert [expression.source for expression in template.expressions] == [" run.id ", " steps.a.status ", " run.id "]
    assert template.references() == (("run", "id"), ("steps", "a", "status"))
    assert template.expressions is template.expressions and template.references() is template.references()
    assert template.render(CONTEXT) == "run_1--run_1"


def test_contains_template() -> None:
    assert contains_template("x {{ y }}")
    assert contains_template("{{")
    assert not contains_template("x { y }")


def test_render_value_walks_objects_and_lists() -> None:
    value = {
        "{{ run.id }}": "keys are not templated",
        "url": "{{ secrets.API }}/orders",
        "amount": f"{{{{ {ORDER}.total_cents }}}}",
        "items": ["{{ trigger.body.tags }}", "literal", 3, None, {"deep": "{{ run.workflow }}"}],
        "flag": True,
    }
    original = copy.deepcopy(value)
    assert render_value(value, CONTEXT) == {
        "{{ run.id }}": "keys are not templated",
        "url": "http://127.0.0.1:9/orders",
        "amount": 4999,
        "items": [["a", "b"], "literal", 3, None, {"deep": "checkout"}],
        "flag": True,
    }
    assert value == original  # a new value; the input is untouched
    assert render_value("{{ trigger.body }}", CONTEXT) == CONTEXT["trigger"]["body"]


ERRORS = (
    # (template, message, column within the whole template string)
    ("{{ a", "unclosed '{{' (expected '}}')", 1),
    ("url/{{ a }}/{{ b", "unclosed '{{' (expected '}}')", 13),
    ("x {{ }}", "empty template '{{ }}'", 3),
    ("x {{}}", "empty template '{{ }}'", 3),
    ("http://{{ a == == b }}", "unexpected token '=='", 16),
    ("{{ a }} and {{ b c }}", "unexpected token 'c'", 18),
    ("{{ 'open }}", "unclosed string", 4),
    ("ab{{ x[0 }}", "unclosed '['", 7),
    ("{{ a = 1 }}", "unexpected character '=' (use '==' to compare)", 6),
)


@pytest.mark.parametrize(("text", "message", "column"), ERRORS, ids=[repr(row[0]) for row in ERRORS])
def test_errors_point_into_the_whole_string(text: str, message: str, column: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_template(text)
    assert (caught.value.message, caught.value.column, caught.value.expression) == (message, column, text)


def test_template_error_reads_as_text() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_template("http://{{ a == == b }}")
    assert str(caught.value) == 'unexpected token \'==\' at column 16 in "http://{{ a == == b }}"'
