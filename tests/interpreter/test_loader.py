"""Loading text: JSON or YAML, duplicate and non-string keys, positions, the seeds."""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path

import pytest
import yaml

from contract.problems import DocumentInvalid, Problem
from interpreter import loader
from interpreter.loader import load_document
from interpreter.source import read_source

EXAMPLES = Path(__file__).parents[2] / "examples"
SEEDS = ["async-checkout", "response-header-directives"]


def problems_of(text: str | bytes) -> list[Problem]:
    with pytest.raises(DocumentInvalid) as caught:
        load_document(text)
    return caught.value.problems


@pytest.mark.parametrize("seed", SEEDS)
def test_seed_yaml_and_json_load_to_equal_models(seed: str) -> None:
    from_yaml = load_document((EXAMPLES / f"{seed}.yaml").read_text(), source=f"{seed}.yaml")
    from_json = load_document((EXAMPLES / f"{seed}.json").read_bytes(), source=f"{seed}.json")
    assert from_yaml.document == from_json.document
    assert from_yaml.document.name == seed
    assert from_yaml.warnings == [] and from_json.warnings == []
    assert from_yaml.plan == from_json.plan


def test_seed_plan_follows_the_checkout_chain() -> None:
    loaded = load_document((EXAMPLES / "async-checkout.yaml").read_text())
    assert loaded.plan.order[0] == "create_cart" and loaded.plan.order[-1] == "finalize_order"
    assert loaded.plan.ancestors["compute_shipping"] == {"create_cart", "confirm_address"}


def test_block_scalar_when_is_trimmed() -> None:
    loaded = load_document((EXAMPLES / "response-header-directives.yaml").read_text())
    assert loaded.document.steps["record_order"].when == "return steps.authorize_payment.response.status == 200"


def test_json_is_chosen_by_content_and_yaml_otherwise() -> None:
    assert read_source('{"name": "x"}').format == "json"
    assert read_source("name: x").format == "yaml"
    assert read_source('["not", "an object"]').format == "yaml"


def test_positions_of_keys_and_items_are_one_based() -> None:
    source = read_source("name: x\nsteps:\n  a:\n    after: [b, c]\n")
    assert source.source_map.positions[("steps", "a")] == (3, 3)
    assert source.source_map.positions[("steps", "a", "after", 1)] == (4, 16)
    assert source.source_map.locate(("steps", "a", "missing", "deeper")) == (3, 3)


YAML_CASES = [
    ("name: [x\n", "YAML syntax error", 2, 1),
    ("name: x\nname: y\nsteps: {}\n", "duplicate key 'name' (first defined on line 1)", 2, 1),
    ("name: x\nsteps:\n  a:\n    request: {url: u}\n    request: {url: v}\n", "duplicate key 'request'", 5, 5),
    ("name: x\nsteps:\n  a:\n    wait: {signal: s, timeout: 1m}\n  true: {respond: {}}\n", "key 'true' is read as a boolean", 5, 3),
    ("name: x\nsteps:\n  1: {respond: {}}\n", "key '1' is read as a number", 3, 3),
    ("- name: x\n", "the top level must be a mapping", 1, 1),
    ("name: x\nsteps: !!python/object:os.system {}\n", "unsupported YAML tag", 2, 8),
    ("name: x\nsteps:\n  a: &a {after: [*a]}\n", "a YAML alias refers to itself", 3, 6),
]


@pytest.mark.parametrize(("text", "message", "line", "column"), YAML_CASES)
def test_yaml_loading_problems_are_located(text: str, message: str, line: int, column: int) -> None:
    found = [p for p in problems_of(text) if message in p.message]
    assert found, problems_of(text)
    assert (found[0].line, found[0].column) == (line, column)


def test_empty_and_non_utf8_documents_are_rejected() -> None:
    assert [p.message for p in problems_of("")] == ["the document is empty"]
    assert "not UTF-8" in problems_of(b"name: \xff\n")[0].message


def test_json_duplicate_keys_are_located() -> None:
    text = '{\n  "name": "x",\n  "steps": {"a": {"respond": {"body": 1}}},\n  "name": "y"\n}'
    (problem,) = problems_of(text)
    assert problem.message == "duplicate key 'name' (first defined on line 2)"
    assert (problem.path, problem.line, problem.column) == (("name",), 4, 3)


def test_json_duplicates_are_found_even_without_positions() -> None:
    # YAML refuses the escaped surrogate pair JSON allows, so positions are unknown here
    text = '{"name": "x", "steps": {"a": {"respond": {"body": "\\ud83d\\ude00"}, "respond": {}}}}'
    problems = problems_of(text)
    duplicate = [p for p in problems if p.message == "duplicate key 'respond'"]
    assert duplicate and duplicate[0].path == ("steps", "a", "respond") and duplicate[0].line is None


def test_json_problems_carry_line_and_column() -> None:
    document = {"name": "x", "steps": {"a": {"request": {"url": "u", "timout": "5s"}}}}
    text = json.dumps(document, indent=2)
    (problem,) = problems_of(text)
    assert problem.path == ("steps", "a", "request", "timout")
    assert (problem.line, problem.column) == (7, 9)
    assert str(problem) == (
        "steps.a.request.timout (line 7, column 9): unknown field 'timout' (did you mean 'timeout'?)"
    )


