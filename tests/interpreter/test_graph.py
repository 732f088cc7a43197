"""Planning the DAG: order, ancestors, dependents, and the graph's own errors."""

from __future__ import annotations

import pytest

from contract.document import Step
from contract.problems import DocumentInvalid
from interpreter.graph import check_graph, plan_graph


def _steps(after: dict[str, list[str]]) -> dict[str, Step]:
    return {sid: Step(after=deps, wait={"signal": "go", "timeout": "1m"}) for sid, deps in after.items()}


def test_order_is_topological_with_document_order_breaking_ties() -> None:
    # a and b are ready first; once a is done, c (earlier in the document) beats b.
    plan = plan_graph(_steps({"d": ["b", "c"], "c": ["a"], "a": [], "b": []}))
    assert plan.order == ("a", "c", "b", "d")
    assert plan_graph(_steps({"x": [], "y": [], "z": []})).order == ("x", "y", "z")


def test_ancestors_are_transitive_and_dependents_direct() -> None:
    plan = plan_graph(_steps({"a": [], "b": ["a"], "c": ["b"], "d": ["a"]}))
    assert dict(plan.ancestors) == {
        "a": frozenset(),
        "b": {"a"},
        "c": {"a", "b"},
        "d": {"a"},
    }
    assert dict(plan.dependents) == {"a": ("b", "d"), "b": ("c",), "c": (), "d": ()}
    assert plan.is_ancestor("a", "c") and not plan.is_ancestor("c", "a") and not plan.is_ancestor("d", "c")


def test_duplicate_after_entries_count_once() -> None:
    plan = plan_graph(_steps({"a": [], "b": ["a", "a"]}))
    assert plan.dependents["a"] == ("b",)


@pytest.mark.parametrize(
    ("after", "messages"),
    [
        ({"a": ["nope"]}, ["steps.a.after[0]: 'after' names unknown step 'nope'"]),
        ({"fetch": [], "b": ["fetc"]}, ["steps.b.after[0]: 'after' names unknown step 'fetc' (did you mean 'fetch'?)"]),
        ({"a": ["a"]}, ["steps.a.after[0]: step 'a' lists itself in 'after'"]),
        ({"a": ["c"], "b": ["a"], "c": ["b"]}, ["steps.a.after[0]: cycle: a -> b -> c -> a"]),
        (
            {"a": ["b"], "b": ["a"], "x": [], "c": ["x", "d"], "d": ["c"]},
            ["steps.a.after[0]: cycle: a -> b -> a", "steps.c.after[1]: cycle: c -> d -> c"],
        ),
    ],
)
def test_graph_errors_are_located_and_all_reported(after: dict[str, list[str]], messages: list[str]) -> None:
    with pytest.raises(DocumentInvalid) as caught:
        plan_graph(_steps(after))
    assert [str(p) for p in caught.value.problems] == messages


def test_cycle_names_the_shortest_loop_through_the_first_step() -> None:
    # a <-> b is the short loop; a -> b -> c -> a is a longer one in the same component
    checked = check_graph({"a": ["b", "c"], "b": ["a"], "c": ["b"]})
    assert [p.message for p in checked.problems] == ["cycle: a -> b -> a"]


def test_steps_behind_a_cycle_still_get_ancestors() -> None:
    checked = check_graph({"a": ["b"], "b": ["a"], "c": ["b"], "root": []})
    assert checked.plan.order == ("root",)
    assert checked.plan.ancestors["c"] == {"a", "b"}


@pytest.mark.parametrize("shape", ["chain", "fan-out"])
def test_a_thousand_steps_plan_correctly(shape: str) -> None:
    n = 1000
    if shape == "chain":
        after = {f"s{i}": [f"s{i - 1}"] if i else [] for i in range(n)}
    else:
        after = {"root": [], **{f"s{i}": ["root"] for i in range(n - 2)}, "join": [f"s{i}" for i in range(n - 2)]}
    plan = plan_graph(_steps(after))
    assert len(plan.order) == n
    position = {sid: i for i, sid in enumerate(plan.order)}
    assert all(position[dep] < position[sid] for sid, deps in after.items() for dep in deps)
    last = plan.order[-1]
    assert plan.ancestors[last] == set(after) - {last}
    if shape == "chain":
        assert plan.ancestors["s500"] == {f"s{i}" for i in range(500)}
    else:
        assert len(plan.dependents["root"]) == n - 2 and plan.ancestors["s7"] == {"root"}
