"""Properties of the JMESPath half of the language, over random JSON and expressions.

* Evaluation never raises, whatever the data and the expression, and gives JSON.
* It never needs the backstop either: each query's own ``search`` does not raise, so
  a wrong type is null at the function that met it, not for the whole query.
* Our operators keep our rules inside a query: an expression of paths, literals,
  comparisons and logic gives the same value natively and through jmespath.
* Any string survives being spelled for jmespath, as a literal and as a key.
"""

from __future__ import annotations

import json
from typing import Any

import jmespath
from hypothesis import given, settings
from hypothesis import strategies as st

from interpreter.expressions import FUNCTIONS, parse_expression
from interpreter.expressions.ast import Literal
from interpreter.expressions.functions import OPTIONS
from interpreter.expressions.query import Chain, Current, Key

SCALARS = st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False, allow_infinity=False) | st.text("ab1 ", max_size=3)
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from("ab"), children, max_size=3),
    max_leaves=12,
)
CONTEXTS = st.fixed_dictionaries({"a": JSON, "b": JSON})

PATHS = st.sampled_from(["a", "b", "a.a", "a.b", "b[0]", "a[-1]", "a.a[0].b", "a['b']", "@"])
LITERALS = st.sampled_from(["0", "1", "-1", "2.5", "'a'", '"b"', "''", "true", "false", "null"])
COMPARE = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
POSTFIX = st.sampled_from(["[*]", "[]", ".*", "[0]", "[-1]", "[1:]", "[::-1]", "[:2:2]", ".a", "['b']", "[*].a"])


def _call(draw: Any, name: str, child: Any) -> str:
    signature = FUNCTIONS[name]
    count = len(signature.types) + (draw(st.integers(0, 1)) if signature.variadic else 0)
    args = [("&" if signature.takes_expref(i) else "") + f"({draw(child)})" for i in range(count)]
    return f"{name}({', '.join(args)})"


def _compound(child: Any) -> Any:
    @st.composite
    def build(draw: Any) -> str:
        kind = draw(st.sampled_from(["call", "filter", "postfix", "pipe", "list", "hash", "compare", "not", "logic"]))
        if kind == "call":
            return _call(draw, draw(st.sampled_from(sorted(FUNCTIONS))), child)
        if kind == "filter":
            return f"({draw(child)})[?({draw(child)})]"
        if kind == "postfix":
            return f"({draw(child)}){draw(POSTFIX)}"
        if kind == "pipe":
            return f"({draw(child)}) | ({draw(child)})"
        if kind == "list":
            return f"[({draw(child)}), ({draw(child)})]"
        if kind == "hash":
            return f"{{k: ({draw(child)}), 'x-y': ({draw(child)})}}"
        if kind == "compare":
            return f"({draw(child)}) {draw(COMPARE)} ({draw(child)})"
        if kind == "not":
            return f"!({draw(child)})"
        return f"({draw(child)}) {draw(st.sampled_from(['&&', '||', 'and', 'or']))} ({draw(child)})"

    return build()


EXPRESSIONS = st.recursive(PATHS | LITERALS, _compound, max_leaves=8)


@settings(max_examples=400, deadline=None)
@given(context=CONTEXTS, text=EXPRESSIONS)
def test_evaluation_never_raises(context: dict[str, Any], text: str) -> None:
    expression = parse_expression(text)
    json.dumps(expression.evaluate(context))  # a value, and JSON: no &expression leaks out
    for query in expression.root.queries():
        query.compiled.search(context, options=OPTIONS)  # the backstop is never what saves us


NATIVE = st.recursive(
    st.sampled_from(["a", "b", "a.a", "b[0]", "a[-1]", "a['b'][1]"]) | LITERALS,
    lambda child: st.one_of(
        st.tuples(child, COMPARE, child).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
        st.tuples(child, st.sampled_from(["&&", "||"]), child).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
        child.map(lambda c: f"!({c})"),
    ),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(context=CONTEXTS, text=NATIVE)
def test_our_operators_mean_the_same_inside_a_query(context: dict[str, Any], text: str) -> None:
    root = parse_expression(text).root
    through_jmespath = jmespath.compile(root.jmespath()).search(context, options=OPTIONS)
    assert json.dumps(through_jmespath) == json.dumps(root.evaluate(context))


@given(text=st.text())
def test_any_string_survives_the_spelling(text: str) -> None:
    assert jmespath.compile(Literal(text).jmespath()).search(None) == text
    assert Chain(Current(), (Key(text),)).evaluate({text: 1, "other": 2}) == 1
