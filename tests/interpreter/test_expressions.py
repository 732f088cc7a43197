"""The expression language, table by table: read top to bottom to learn it.

Each table is (expression, expected value) evaluated against CONTEXT, a context shaped
like the one the workflow builds for a run of the async-checkout seed.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interpreter.expressions import ExpressionError, parse_expression, parse_template, truthy

CONTEXT: dict[str, Any] = {
    "trigger": {
        "body": {"user_id": "user_42", "items": [{"sku": "a"}, {"sku": "b"}], "count": 2, "gift": False},
        "headers": {"content-type": "application/json", "x-request-id": "req-1"},
        "query": {"page": "2"},
    },
    "steps": {
        "create_cart": {
            "status": "completed",
            "response": {"status": 201, "headers": {}, "body": {"id": "cart_1"}},
        },
        "authorize_payment": {"status": "completed", "response": {"status": 200, "headers": {}, "body": {}}},
        "confirm_payment": {
            "status": "completed",
            "signal": {"name": "payment-confirmed", "body": {"confirmed_at": "2026-05-15T12:00:00Z"}},
        },
        "skipped-step": {"status": "skipped"},
    },
    "secrets": {"API": "http://127.0.0.1:9"},
    "run": {"id": "run_1", "workflow": "async-checkout"},
}


def table(*rows: tuple[Any, ...]) -> Any:
    """Parametrize rows, each test id being the expression itself."""
    return pytest.mark.parametrize(("text", "expected"), rows, ids=[repr(row[0]) for row in rows])


def evaluate(text: str) -> Any:
    return parse_expression(text).evaluate(CONTEXT)


SEEDS = (
    ("steps.confirm_payment.signal.name == 'payment-confirmed'", True),
    ("return steps.authorize_payment.response.status == 200\n", True),
    ("return steps.authorize_payment.response.status == 200", True),
    ("steps.confirm_payment.signal.name == 'payment-cancelled'", False),
)

PATHS = (
    ("trigger.body.user_id", "user_42"),
    ("trigger.body", CONTEXT["trigger"]["body"]),
    ("trigger.headers.content-type", "application/json"),  # '-' inside identifiers
    ("steps.skipped-step.status", "skipped"),
    ("trigger.body.items[0].sku", "a"),
    ("trigger.body.items[1]", {"sku": "b"}),
    ("trigger.body.items[-1].sku", "b"),  # negative indexes count from the end
    ("trigger.body.items[-2].sku", "a"),
    ("trigger.headers['x-request-id']", "req-1"),
    ('trigger.headers["content-type"]', "application/json"),
    ("trigger['body'].user_id", "user_42"),
    ("run.workflow", "async-checkout"),
    ("secrets.API", "http://127.0.0.1:9"),
    ("trigger . body . user_id", "user_42"),  # spaces around '.'
)

MISSING_IS_NULL = (
    ("trigger.body.nope", None),  # missing key
    ("nope.at.all", None),  # missing root
    ("steps.create_cart.signal.name", None),  # a request step has no signal
    ("trigger.body.items[2]", None),  # index out of range
    ("trigger.body.items[-3]", None),
    ("trigger.body.user_id.first", None),  # key of a string
    ("trigger.body.user_id[0]", None),  # index of a string
    ("trigger.body[0]", None),  # index of an object
    ("trigger.body.items['sku']", None),  # key of a list
    ("trigger.body.count.x", None),  # key of a number
    ("trigger.body.nope == null", True),
)

LITERALS = (
    ("'single'", "single"),
    ('"double"', "double"),
    ("'it\\'s'", "it's"),
    ('"say \\"hi\\""', 'say "hi"'),
    ("'back\\\\slash'", "back\\slash"),
    ("'tab\\tnew\\nline'", "tab\tnew\nline"),
    ("'\"mixed\"'", '"mixed"'),
    ("''", ""),
    ("42", 42),
    ("-7", -7),
    ("2.5", 2.5),
    ("-0.25", -0.25),
    ("true", True),
    ("false", False),
    ("null", None),
    ("trigger.body.not", None),  # after '.', keywords are plain keys
)

COMPARISONS = (
    ("trigger.body.count == 2", True),
    ("trigger.body.count != 2", False),
    ("trigger.body.count < 3", True),
    ("trigger.body.count <= 2", True),
    ("trigger.body.count > 2", False),
    ("trigger.body.count >= 2", True),
    ("trigger.body.count > -1", True),
    ("200 == 200.0", True),  # JSON equality: numbers by value
    ("'200' == 200", False),  # never across types
    ("true == 1", False),  # a boolean is not a number
    ("false == 0", False),
    ("null == false", False),
    ("null == null", True),
    ("null != 0", True),
    ("trigger.body.items == trigger.body.items", True),
    ("trigger.body == trigger.headers", False),
    ("'abc' < 'abd'", True),  # strings order with strings
    ("'b' >= 'a'", True),
    ("'10' < 9", False),  # mixed types never order...
    ("'10' > 9", False),
    ("null < 1", False),  # ...nor does null...
    ("null >= 1", False),
    ("true > false", False),  # ...nor booleans
    ("trigger.body.items < 3", False),
)

LOGIC = (
    ("true && true", True),
    ("true && false", False),
    ("true and true", True),
    ("false || true", True),
    ("false or false", False),
    ("!true", False),
    ("!false", True),
    ("not null", True),
    ("not not 1", True),
    ("!!trigger.body.user_id", True),
    ("trigger.body.user_id and trigger.body.count", True),  # booleans, not operands
    ("trigger.body.nope or 0", False),
    ("trigger.body.nope or 'x'", True),
    ("(true)", True),
    ("((trigger.body.count))", 2),
)

PRECEDENCE = (
    ("true || true && false", True),  # and binds tighter than or
    ("(true || true) && false", False),
    ("false && true || true", True),
    ("!false && false", False),  # not binds tighter than and
    ("!(false && false)", True),
    ("not trigger.body.count == 3", True),  # comparison binds tighter than not: !(count == 3)
    ("!trigger.body.count == 2", False),
    ("trigger.body.count == 2 && run.id == 'run_1' || false", True),
    ("trigger.body.count == 2 and not trigger.body.gift", True),
    ("return true;", True),
    ("  \n true \n", True),
)

TRUTHINESS: tuple[tuple[Any, bool], ...] = (
    (None, False),
    (False, False),
    (0, False),
    (0.0, False),
    ("", False),
    ([], False),
    ({}, False),
    (True, True),
    (1, True),
    (-1, True),
    (0.5, True),
    ("false", True),
    ("0", True),
    ([0], True),
    ({"a": None}, True),
)


@table(*SEEDS)
def test_seed_expressions(text: str, expected: Any) -> None:
    assert evaluate(text) == expected


@table(*PATHS)
def test_paths(text: str, expected: Any) -> None:
    assert evaluate(text) == expected


@table(*MISSING_IS_NULL)
def test_missing_path_is_null(text: str, expected: Any) -> None:
    assert evaluate(text) == expected


@table(*LITERALS)
def test_literals(text: str, expected: Any) -> None:
    value = evaluate(text)
    assert value == expected and type(value) is type(expected)


@table(*COMPARISONS)
def test_comparisons(text: str, expected: bool) -> None:
    assert evaluate(text) is expected


@table(*LOGIC)
def test_logic(text: str, expected: Any) -> None:
    assert evaluate(text) == expected and type(evaluate(text)) is type(expected)


@table(*PRECEDENCE)
def test_precedence(text: str, expected: bool) -> None:
    assert evaluate(text) is expected


@table(*TRUTHINESS)
def test_truthy(text: Any, expected: bool) -> None:
    assert truthy(text) is expected


def test_and_or_short_circuit() -> None:
    """The right side is not evaluated once the left decides: it would blow up if it were."""

    class Exploding(dict[str, Any]):
        def get(self, *args: Any) -> Any:
            raise AssertionError("right side evaluated")

    context = {"ok": True, "no": False, "boom": Exploding()}
    assert parse_expression("ok || boom.x").evaluate(context) is True
    assert parse_expression("no && boom.x").evaluate(context) is False


ITEM_SKU = ("trigger", "body", "items", 0, "sku")


@pytest.mark.parametrize(
    ("text", "references", "path"),
    [
        ("steps.a.response.status == 200", [("steps", "a", "response", "status")], None),
        ("trigger.body.items[0]['sku']", [ITEM_SKU], ITEM_SKU),
        ("(steps.a.signal)", [("steps", "a", "signal")], ("steps", "a", "signal")),
        ("return trigger.body;", [("trigger", "body")], ("trigger", "body")),
        ("x.y[-1] == 1 || !z && x.y[-1]", [("x", "y", -1), ("z",)], None),
        ("'steps.a' == 1", [], None),
        ("null", [], None),
    ],
)
def test_references_and_as_path(text: str, references: list[Any], path: Any) -> None:
    expression = parse_expression(text)
    assert expression.references() == tuple(references)
    assert expression.as_path() == path
    assert expression.source == text


ERRORS = (
    # (expression, message, column)
    ("", "empty expression", 1),
    ("   \n", "empty expression", 1),
    ("a == == b", "unexpected token '=='", 6),
    ("a == b == c", "unexpected token '=='", 8),  # comparisons do not chain
    ("a ==", "unexpected end of expression", 5),
    ("return", "unexpected end of expression", 7),
    ("a b", "unexpected token 'b'", 3),  # trailing garbage
    ("a; b", "unexpected token 'b'", 4),
    ("a == 'open", "unclosed string", 6),
    ('a == "open\\"', "unclosed string", 6),
    ("'bad \\d escape'", "unknown escape '\\d' (use \\\\, \\', \\\", \\n or \\t)", 6),
    ("a[0", "unclosed '['", 2),
    ("a[", "unclosed '['", 2),
    ("a[0 == 1", "expected ']', found '=='", 5),
    ("a[b]", "expected an integer index or a quoted key inside '[ ]', found 'b'", 3),
    ("a[1.5]", "expected an integer index or a quoted key inside '[ ]', found '1.5'", 3),
    ("(a == 1", "unclosed '('", 1),
    ("(a == 1]", "expected ')', found ']'", 8),
    ("a.", "expected a name after '.', found the end", 3),
    ("a.[0]", "expected a name after '.', found '['", 3),
    ("a.1", "expected a name after '.', found '1'", 3),
    ("a = 1", "unexpected character '=' (use '==' to compare)", 3),
    ("a & b", "unexpected character '&' (use '&&' or 'and')", 3),
    ("a |", "unexpected end of expression", 4),  # 'a | b' is a JMESPath pipe now (issue 15)
    ("a @ b", "unexpected token '@'", 3),  # '@' is JMESPath's current node now (issue 15)
    ("a + 1", "unexpected character '+'", 3),
    ("== a", "unexpected token '=='", 1),
    ("a == not b", "unexpected token 'not'", 6),
    (")", "unexpected token ')'", 1),
)


@pytest.mark.parametrize(("text", "message", "column"), ERRORS, ids=[repr(row[0]) for row in ERRORS])
def test_errors_point_at_the_column(text: str, message: str, column: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    assert (caught.value.message, caught.value.column, caught.value.expression) == (message, column, text)


def test_error_reads_as_text() -> None:
    with pytest.raises(ValueError, match=r"^unexpected token '==' at column 6 in \"a == == b\"$"):
        parse_expression("a == == b")
    with pytest.raises(ValueError) as caught:
        parse_expression("return a ==\n")
    assert str(caught.value) == 'unexpected end of expression at column 13 in "return a ==\\n"'


def test_parses_are_cached() -> None:
    """The workflow re-parses the same text on every replay; it must get the same object."""
    assert parse_expression("run.id == 'x'") is parse_expression("run.id == 'x'")


def test_references_are_computed_once_and_cannot_be_changed() -> None:
    """A parsed expression is shared (the parse cache): what one caller gets is immutable."""
    expression = parse_expression("steps.a.status == 'ok' && run.id != steps.a.status")
    assert expression.references() == (("steps", "a", "status"), ("run", "id"))
    assert expression.references() is expression.references()


def test_a_thousand_step_document_stays_in_the_parse_caches() -> None:
    """A 1,000-step document with a ``when`` and a template per step (~2,000 expressions)
    fits the caches with room to spare: parses of other documents between two loads of
    it must not make its next load miss (an LRU read in a cycle larger than itself misses
    on every entry, and the load takes ~3x as long)."""
    whens = [f"steps.cache{i}.response.status == {i}" for i in range(1000)]
    templates = [f"{{{{ steps.cache{i}.response.body.id }}}}/{i}" for i in range(1000)]
    for when, template in zip(whens, templates, strict=True):
        parse_expression(when)
        parse_template(template)
    for i in range(300):
        parse_expression(f"steps.other{i}.response.status == 200")
    before = parse_expression.cache_info().misses, parse_template.cache_info().misses
    for when, template in zip(whens, templates, strict=True):
        parse_expression(when)
        parse_template(template)
    assert (parse_expression.cache_info().misses, parse_template.cache_info().misses) == before


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from("ab"), children, max_size=3),
    max_leaves=10,
)
SEGMENT = st.sampled_from([".a", ".b", "[0]", "[-1]", "[5]", "['a']"])


@given(data=JSON, segments=st.lists(SEGMENT, max_size=4), op=st.sampled_from(["==", "!=", "<", ">=", "&&", "||"]))
def test_evaluation_never_raises(data: Any, segments: list[str], op: str) -> None:
    """Whatever the data looks like, a path and an operator give a value, not an exception."""
    path = "trigger" + "".join(segments)
    parse_expression(f"{path} {op} {path}").evaluate({"trigger": data})
    parse_expression(f"!{path}").evaluate({"trigger": data})
