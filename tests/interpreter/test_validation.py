"""Validation rules: each problem named, located, and all of them found in one pass."""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

import pytest

from contract.document import Document
from contract.problems import DocumentInvalid, Problem
from interpreter.document_view import step_views
from interpreter.loader import load_document
from interpreter.references import templated_strings
from interpreter.validation import check_data, validate_document

WAIT = {"wait": {"signal": "go", "timeout": "1m"}}


def req(url: str = "http://upstream/x", **fields: Any) -> dict[str, Any]:
    return {"request": {"url": url, **fields}}


def text_of(steps: dict[str, Any], **extra: Any) -> str:
    return json.dumps({"name": "t", "steps": steps, **extra}, indent=2)


def errors(steps: dict[str, Any], **extra: Any) -> list[Problem]:
    with pytest.raises(DocumentInvalid) as caught:
        load_document(text_of(steps, **extra))
    return caught.value.problems


def only_error(steps: dict[str, Any], **extra: Any) -> tuple[str, str]:
    found = errors(steps, **extra)
    assert len(found) == 1, [str(p) for p in found]
    return ".".join(map(str, found[0].path)), found[0].message


SHAPE_CASES = [
    pytest.param({"a": {"request": {"url": "u", "timout": "5s"}}}, "steps.a.request.timout",
                 "unknown field 'timout' (did you mean 'timeout'?)", id="unknown-field"),
    pytest.param({"a": {"requests": {"url": "u"}}}, "steps.a.requests",
                 "unknown field 'requests' (did you mean 'request'?)", id="unknown-step-field"),
    pytest.param({"a": {"request": {"method": "POST"}}}, "steps.a.request.url",
                 "missing required field 'url'", id="missing"),
    pytest.param({"a": {"after": []}}, "steps.a",
                 "a step needs exactly one action of request, wait, respond (found: none)", id="no-action"),
    pytest.param({"a": {**req(), **WAIT}}, "steps.a",
                 "a step needs exactly one action of request, wait, respond (found: request, wait)", id="two-actions"),
    pytest.param({"a": {**WAIT, "directives": ["log"]}}, "steps.a",
                 "'directives' is only allowed on request steps", id="directives-on-wait"),
    pytest.param({"a": {**req(), "directives": ["log", "retry"]}}, "steps.a.directives.1",
                 "unknown directive 'retry': expected one of log, delay, spawn, cancel, signal", id="directive"),
    pytest.param({"a": req(timeout="5x")}, "steps.a.request.timeout",
                 "invalid duration '5x': expected parts like 250ms, 30s, 30m, 1h, 1d (e.g. 1h30m)", id="duration"),
    pytest.param({"a": {"wait": {"signal": "s", "timeout": "0s"}}}, "steps.a.wait.timeout",
                 "duration '0s' must be greater than zero", id="zero-duration"),
    pytest.param({"a": req(headers={"x": [1]})}, "steps.a.request.headers.x",
                 "expected a string, an integer, a number or a boolean, got a list", id="header-union"),
    pytest.param({"a": req(method="FETCH")}, "steps.a.request.method",
                 "invalid method 'FETCH': expected one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS", id="literal"),
    pytest.param({"a": {"wait": {"any": []}}}, "steps.a.wait.any", "must have at least 1 item", id="too-short"),
    pytest.param({"a": {"respond": {"status": 99, "body": 1}}}, "steps.a.respond.status",
                 "must be greater than or equal to 100 (got 99)", id="range"),
    pytest.param({"a": "nope"}, "steps.a", "expected a mapping, got a string", id="step-type"),
]


@pytest.mark.parametrize(("steps", "path", "message"), SHAPE_CASES)
def test_shape_problems_read_well(steps: dict[str, Any], path: str, message: str) -> None:
    assert only_error(steps) == (path, message)


def test_bad_document_name_and_unknown_top_level_field() -> None:
    with pytest.raises(DocumentInvalid) as caught:
        load_document(json.dumps({"name": "Bad Name", "stpes": {}, "steps": {"a": req()}}))
    assert [(p.path, p.message.split(":")[0]) for p in caught.value.problems] == [
        (("name",), "invalid name 'Bad Name'"),
        (("stpes",), "unknown field 'stpes' (did you mean 'steps'?)"),
    ]