def test_yaml_values_keep_safe_loader_types_but_dates_stay_text() -> None:
    text = "name: x\nsteps:\n  a:\n    request:\n      url: u\n      body: {flag: true, word: yes, day: 2026-05-15, n: 1.5}\n"
    body = load_document(text).document.steps["a"].request.body  # type: ignore[union-attr]
    assert body == {"flag": True, "word": "yes", "day": "2026-05-15", "n": 1.5}


def test_every_error_is_reported_at_once_sorted_by_line() -> None:
    text = (
        "name: x\n"
        "steps:\n"
        "  a:\n"
        "    request:\n"
        "      url: '{{ nope.x }}'\n"
        "      timout: 5s\n"
        "  b:\n"
        "    after: [zz]\n"
        "    wait: {signal: s, timeout: 5x}\n"
    )
    problems = problems_of(text)
    assert [(p.line, p.message.split(":")[0]) for p in problems] == [
        (5, 'unknown root "nope" in template'),
        (6, "unknown field 'timout' (did you mean 'timeout'?)"),
        (8, "'after' names unknown step 'zz'"),
        (9, "invalid duration '5x'"),
    ]


def test_document_invalid_reads_well_and_serialises() -> None:
    with pytest.raises(DocumentInvalid) as caught:
        text = "name: x\nsteps:\n  a:\n    respond: {}\n  b:\n    after: [q]\n    wait: {signal: s, timeout: 1m}\n"
        load_document(text, source="x.yaml")
    text = str(caught.value)
    assert text.splitlines()[0] == "x.yaml is invalid (2 problems):"
    assert "steps.b.after[0] (line 6, column 13): 'after' names unknown step 'q'" in text
    assert caught.value.to_dict()["problems"][0] == {
        "message": caught.value.problems[0].message,
        "path": "steps.a.respond",
        "step": "a",
        "line": 4,
        "column": 5,
        "severity": "error",
    }


def test_warnings_come_back_located() -> None:
    loaded = load_document("name: x\nsteps:\n  a:\n    wait: {signal: go}\n")
    (warning,) = loaded.warnings
    assert (warning.severity, warning.step, warning.line, warning.column) == ("warning", "a", 4, 5)
    assert "waits forever" in str(warning) or "wait forever" in str(warning)


@pytest.mark.parametrize("form", ["json", "yaml"])
@pytest.mark.parametrize("shape", ["chain", "fan-out"])
def test_a_thousand_step_document_loads_validates_and_plans(shape: str, form: str) -> None:
    def step(after: list[str]) -> dict[str, object]:
        url = f"http://upstream/{{{{ steps.{after[0]}.response.body.id }}}}" if after else "http://upstream/"
        return {"after": after, "request": {"url": url, "body": {"user": "{{ trigger.body.user }}"}}}

    n = 1000
    if shape == "chain":
        steps = {f"s{i}": step([f"s{i - 1}"] if i else []) for i in range(n)}
    else:
        steps = {"root": step([]), **{f"s{i}": step(["root"]) for i in range(n - 2)}}
        steps["join"] = {"after": [f"s{i}" for i in range(n - 2)], "respond": {"body": "{{ steps.s5.response }}"}}
    document = {"name": "big", "steps": steps}
    text = json.dumps(document) if form == "json" else yaml.safe_dump(document, sort_keys=False)
    loaded = load_document(text)
    assert len(loaded.document.steps) == n and loaded.warnings == []
    assert loaded.plan.order[0] in ("s0", "root") and loaded.plan.order[-1] in ("s999", "join")
    assert len(loaded.plan.ancestors[loaded.plan.order[-1]]) == n - 1


def test_yes_no_on_off_are_words_as_in_yaml_1_2() -> None:
    loaded = load_document(
        "name: words\nsteps:\n  on:\n    wait: {any: [yes, no, off], timeout: 1s}\n"
        "  flag:\n    after: ['on']\n    request: {url: 'http://x', follow_redirects: true}\n"
    )
    assert loaded.document.steps["on"].wait.any == ["yes", "no", "off"]  # type: ignore[union-attr]
    assert loaded.document.steps["flag"].request.follow_redirects is True  # type: ignore[union-attr]


def test_no_cyclic_collection_runs_while_a_document_loads_and_the_collector_is_on_after() -> None:
    """A load frees its temporaries by reference count; collections in the middle of it
    only walked them (and set off full collections): the collector is paused for the
    load, and on again afterwards, also when the document is refused."""
    steps = {f"s{i}": {"after": [f"s{i - 1}"] if i else [], "request": {"url": "http://upstream/"}} for i in range(1000)}
    text = json.dumps({"name": "big", "steps": steps})
    during_load: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        frame = sys._getframe()
        while phase == "start" and frame is not None:
            if frame.f_code is loader._load.__code__:
                during_load.append(info["generation"])
                return
            frame = frame.f_back  # type: ignore[assignment]

    gc.callbacks.append(note)
    try:
        for _ in range(3):  # ~40 young collections each, before
            load_document(text)
            with pytest.raises(DocumentInvalid):
                load_document(text.replace('"s0"]', '"nope"]', 1))
            assert gc.isenabled()
        assert during_load == []
    finally:
        gc.callbacks.remove(note)


def test_a_collector_turned_off_by_someone_else_stays_off() -> None:
    gc.disable()
    try:
        load_document("name: off\nsteps:\n  a:\n    request: {url: 'http://x'}\n")
        assert not gc.isenabled()
    finally:
        gc.enable()
