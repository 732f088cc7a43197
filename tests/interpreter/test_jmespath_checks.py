"""Static checks through JMESPath's constructs: parse errors for functions and the new
syntax, what an expression reads (arguments yes, filter bodies no), and the same seen
from registration, with the problem located in the document."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contract.problems import DocumentInvalid
from interpreter.expressions import ExpressionError, parse_expression, parse_template
from interpreter.loader import load_document

ERRORS = (
    # (expression, message, column)
    ("lenght(trigger.body)", "unknown function 'lenght' (did you mean 'length'?)", 1),
    ("x == frobnicate(1)", "unknown function 'frobnicate'", 6),
    ("_eq(1, 1)", "unknown function '_eq'", 1),  # the private operator functions are not callable
    ("length(a, b)", "length() takes 1 argument, got 2", 1),
    ("length()", "length() takes 1 argument, got 0", 1),
    ("contains(a)", "contains() takes 2 arguments, got 1", 1),
    ("merge()", "merge() takes at least 1 argument, got 0", 1),
    ("a.b[?length(x, y) > 0]", "length() takes 1 argument, got 2", 6),  # checked inside filters too
    ("sort_by(items, price)", "argument 2 of sort_by() must be an &expression, such as &price", 16),
    ("length(&a)", "argument 1 of length() cannot be an &expression (only map, max_by, min_by, sort_by take one)", 8),
    ("&a", "unexpected token '&' (an &expression such as &price is only a function argument)", 1),
    ("length(a", "unclosed '('", 7),
    ("length(a b)", "expected ')', found 'b'", 10),
    ("length(a,)", "unexpected token ')'", 10),
    ("a[1:2:0]", "a slice step cannot be 0", 7),
    ("a[1:2:3:4]", "expected an integer, ':' or ']' inside a slice, found ':'", 8),
    ("a[1:x]", "expected an integer, ':' or ']' inside a slice, found 'x'", 5),
    ("a[?b", "unclosed '['", 2),
    ("a[*", "expected an integer index or a quoted key inside '[ ]', found '*'", 3),
    ("{a: 1, a: 2}", "duplicate key 'a' inside '{ }'", 8),
    ("{a 1}", "expected ':' after the key, found '1'", 4),
    ("{1: a}", "expected a key (a name or a quoted string) inside '{ }', found '1'", 2),
    ("{a: 1", "unclosed '{'", 1),
    ("[a, b", "unclosed '['", 1),
    ("a.b == `1`", "unexpected character '`' (JMESPath's backtick literals are not needed here: write 1, 'text', true or null)", 8),
    ("a | | b", "unexpected token '|'", 5),
    ("a ? b", "unexpected token '?'", 3),
)


@pytest.mark.parametrize(("text", "message", "column"), ERRORS, ids=[row[0] for row in ERRORS])
def test_errors_point_at_the_column(text: str, message: str, column: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    assert (caught.value.message, caught.value.column) == (message, column)


def test_template_errors_count_from_the_whole_string() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_template("{{ secrets.API }}/x/{{ lenght(trigger.body) }}")
    assert (caught.value.message, caught.value.column) == ("unknown function 'lenght' (did you mean 'length'?)", 24)


Q = ("steps", "q", "response", "body", "quotes")


@pytest.mark.parametrize(
    ("text", "references"),
    [
        ("length(steps.q.response.body.quotes[?cents < 1000]) > 0", [Q]),  # the filter body names no step
        ("steps.q.response.body.quotes[?steps.x.status == 'y']", [Q]),  # ...even when it looks like one
        ("join(',', trigger.body.items[*].sku)", [("trigger", "body", "items")]),
        ("max_by(steps.q.response.body.quotes, &cents).carrier", [Q]),
        ("sort_by(trigger.body.items, &steps.a.x)", [("trigger", "body", "items")]),  # &expr: per element
        ("trigger.body | keys(@) | steps.z", [("trigger", "body")]),  # a pipe's right side: the left's value
        ("[run.id, {a: steps.b.status}]", [("run", "id"), ("steps", "b", "status")]),
        ("steps.a.response.body.{x: steps.nope}", [("steps", "a", "response", "body")]),
        ("contains(steps.a.response.body.ids, trigger.query.id) && steps.b.status == 'completed'",
         [("steps", "a", "response", "body", "ids"), ("trigger", "query", "id"), ("steps", "b", "status")]),
        ("steps.*.status", [("steps",)]),  # every step: refused by the checker (name a step)
        ("steps.a.response.body.items[0].tags[1:]", [("steps", "a", "response", "body", "items", 0, "tags")]),
        ("@.trigger.body", [("trigger", "body")]),
        ("keys(@)", [()]),  # the whole context
        ("[0]", [()]),
        ("'x' | length(@)", []),
    ],
)
def test_references_see_through_functions_and_stop_at_filters(text: str, references: list[Any]) -> None:
    expression = parse_expression(text)
    assert expression.references() == tuple(references)
    assert expression.as_path() is None


def req(url: str = "http://upstream/x", **fields: Any) -> dict[str, Any]:
    return {"request": {"url": url, **fields}}


def problems(steps: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(DocumentInvalid) as caught:
        load_document(json.dumps({"name": "t", "steps": steps}, indent=2))
    return [(".".join(map(str, p.path)), p.message) for p in caught.value.problems]


QUOTES = "steps.q.response.body.quotes"

REGISTRATION = [
    pytest.param({"q": req(), "b": {**req(), "when": f"length({QUOTES}[?cents < 1000]) > 0"}}, "steps.b.when",
                 "steps.q cannot have finished when b runs: add q to b's after (directly or through another step)",
                 id="argument-not-ancestor"),
    pytest.param({"q": req(), "b": {**req(), "after": ["q"], "when": "lenght(steps.q.response.body) > 0"}}, "steps.b.when",
                 "bad expression: unknown function 'lenght' (did you mean 'length'?) (column 1 of the expression)",
                 id="unknown-function"),
    pytest.param({"q": req(), "b": req(body={"n": "{{ length(steps.q.response.body, 1) }}"}) | {"after": ["q"]}},
                 "steps.b.request.body.n", "bad template: length() takes 1 argument, got 2 (column 4 of the string)",
                 id="arity"),
    pytest.param({"a": req(), "b": {**req(), "after": ["a"], "when": "contains(keys(steps.a.response), trigger.body.k)"}},
                 "steps.b.when", None, id="fine"),
    pytest.param({"a": req(), "b": {**req(), "after": ["a"], "when": "steps.a.response.body[?steps.zzz == 1]"}},
                 "steps.b.when", None, id="filter-body-is-relative"),
    pytest.param({"a": req(), "b": {**req(), "after": ["a"], "when": "length(steps.*.status) > 1"}},
                 "steps.b.when", "name a step: steps.<id>", id="every-step"),
    pytest.param({"a": req(), "b": {**req(), "after": ["a"], "when": "length(keys(@)) > 1"}}, "steps.b.when",
                 "the expression reads the whole run context (@): start from one of trigger, steps, secrets, run",
                 id="whole-context"),
    pytest.param({"a": req(), "b": {**req(), "after": ["a"], "when": "length(trigger.bdy) > 1"}}, "steps.b.when",
                 "unknown field trigger.bdy: expected trigger.body, trigger.headers, trigger.query", id="trigger-field"),
    pytest.param({"a": req(body={"k": "{{ length(secrets.KEY) }}"})}, "steps.a.request.body.k",
                 "secrets.KEY must stand alone as {{ secrets.KEY }}, not inside an expression", id="secret-in-call"),
]


@pytest.mark.parametrize(("steps", "path", "message"), REGISTRATION)
def test_registration_checks_see_through_queries(steps: dict[str, Any], path: str, message: str | None) -> None:
    if message is None:
        load_document(json.dumps({"name": "t", "steps": steps}))
    else:
        assert problems(steps) == [(path, message)]


def test_query_problems_have_line_and_column() -> None:
    text = (
        "name: t\n"
        "steps:\n"
        "  a:\n"
        "    request: {url: 'http://x/y'}\n"
        "  b:\n"
        "    after: [a]\n"
        "    when: \"lenght(steps.a.response.body) > 0\"\n"
        "    request: {url: 'http://x/z'}\n"
    )
    with pytest.raises(DocumentInvalid) as caught:
        load_document(text)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column, problem.step) == (7, 5, "b")


def test_opposite_query_conditions_are_recognised() -> None:
    """The lint matches trees, so a query's == / != pair (or X and !X) is exclusive too."""
    length = "length(steps.start.response.body.items[?ok])"
    for when_a, when_b in [(f"{length} == 0", f"{length} != 0"), (f"contains({length}, 1)", f"!contains({length}, 1)")]:
        steps = {
            "start": req(),
            "ok": {"after": ["start"], "when": when_a, "respond": {"body": 1}},
            "ko": {"after": ["start"], "when": when_b, "respond": {"body": 2}},
        }
        assert load_document(json.dumps({"name": "t", "steps": steps})).warnings == []
