"""The compile stage: a valid document becomes typed steps with everything parsed once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

from contract.document import Document
from interpreter.compiler import RequestStep, RespondStep, WaitStep, compile_document, compile_value
from interpreter.expressions import Expression, Template, render_value
from interpreter.loader import load_document

EXAMPLES = Path(__file__).parents[2] / "examples"

DOC = """
name: shop
steps:
  quote:
    request:
      method: post
      url: "{{ secrets.API }}/quote"
      headers: {x-run: "{{ run.id }}", plain: fixed}
      body: {items: "{{ trigger.body.items }}", note: literal, n: 3}
      timeout: 1m30s
      retry: {max_attempts: 5, initial_interval: 250ms, backoff: 1.5, max_interval: 1h}
      local: true
    directives: [log, delay]
  approve:
    after: [quote]
    when: "steps.quote.response.status == 200"
    wait: {any: [ok, no], timeout: 30m, on_timeout: continue}
  answer:
    after: [approve]
    respond: {status: 201, body_from: steps.quote.response.body}
response:
  body: {id: "{{ run.id }}"}
"""


def test_each_step_kind_compiles_to_its_own_class() -> None:
    compiled = load_document(DOC).compiled
    assert [type(step) for step in compiled.steps.values()] == [RequestStep, WaitStep, RespondStep]
    assert [compiled.kind(sid) for sid in compiled.steps] == ["request", "wait", "respond"]


def test_durations_and_retry_are_values() -> None:
    quote = load_document(DOC).compiled.steps["quote"]
    assert isinstance(quote, RequestStep)
    assert quote.timeout == timedelta(seconds=90)
    assert quote.retry.initial_interval == timedelta(milliseconds=250)
    assert quote.retry.max_interval == timedelta(hours=1)
    assert (quote.retry.max_attempts, quote.retry.backoff) == (5, 1.5)
    assert (quote.method, quote.local, quote.directives, quote.has_body) == ("POST", True, ("log", "delay"), True)


def test_wait_timeout_and_signals() -> None:
    approve = load_document(DOC).compiled.steps["approve"]
    assert isinstance(approve, WaitStep)
    assert approve.signals == ("ok", "no")
    assert (approve.timeout, approve.timeout_text, approve.on_timeout) == (timedelta(minutes=30), "30m", "continue")
    assert approve.after == ("quote",)


def test_a_wait_without_timeout_waits_forever() -> None:
    compiled = compile_document(load_document(DOC.replace("timeout: 30m, ", "")).document)
    approve = compiled.steps["approve"]
    assert isinstance(approve, WaitStep) and approve.timeout is None and approve.timeout_text == ""


def test_when_and_body_from_are_parsed_expressions() -> None:
    steps = load_document(DOC).compiled.steps
    assert isinstance(steps["approve"].when, Expression)
    assert steps["approve"].when.evaluate({"steps": {"quote": {"response": {"status": 200}}}}) is True
    answer = steps["answer"]
    assert isinstance(answer, RespondStep) and isinstance(answer.body_from, Expression)
    assert steps["quote"].when is None


def test_templated_strings_are_parsed_and_plain_values_kept() -> None:
    quote = load_document(DOC).compiled.steps["quote"]
    assert isinstance(quote, RequestStep)
    assert isinstance(quote.url, Template)
    assert isinstance(quote.headers["x-run"], Template) and quote.headers["plain"] == "fixed"
    assert isinstance(quote.body["items"], Template)
    assert (quote.body["note"], quote.body["n"]) == ("literal", 3)
    context = {"trigger": {"body": {"items": [1, 2]}}, "run": {"id": "run_1"}}
    assert render_value(quote.body, context) == {"items": [1, 2], "note": "literal", "n": 3}


def test_the_response_block_compiles_and_renders() -> None:
    compiled = load_document(DOC).compiled
    assert compiled.response is not None
    assert render_value(compiled.response.body, {"run": {"id": "run_9"}}) == {"id": "run_9"}


def test_the_graph_is_the_one_validation_planned() -> None:
    loaded = load_document(DOC)
    assert loaded.compiled.graph.order == ("quote", "approve", "answer")
    assert loaded.plan is loaded.compiled.graph
    assert compile_document(loaded.document).graph.order == loaded.plan.order


def test_every_example_compiles() -> None:
    for path in sorted(EXAMPLES.glob("*.yaml")):
        compiled = load_document(path.read_text(), source=path.name).compiled
        assert set(compiled.steps) == set(compiled.document.steps), path.name


def test_the_secrets_a_document_uses_are_listed_once_sorted() -> None:
    assert load_document(DOC).compiled.secrets == ("API",)
    checkout = load_document((EXAMPLES / "async-checkout.yaml").read_text()).compiled
    assert checkout.secrets == ("ECOM_API_URL",)
    directives = load_document((EXAMPLES / "response-header-directives.yaml").read_text()).compiled
    assert directives.secrets == (
        "FRAUD_SERVICE_TOKEN", "FRAUD_SERVICE_URL", "ORDER_SERVICE_TOKEN", "ORDER_SERVICE_URL",
        "PAYMENT_GATEWAY_TOKEN", "PAYMENT_GATEWAY_URL",
    )


def test_compile_value_takes_any_mapping_and_sequence_not_just_json_dicts_and_lists() -> None:
    """The walk tests ``dict``/``list``/``str`` by type first (JSON values); other
    mappings, tuples and ``str`` subclasses must still be walked and parsed."""

    class Text(str):
        pass

    compiled = compile_value(MappingProxyType({"a": ("x", Text("{{ run.id }}")), "b": {}, "c": 1.5, "d": None}))
    assert isinstance(compiled, dict) and compiled["b"] == {} and (compiled["c"], compiled["d"]) == (1.5, None)
    assert compiled["a"][0] == "x" and isinstance(compiled["a"][1], Template)
    assert render_value(compiled, {"run": {"id": "r1"}}) == {"a": ["x", "r1"], "b": {}, "c": 1.5, "d": None}
    empty: dict[str, Any] = {}
    assert compile_value(empty) == {} and compile_value(empty) is not empty  # a copy, as before


def test_secrets_are_read_from_request_steps_only() -> None:
    """Validation refuses a secret outside a request step; a model compiled without
    validation (as the workflow compiles its input) still lists only the request steps'."""
    document = Document.model_validate({
        "name": "s",
        "steps": {
            "call": {"request": {"url": "{{ secrets.B_URL }}", "headers": {"t": "{{ secrets.A_TOKEN }}"},
                                 "body": [{"k": "{{ secrets.B_URL }}"}]}},
            "answer": {"after": ["call"], "respond": {"body": "{{ secrets.HIDDEN }}"}},
        },
        "response": {"body": "{{ secrets.ALSO_HIDDEN }}"},
    })
    assert compile_document(document).secrets == ("A_TOKEN", "B_URL")


def test_each_step_gets_its_own_retry_policy_even_when_equal_ones_are_shared() -> None:
    document = Document.model_validate({
        "name": "r",
        "steps": {
            "a": {"request": {"url": "http://x"}},
            "b": {"request": {"url": "http://x", "retry": {"max_attempts": 7, "max_interval": "2m"}}},
            "c": {"request": {"url": "http://x"}},
        },
    })
    steps = compile_document(document).steps
    retries = [step.retry for step in steps.values() if isinstance(step, RequestStep)]
    assert [(r.max_attempts, r.initial_interval, r.max_interval) for r in retries] == [
        (3, timedelta(seconds=1), timedelta(seconds=30)),
        (7, timedelta(seconds=1), timedelta(minutes=2)),
        (3, timedelta(seconds=1), timedelta(seconds=30)),
    ]