REFERENCE_CASES = [
    pytest.param({"a": req("{{ foo.bar }}")}, "steps.a.request.url",
                 'unknown root "foo" in template: expected one of trigger, steps, secrets, run', id="root"),
    pytest.param({"a": req(body={"x": ["{{ trigger.bdy }}"]})}, "steps.a.request.body.x.0",
                 "unknown field trigger.bdy: expected trigger.body, trigger.headers, trigger.query", id="trigger"),
    pytest.param({"a": req(query={"q": "{{ run.name }}"})}, "steps.a.request.query.q",
                 "unknown field run.name: expected run.id or run.workflow", id="run"),
    pytest.param({"a": req(), "b": {**WAIT, "after": ["a"], "when": "steps.c.status == 'x'"}}, "steps.b.when",
                 "steps.c names an unknown step 'c'", id="unknown-step"),
    pytest.param({"a": req(), "b": {**req(), "when": "steps.a.response.status == 200"}}, "steps.b.when",
                 "steps.a cannot have finished when b runs: add a to b's after (directly or through another step)",
                 id="not-ancestor"),
    pytest.param({"a": {**req(), "when": "steps.a.status == 'completed'"}}, "steps.a.when",
                 "steps.a is this step itself: its result does not exist yet when its when is evaluated", id="self"),
    pytest.param({"a": req(), "b": {**WAIT, "after": ["a"], "when": "steps.a.signal.name == 'x'"}}, "steps.b.when",
                 "unknown field steps.a.signal of a request step: expected one of status, response", id="field"),
    pytest.param({"w": WAIT, "b": req("{{ steps.w.response.body }}") | {"after": ["w"]}},
                 "steps.b.request.url", "unknown field steps.w.response of a wait step: expected one of status, signal",
                 id="wait-field"),
    pytest.param({"a": {**req(), "when": "a == == b"}}, "steps.a.when",
                 "bad expression: unexpected token '==' (column 6 of the expression)", id="bad-when"),
    pytest.param({"a": req("http://x/{{ trigger.body. }}")}, "steps.a.request.url",
                 "bad template: expected a name after '.', found the end (column 27 of the string)", id="bad-template"),
]


@pytest.mark.parametrize(("steps", "path", "message"), REFERENCE_CASES)
def test_references_are_checked(steps: dict[str, Any], path: str, message: str) -> None:
    assert only_error(steps) == (path, message)


SECRET_CASES = [
    pytest.param({"a": {**req(), "when": "secrets.K == 'x'"}}, "steps.a.when", "not in a when", id="when"),
    pytest.param({"a": req(), "r": {"after": ["a"], "respond": {"body": {"k": "{{ secrets.K }}"}}}},
                 "steps.r.respond.body.k", "not in a respond step", id="respond-body"),
    pytest.param({"a": req(), "r": {"after": ["a"], "respond": {"headers": {"x": "{{ secrets.K }}"}}}},
                 "steps.r.respond.headers.x", "not in a respond step", id="respond-headers"),
    pytest.param({"a": req()}, "response.body", "not in the response block", id="response-block"),
    pytest.param({"a": req(body={"t": "{{ secrets.K == 'x' }}"})}, "steps.a.request.body.t",
                 "secrets.K must stand alone as {{ secrets.K }}, not inside an expression", id="in-comparison"),
    pytest.param({"a": req("{{ secrets.K.part }}")}, "steps.a.request.url",
                 "secrets.K.part: name one secret, as secrets.NAME", id="sub-path"),
    pytest.param({"a": req("{{ secrets }}")}, "steps.a.request.url", "secrets: name one secret", id="bare-root"),
]


@pytest.mark.parametrize(("steps", "path", "message"), SECRET_CASES)
def test_secrets_only_stand_alone_in_requests(steps: dict[str, Any], path: str, message: str) -> None:
    extra = {"response": {"body": "{{ secrets.K }}"}} if path.startswith("response") else {}
    found_path, found = only_error(steps, **extra)
    assert found_path == path and message in found


def test_secrets_in_every_request_field_are_accepted() -> None:
    secret = "{{ secrets.TOKEN }}"
    request = req(f"{secret}/x", headers={"authorization": f"Bearer {secret}"}, query={"k": secret}, body=[secret])
    assert load_document(text_of({"a": request})).warnings == []


def test_response_block_may_read_any_step_but_respond_steps_only_ancestors() -> None:
    steps = {"a": req(), "b": req(), "r": {"after": ["a"], "respond": {"body": "{{ steps.b.response.body }}"}}}
    assert only_error(steps, response={"body": {"x": "{{ steps.b.response.body }}"}}) == (
        "steps.r.respond.body",
        "steps.b cannot have finished when r runs: add b to r's after (directly or through another step)",
    )


def test_ancestry_through_another_step_counts() -> None:
    steps = {"a": req(), "b": {**WAIT, "after": ["a"]}, "c": {**req("{{ steps.a.response.body }}"), "after": ["b"]}}
    assert load_document(text_of(steps)).document.steps["c"].after == ["b"]


