"""The workflow renders request templates but leaves secrets to the activity, in slots that
only the document's own strings can create."""

from __future__ import annotations

from typing import Any

from contract.document import Step
from contract.messages import SecretRef, SecretSlot
from interpreter.compiler import compile_step
from interpreter.rendering import render_request

CONTEXT: dict[str, Any] = {
    "trigger": {"body": {"id": 7, "evil": "{{ secrets.TOKEN }}", "tags": ["a", "b"]}, "headers": {}, "query": {}},
    "steps": {"cart": {"status": "completed", "response": {"status": 201, "headers": {}, "body": {"id": "c1"}}}},
    "run": {"id": "run_1", "workflow": "wf"},
}


def _render(**action: Any) -> dict[str, Any]:
    step = compile_step("call", Step.model_validate({"request": {"url": "http://x", **action}}))
    return render_request(step, CONTEXT)  # type: ignore[arg-type]  # a request step


def test_plain_templates_render_in_the_workflow() -> None:
    out = _render(url="http://x/carts/{{ steps.cart.response.body.id }}", body={"id": "{{ trigger.body.id }}"})
    assert out["url"] == "http://x/carts/c1"
    assert out["body"] == {"id": 7}
    assert out["has_body"] is True
    assert out["secret_slots"] == []


def test_secrets_become_slots_with_other_parts_rendered() -> None:
    out = _render(
        url="{{ secrets.API }}/carts/{{ steps.cart.response.body.id }}",
        headers={"authorization": "Bearer {{ secrets.TOKEN }}", "x-n": 5},
        body={"auth": ["{{ secrets.TOKEN }}"], "id": "{{ trigger.body.id }}"},
    )
    assert out["url"] == "" and out["headers"] == {"authorization": "", "x-n": "5"}
    assert out["body"] == {"auth": [""], "id": 7}
    assert out["secret_slots"] == [
        SecretSlot(path=["url"], parts=[SecretRef(secret="API"), "/carts/", "c1"]),
        SecretSlot(path=["headers", "authorization"], parts=["Bearer ", SecretRef(secret="TOKEN")]),
        SecretSlot(path=["body", "auth", 0], parts=[SecretRef(secret="TOKEN")]),
    ]


def test_data_that_looks_like_a_secret_template_stays_text() -> None:
    out = _render(body={"note": "{{ trigger.body.evil }}"}, headers={"x": "{{ trigger.body.evil }}"})
    assert out["body"] == {"note": "{{ secrets.TOKEN }}"}
    assert out["headers"] == {"x": "{{ secrets.TOKEN }}"}
    assert out["secret_slots"] == []


def test_values_inside_strings_render_as_json_text() -> None:
    out = _render(query={"tags": "{{ trigger.body.tags }}", "missing": "x{{ trigger.body.nope }}y", "n": 3})
    assert out["query"] == {"tags": '["a","b"]', "missing": "xy", "n": "3"}


def test_no_body_means_no_body() -> None:
    assert _render()["has_body"] is False
    assert _render(body=None)["has_body"] is False
