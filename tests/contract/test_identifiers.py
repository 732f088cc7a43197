"""The name rules, written once: a workflow slug, a step id, a signal name, a run id.
The document model and the directive parser must agree with them, word for word."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from activities.directives import DirectiveError, parse_directive
from contract.document import Document, WaitAction
from contract.identifiers import (
    RUN_ID_ENTROPY_HEX,
    RUN_ID_RULE,
    SIGNAL_NAME_RULE,
    SLUG_RULE,
    STEP_ID_RULE,
    is_secret_name,
    is_slug,
    mint_run_id,
    run_id_problem,
    signal_name_problem,
    slug_problem,
    step_id_problem,
)
from contract.limits import MAX_SLUG_CHARS, MAX_STEP_ID_CHARS
from contract.messages import RunInput, WorkflowLookup
from contract.names import DEFAULT_PROJECT, RUN_ID_PREFIX

GOOD_SLUGS = ["a", "0", "order-fulfil_2", "a" * MAX_SLUG_CHARS]
BAD_SLUGS = ["", "Order", "-lead", "_lead", "has space", "dot.ted", "é", "a" * (MAX_SLUG_CHARS + 1)]
GOOD_SIGNALS = ["go", "A", "9lives", "order.paid", "ns:event-1_b", "a__b", "a" * 500]
BAD_SIGNALS = ["", "__internal", "__", "-lead", ".lead", "_lead", "has space", "a/b", "é"]


def test_the_rules_read_as_the_messages_always_did() -> None:
    assert SLUG_RULE == "use lowercase letters, digits, '-', '_' (at most 100)"
    assert STEP_ID_RULE == "start with a letter or '_', then letters, digits, '-', '_'"
    assert SIGNAL_NAME_RULE == "use letters, digits, '-', '_', '.', ':' (names starting with '__' are reserved)"
    assert RUN_ID_RULE == "expected 'run_' followed by letters, digits, '-', '_'"


@pytest.mark.parametrize("name", GOOD_SLUGS)
def test_good_slugs(name: str) -> None:
    assert is_slug(name) and slug_problem(name) is None


@pytest.mark.parametrize("name", BAD_SLUGS)
def test_bad_slugs(name: str) -> None:
    assert not is_slug(name) and slug_problem(name) == SLUG_RULE


@pytest.mark.parametrize("step_id", ["a", "_private", "Fetch-Order_2", "x" * MAX_STEP_ID_CHARS])
def test_good_step_ids(step_id: str) -> None:
    assert step_id_problem(step_id) is None


@pytest.mark.parametrize("step_id", ["", "2fast", "-x", "has space", "a.b", "x" * (MAX_STEP_ID_CHARS + 1)])
def test_bad_step_ids(step_id: str) -> None:
    assert step_id_problem(step_id) == STEP_ID_RULE


@pytest.mark.parametrize("name", GOOD_SIGNALS)
def test_good_signal_names(name: str) -> None:
    assert signal_name_problem(name) is None


@pytest.mark.parametrize("name", BAD_SIGNALS)
def test_bad_signal_names(name: str) -> None:
    assert signal_name_problem(name) == SIGNAL_NAME_RULE


def test_a_signal_name_cap_applies_only_when_asked() -> None:
    assert signal_name_problem("a" * 11, max_chars=10) == SIGNAL_NAME_RULE
    assert signal_name_problem("a" * 10, max_chars=10) is None
    assert signal_name_problem("__a", max_chars=10) == SIGNAL_NAME_RULE


@pytest.mark.parametrize("run_id", [f"{RUN_ID_PREFIX}abc123", "run_A-b_c", "run_" + "f" * 26])
def test_good_run_ids(run_id: str) -> None:
    assert run_id_problem(run_id) is None


@pytest.mark.parametrize("run_id", ["", "run_", "xyz789", "other_1", "RUN_abc", "run_a b", "run_a;x=1", " run_a"])
def test_bad_run_ids(run_id: str) -> None:
    assert run_id_problem(run_id) == RUN_ID_RULE


def test_a_run_id_cap_applies_only_when_asked() -> None:
    assert run_id_problem("run_" + "a" * 300) is None
    assert run_id_problem("run_" + "a" * 7, max_chars=10) == RUN_ID_RULE
    assert run_id_problem("run_" + "a" * 6, max_chars=10) is None


@pytest.mark.parametrize("name", GOOD_SIGNALS[:-1] + BAD_SIGNALS)
def test_a_document_and_a_directive_agree_on_signal_names(name: str) -> None:
    """A wait accepts a name exactly when a ``Dispatched-Signal`` may send it."""
    try:
        WaitAction(signal=name)
        in_document = True
    except ValidationError as error:
        assert f"invalid signal name {name!r}: {SIGNAL_NAME_RULE}" in str(error)
        in_document = False
    try:
        parse_directive("Dispatched-Signal", f"run=run_1; name={name}")
        in_directive = True
    except DirectiveError:
        in_directive = False
    assert in_document is in_directive is (name in GOOD_SIGNALS)


@pytest.mark.parametrize("name", GOOD_SLUGS + BAD_SLUGS[1:])  # an empty header value is refused as such
def test_a_document_and_a_spawn_agree_on_workflow_names(name: str) -> None:
    steps = {"a": {"respond": {"body": 1}}}
    try:
        Document.model_validate({"name": name, "steps": steps})
        in_document = True
    except ValidationError as error:
        assert f"invalid name {name!r}: {SLUG_RULE}" in str(error)
        in_document = False
    try:
        parse_directive("Dispatched-Spawn", name)
        in_spawn = True
    except DirectiveError as error:
        assert SLUG_RULE in str(error)
        in_spawn = False
    assert in_document is in_spawn is (name in GOOD_SLUGS)


def test_bad_step_ids_are_named_with_the_rule() -> None:
    with pytest.raises(ValidationError, match=f"invalid step id\\(s\\) '2fast': {STEP_ID_RULE}"):
        Document.model_validate({"name": "w", "steps": {"2fast": {"respond": {"body": 1}}}})


def test_runs_and_look_ups_default_to_the_default_project() -> None:
    assert DEFAULT_PROJECT == "default"
    assert WorkflowLookup(name="w").project == DEFAULT_PROJECT
    assert RunInput.model_fields["project"].default == DEFAULT_PROJECT


def test_a_run_id_is_the_prefix_and_26_hex_digits() -> None:
    minted = mint_run_id("0123456789abcdef" * 2)
    assert minted == "run_0123456789abcdef0123456789"
    assert len(minted) == len("run_") + RUN_ID_ENTROPY_HEX
    assert run_id_problem(minted) is None  # every id we mint is one a directive may name


def test_a_run_id_needs_enough_randomness() -> None:
    with pytest.raises(ValueError, match="26 lowercase hex digits"):
        mint_run_id("abc")
    with pytest.raises(ValueError):
        mint_run_id("z" * 32)


@pytest.mark.parametrize("name", ["ECOM_API_URL", "_X", "A" * 128, "T0KEN_2"])
def test_secret_names_the_templates_can_spell(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["", "lower", "1ST", "A-B", "A" * 129, "A B", "Ä"])
def test_secret_names_refused(name: str) -> None:
    assert not is_secret_name(name)