@pytest.mark.parametrize(
    ("body_from", "message"),
    [
        ("steps.a.response.body", None),
        ("{{ steps.a.response.body }}", "bad path"),
        ("steps.a.response.status == 200", "body_from must be a path such as steps.x.response.body"),
        ("steps.z.response.body", "steps.z names an unknown step 'z'"),
    ],
)
def test_body_from_is_a_bare_path(body_from: str, message: str | None) -> None:
    steps = {"a": req(), "r": {"after": ["a"], "respond": {"body_from": body_from}}}
    if message is None:
        assert load_document(text_of(steps)).document.steps["r"].respond.body_from == body_from  # type: ignore[union-attr]
    else:
        path, found = only_error(steps)
        assert path == "steps.r.respond.body_from" and message in found


@pytest.mark.parametrize(("after", "ok"), [([], False), (["a"], True), (["a", "b"], False)])
def test_respond_without_body_needs_exactly_one_upstream(after: list[str], ok: bool) -> None:
    steps = {"a": req(), "b": req(), "r": {"after": after, "respond": {"status": 201}}}
    if ok:
        load_document(text_of(steps))
    else:
        path, message = only_error(steps)
        assert path == "steps.r.respond"
        assert message.startswith("respond step 'r' has no 'body' or 'body_from'") and "add 'body' or 'body_from'" in message


def test_respond_with_explicit_null_body_needs_no_upstream() -> None:
    load_document(text_of({"r": {"respond": {"body": None}}}))


def test_four_different_errors_are_reported_together() -> None:
    steps = {
        "a": {"request": {"url": "{{ nope }}", "timout": "1s"}},
        "b": {"after": ["ghost"], "wait": {"signal": "s", "timeout": "soon"}},
    }
    assert [".".join(map(str, p.path)) for p in errors(steps)] == [
        "steps.a.request.url",
        "steps.a.request.timout",
        "steps.b.after.0",
        "steps.b.wait.timeout",
    ]


def test_graph_problems_are_found_even_when_the_shape_is_broken() -> None:
    steps = {"a": {"after": ["b"], "wait": {"signal": 5}}, "b": {"after": ["a"], "respond": {"body": 1}}}
    messages = [p.message for p in errors(steps)]
    assert "cycle: a -> b -> a" in messages
    assert "expected a string, got an integer" in messages


YAML_TEXT = """\
name: located
steps:
  fetch:
    request:
      url: "{{ secrets.API }}/items"
  check:
    after: [fetch, missing]
    when: "steps.later.status == 'completed'"
    wait:
      signal: go
      timeout: 10x
  later:
    after: [check]
    respond: {body: "{{ secrets.API }}"}
"""


def test_yaml_problems_have_line_and_column() -> None:
    with pytest.raises(DocumentInvalid) as caught:
        load_document(YAML_TEXT, source="located.yaml")
    assert [(p.line, p.column, p.step) for p in caught.value.problems] == [
        (7, 20, "check"),  # after[1]: the list item itself
        (8, 5, "check"),  # when reads a step that runs later
        (11, 7, "check"),  # bad duration
        (14, 15, "later"),  # secret in a respond step: the body key in the flow mapping
    ]


def test_validate_document_checks_models_that_skip_the_loader() -> None:
    document = Document.model_validate(
        {"name": "m", "steps": {"a": {"after": ["b"], "respond": {"body": "{{ steps.b.response }}"}}, "b": req()}}
    )
    assert validate_document(document) == []
    broken = Document.model_validate({"name": "m", "steps": {"a": {"after": ["zz"], "wait": {"signal": "s"}}}})
    found = validate_document(broken)
    assert [(p.severity, p.path) for p in found] == [
        ("error", ("steps", "a", "after", 0)),
        ("warning", ("steps", "a", "wait")),
    ]
    assert all(p.line is None for p in found)


def warnings_of(steps: dict[str, Any], **extra: Any) -> list[str]:
    return [p.message for p in load_document(text_of(steps, **extra)).warnings]


def two_responders(when_a: str | None, when_b: str | None) -> dict[str, Any]:
    gate = {"after": ["start"]}
    return {
        "start": req(),
        "ok": {**gate, **({"when": when_a} if when_a else {}), "respond": {"body": 1}},
        "ko": {**gate, **({"when": when_b} if when_b else {}), "respond": {"body": 2}},
    }


def test_wait_without_timeout_is_a_warning() -> None:
    (message,) = warnings_of({"w": {"wait": {"signal": "go"}}})
    assert message.startswith("wait step 'w' has no timeout, so it can wait forever")


STATUS = "steps.start.response.status"


@pytest.mark.parametrize(
    ("when_a", "when_b"),
    [
        (f"{STATUS} == 200", f"!({STATUS} == 200)"),
        (f"{STATUS} == 200", f"not ({STATUS} == 200)"),
        ("steps.start.response.body.ok", "not steps.start.response.body.ok"),
        ("steps.start.response.body.ok", "!steps.start.response.body.ok"),
        (f"{STATUS} == 200", f"return {STATUS} != 200"),
        (f"{STATUS} == 200", f"200 != {STATUS}"),
        ("steps.start.response.body.state == 'paid'", "steps.start.response.body.state == \"failed\""),
    ],
)
def test_respond_steps_behind_opposite_whens_are_not_warned(when_a: str, when_b: str) -> None:
    assert warnings_of(two_responders(when_a, when_b)) == []


@pytest.mark.parametrize(
    ("when_a", "when_b"),
    [
        (None, None),
        (f"{STATUS} == 200", None),
        (f"{STATUS} > 200", f"{STATUS} <= 200"),  # opposite in fact, beyond the simple rule
        (f"{STATUS} == 200", f"{STATUS} == 200.0"),  # the same literal
        (f"{STATUS} == 200", f"{STATUS} != 201"),
    ],
)
def test_respond_steps_that_can_both_run_are_warned(when_a: str | None, when_b: str | None) -> None:
    (message,) = warnings_of(two_responders(when_a, when_b))
    assert message.startswith("respond steps 'ok' and 'ko' can both run in one execution")


def test_exclusivity_is_inherited_from_ancestors() -> None:
    steps = {
        "start": req(),
        "paid": {"after": ["start"], "when": f"{STATUS} == 200", **req()},
        "unpaid": {"after": ["start"], "when": f"!({STATUS} == 200)", **req()},
        "thanks": {"after": ["paid"], "respond": {"body": 1}},
        "sorry": {"after": ["unpaid"], "respond": {"body": 2}},
    }
    assert warnings_of(steps) == []


def test_opposite_whens_on_different_parents_are_warned() -> None:
    steps = {
        "start": req(),
        "other": req(),
        "ok": {"after": ["start"], "when": "trigger.body.fast", "respond": {"body": 1}},
        "ko": {"after": ["other"], "when": "!trigger.body.fast", "respond": {"body": 2}},
    }
    (message,) = warnings_of(steps)
    assert message.startswith("respond steps 'ok' and 'ko' can both run")


def test_response_block_next_to_a_respond_step_that_always_runs_is_warned() -> None:
    steps = {"start": req(), "early": {"after": ["start"], "respond": {"status": 202}}}
    (message,) = warnings_of(steps, response={"body": "{{ steps.start.response.body }}"})
    assert message.startswith("the response block is never sent: respond step 'early' always runs")


@pytest.mark.parametrize(
    "gate",
    [
        {"when": "steps.start.response.status == 202"},
        {"wait": {"signal": "go", "timeout": "1m", "on_timeout": "skip"}},
    ],
)
def test_response_block_next_to_a_gated_respond_step_is_fine(gate: dict[str, Any]) -> None:
    middle = {"after": ["start"], **(gate if "wait" in gate else {**gate, **req()})}
    steps = {"start": req(), "middle": middle, "early": {"after": ["middle"], "respond": {"body": 1}}}
    assert warnings_of(steps, response={"body": 1}) == []


def test_the_checks_read_any_mapping_not_just_json_dicts() -> None:
    """The views and the template walk test ``dict`` by type first (JSON values); data
    given as other mappings (a read-only view, say) must be read the same way."""
    plain = {
        "name": "t",
        "steps": {
            "a": {"request": {"url": "http://upstream/x", "body": {"k": ["{{ steps.b.status }}", 1, None]}}},
            "b": {"after": ["a"], "respond": {"body": {"x": "{{ run.nope }}"}}},
        },
    }
    proxied: dict[str, Any] = {
        "name": "t",
        "steps": MappingProxyType({
            "a": MappingProxyType({"request": MappingProxyType(
                {"url": "http://upstream/x", "body": MappingProxyType({"k": ["{{ steps.b.status }}", 1, None]})})}),
            "b": MappingProxyType({"after": ["a"], "respond": MappingProxyType(
                {"body": MappingProxyType({"x": "{{ run.nope }}"})})}),
        }),
    }
    views = step_views(proxied)
    assert [(view.id, view.kind, view.after) for view in views.values()] == [("a", "request", []), ("b", "respond", ["a"])]
    found = list(templated_strings(proxied["steps"]["a"]["request"], ("steps", "a", "request")))
    assert found == [("{{ steps.b.status }}", ("steps", "a", "request", "body", "k", 0))]
    expected = [
        ("steps.b cannot have finished when a runs: add b to a's after (directly or through another step)",
         ("steps", "a", "request", "body", "k", 0)),
        ("unknown field run.nope: expected run.id or run.workflow", ("steps", "b", "respond", "body", "x")),
    ]
    for data in (plain, proxied):
        assert [(p.message, p.path) for p in check_data(data).problems if p.is_error] == expected
