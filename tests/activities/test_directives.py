"""The ``Dispatched-*`` response-header parser (SPEC §2): every form, every malformed
form, every limit, and a property test that untrusted headers can never crash it."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activities.directives import (
    DirectiveError,
    parse_directive,
    parse_directive_headers,
)
from contract.directives import (
    CancelDirective,
    DelayDirective,
    LogDirective,
    ParsedDirective,
    SignalDirective,
    SpawnDirective,
)
from contract.limits import DirectiveLimits


def b64(value: Any, *, urlsafe: bool = False, pad: bool = True) -> str:
    raw = json.dumps(value).encode() if not isinstance(value, bytes) else value
    text = (base64.urlsafe_b64encode if urlsafe else base64.b64encode)(raw).decode()
    return text if pad else text.rstrip("=")


# '?>?' encodes to '/' in the standard alphabet and '_' in the URL-safe one, and needs padding.
TRICKY = {"a": "?>?"}
LONE_SURROGATE = b64(b'"\\ud800"')  # JSON that decodes to a string no payload converter can encode
TOO_DEEP = b64(b"[" * 33 + b"]" * 33)
RECURSION = b64(b"[" * 3000 + b"]" * 3000)


# --- the seed's headers, exactly ---------------------------------------------------------

SEED_ORDER_SERVICE = [
    ("Content-Type", "application/json"),
    ("Dispatched-Log", "validated 3 line items, charging USD 49.99"),
    ("Dispatched-Delay", "250ms"),
    ("Dispatched-Spawn", "fulfill-order; input=eyJvcmRlcl9pZCI6Im9yZF80MiJ9; mode=detach"),
]


def test_seed_order_service_headers_parse_in_order() -> None:
    parsed = parse_directive_headers(SEED_ORDER_SERVICE)
    assert [p.directive for p in parsed] == [
        LogDirective(message="validated 3 line items, charging USD 49.99"),
        DelayDirective(duration="250ms", seconds=0.25),
        SpawnDirective(workflow="fulfill-order", input={"order_id": "ord_42"}, mode="detach"),
    ]
    assert [(p.kind, p.header, p.error) for p in parsed] == [
        ("log", "Dispatched-Log", None),
        ("delay", "Dispatched-Delay", None),
        ("spawn", "Dispatched-Spawn", None),
    ]


def test_seed_payment_and_fraud_headers() -> None:
    assert parse_directive("Dispatched-Cancel", "run_xyz789") == CancelDirective(run_id="run_xyz789")
    assert parse_directive(
        "Dispatched-Signal", "run=run_parent; name=needs-review; data=eyJyZWFzb24iOiJ2ZWxvY2l0eSJ9"
    ) == SignalDirective(run_id="run_parent", name="needs-review", data={"reason": "velocity"})


# --- each form ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("Dispatched-Log", "  hello world  ", LogDirective(message="hello world")),
        ("Dispatched-Log", "tab\tinside", LogDirective(message="tab\tinside")),
        ("Dispatched-Log", "ünïcödé ✓", LogDirective(message="ünïcödé ✓")),
        ("Dispatched-Delay", "1h30m", DelayDirective(duration="1h30m", seconds=5400.0)),
        ("Dispatched-Delay", "24h", DelayDirective(duration="24h", seconds=86400.0)),
        ("Dispatched-Delay", "1d", DelayDirective(duration="1d", seconds=86400.0)),
        ("Dispatched-Spawn", "fulfill-order", SpawnDirective(workflow="fulfill-order", input=None)),
        ("Dispatched-Spawn", "a_1;mode=detach", SpawnDirective(workflow="a_1")),
        ("Dispatched-Spawn", f"w; INPUT={b64([1, 2])}", SpawnDirective(workflow="w", input=[1, 2])),
        ("Dispatched-Spawn", f"w; input={b64(None)}", SpawnDirective(workflow="w", input=None)),
        ("Dispatched-Cancel", " run_A-b_9 ", CancelDirective(run_id="run_A-b_9")),
        ("Dispatched-Signal", "run=run_1; name=ok", SignalDirective(run_id="run_1", name="ok")),
        (
            "Dispatched-Signal",
            f"name = a.b:c-d ; data = {b64('s')} ; run = run_1",
            SignalDirective(run_id="run_1", name="a.b:c-d", data="s"),
        ),
    ],
)
def test_each_form(name: str, value: str, expected: object) -> None:
    assert parse_directive(name, value) == expected


@pytest.mark.parametrize("name", ["Dispatched-Log", "dispatched-log", "DISPATCHED-LOG", "dIsPaTcHeD-lOg"])
def test_header_names_are_case_insensitive(name: str) -> None:
    assert parse_directive(name, "x") == LogDirective(message="x")
    [entry] = parse_directive_headers([(name, "x")])
    assert (entry.kind, entry.header, entry.directive) == ("log", name, LogDirective(message="x"))


def test_parse_directive_also_takes_the_bare_kind() -> None:
    assert parse_directive("Cancel", "run_1") == CancelDirective(run_id="run_1")


@pytest.mark.parametrize(
    "encoded",
    [b64(TRICKY), b64(TRICKY, pad=False), b64(TRICKY, urlsafe=True), b64(TRICKY, urlsafe=True, pad=False)],
)
def test_base64_in_both_alphabets_padded_or_not(encoded: str) -> None:
    assert parse_directive("Dispatched-Spawn", f"w; input={encoded}") == SpawnDirective(workflow="w", input=TRICKY)
    signal = parse_directive("Dispatched-Signal", f"run=run_1; name=n; data={encoded}")
    assert isinstance(signal, SignalDirective) and signal.data == TRICKY


# --- malformed forms ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("Dispatched-Log", "", "empty value"),
        ("Dispatched-Log", "   ", "empty value"),
        ("Dispatched-Log", "line\nforged", "control characters"),
        ("Dispatched-Log", "bell\x07", "control characters"),
        ("Dispatched-Log", "esc\x1b[31m", "control characters"),
        ("Dispatched-Delay", "soon", "invalid duration 'soon'"),
        ("Dispatched-Delay", "250", "invalid duration '250'"),
        ("Dispatched-Delay", "0ms", "must be greater than zero"),
        ("Dispatched-Delay", "-1s", "invalid duration"),
        ("Dispatched-Spawn", "Fulfill Order", "invalid workflow name 'Fulfill Order'"),
        ("Dispatched-Spawn", "; input=e30", "must start with the workflow name"),
        ("Dispatched-Spawn", "input=e30", "must start with the workflow name"),
        ("Dispatched-Spawn", "w; mode=attach", "only mode=detach is supported"),
        ("Dispatched-Spawn", "w; mode=wait", "only mode=detach is supported"),
        ("Dispatched-Spawn", "w; priority=high", "unknown parameter 'priority': expected input, mode"),
        ("Dispatched-Spawn", "w; input=e30; input=e30", "duplicate parameter 'input'"),
        ("Dispatched-Spawn", "w; Mode=detach; mode=detach", "duplicate parameter 'mode'"),
        ("Dispatched-Spawn", "w; input=", "empty value for parameter 'input'"),
        ("Dispatched-Spawn", "w; input", "is not of the form key=value"),
        ("Dispatched-Spawn", "w;", "empty parameter at position 2"),
        ("Dispatched-Spawn", "w;; mode=detach", "empty parameter at position 2"),
        ("Dispatched-Spawn", "w; input=e30!", "input is not valid base64"),
        ("Dispatched-Spawn", "w; input=e3 0", "input is not valid base64"),
        ("Dispatched-Spawn", "w; input=e", "input is not valid base64"),
        ("Dispatched-Spawn", "w; input=e30==", "incorrect base64 padding"),
        ("Dispatched-Spawn", "w; input=eyJhIjoiPz4/In0_", "mixes the standard and URL-safe"),
        ("Dispatched-Spawn", f"w; input={b64(b'not json')}", "input is not valid JSON"),
        ("Dispatched-Spawn", f"w; input={b64(b'{}x')}", "input is not valid JSON"),
        ("Dispatched-Spawn", f"w; input={b64(b'NaN')}", "input is not valid JSON"),
        ("Dispatched-Spawn", f"w; input={b64(b'[Infinity]')}", "input is not valid JSON"),
        ("Dispatched-Spawn", f"w; input={b64(bytes([0xFF, 0xFE]))}", "does not decode to UTF-8"),
        ("Dispatched-Spawn", f"w; input={LONE_SURROGATE}", "not valid Unicode"),
        ("Dispatched-Spawn", f"w; input={TOO_DEEP}", "nested deeper than 32 levels"),
        ("Dispatched-Spawn", f"w; input={RECURSION}", "input is not valid JSON"),
        ("Dispatched-Cancel", "xyz789", "invalid run id 'xyz789'"),
        ("Dispatched-Cancel", "run_", "invalid run id 'run_'"),
        ("Dispatched-Cancel", "run_a b", "invalid run id"),
        ("Dispatched-Cancel", "run_a; x=1", "invalid run id"),
        ("Dispatched-Cancel", "run_" + "a" * 300, "invalid run id"),
        ("Dispatched-Signal", "name=ok", "missing parameter 'run'"),
        ("Dispatched-Signal", "run=run_1", "missing parameter 'name'"),
        ("Dispatched-Signal", "run_1; name=ok", "is not of the form key=value"),
        ("Dispatched-Signal", "run=run_1; name=ok; extra=1", "unknown parameter 'extra': expected run, name, data"),
        ("Dispatched-Signal", "run=run_1; run=run_2; name=ok", "duplicate parameter 'run'"),
        ("Dispatched-Signal", "run=run_1; name=", "empty value for parameter 'name'"),
        ("Dispatched-Signal", "run=run_1; name=__internal", "invalid signal name '__internal'"),
        ("Dispatched-Signal", "run=run_1; name=has space", "invalid signal name"),
        ("Dispatched-Signal", "run=other_1; name=ok", "invalid run id 'other_1'"),
        ("Dispatched-Signal", "run=run_1; name=ok; data=%%%", "data is not valid base64"),
        ("Dispatched-Signal", f"run=run_1; name=ok; data={b64(b'{')}", "data is not valid JSON"),
        ("Dispatched-Retry", "3", "unknown directive 'Dispatched-Retry'"),
        ("Dispatched-Run-Id", "run_1", "unknown directive"),
        ("X-Log", "hi", "unknown directive"),
    ],
)
def test_each_malformed_form_is_rejected_with_its_reason(name: str, value: str, reason: str) -> None:
    with pytest.raises(DirectiveError, match=None) as raised:
        parse_directive(name, value)
    assert reason in str(raised.value)
    # through the header list the same reason is recorded, never raised
    if name.lower().startswith("dispatched-") and name.lower() != "dispatched-run-id":
        [entry] = parse_directive_headers([(name, value)])
        assert entry.directive is None and entry.error is not None
        if not name.lower().endswith("retry"):
            assert reason in entry.error


# --- limits ------------------------------------------------------------------------------


def test_delay_limit_is_24h() -> None:
    assert parse_directive("Dispatched-Delay", "23h59m59s").seconds == 86399  # type: ignore[union-attr]
    with pytest.raises(DirectiveError, match="over the limit of 24h"):
        parse_directive("Dispatched-Delay", "24h1ms")
    with pytest.raises(DirectiveError, match="over the limit of 24h"):
        parse_directive("Dispatched-Delay", "2d")


def test_header_value_limit_is_8_kib() -> None:
    assert parse_directive("Dispatched-Log", "x" * 8192) == LogDirective(message="x" * 8192)
    with pytest.raises(DirectiveError, match="8193 bytes, over the limit of 8192 bytes"):
        parse_directive("Dispatched-Log", "x" * 8193)
    # counted in UTF-8 bytes, not characters
    with pytest.raises(DirectiveError, match="over the limit of 8192 bytes"):
        parse_directive("Dispatched-Log", "é" * 4097)


def test_decoded_payload_limit_is_64_kib() -> None:
    # The 8 KiB header cap keeps payloads far below 64 KiB; raise it to reach the payload limit.
    roomy = DirectiveLimits(header_bytes=1024 * 1024)
    just_fits = "x" * (64 * 1024 - 2)  # plus two quotes = 65536 bytes of JSON
    spawn = parse_directive("Dispatched-Spawn", f"w; input={b64(just_fits)}", limits=roomy)
    assert isinstance(spawn, SpawnDirective) and spawn.input == just_fits
    with pytest.raises(DirectiveError, match="input decodes to 65537 bytes, over the limit of 65536 bytes"):
        parse_directive("Dispatched-Spawn", f"w; input={b64(just_fits + 'x')}", limits=roomy)
    with pytest.raises(DirectiveError, match="data decodes to 65537 bytes"):
        parse_directive("Dispatched-Signal", f"run=run_1; name=n; data={b64(just_fits + 'x')}", limits=roomy)


def test_sixteen_directives_per_response_then_rejected() -> None:
    headers = [("Dispatched-Log", f"line {i}") for i in range(20)]
    parsed = parse_directive_headers(headers)
    assert [p.directive for p in parsed[:16]] == [LogDirective(message=f"line {i}") for i in range(16)]
    assert len(parsed) == 20
    for entry in parsed[16:]:
        assert entry.directive is None
        assert entry.error == "over the limit of 16 directives per response"


def test_unknown_and_malformed_headers_count_towards_the_limit() -> None:
    headers = [("Dispatched-Bogus", "1")] * 8 + [("Dispatched-Delay", "nope")] * 8 + [("Dispatched-Log", "late")]
    parsed = parse_directive_headers(headers)
    assert parsed[-1].error == "over the limit of 16 directives per response"


def test_a_flood_of_headers_is_summed_up_not_recorded_one_by_one() -> None:
    parsed = parse_directive_headers([("Dispatched-Log", "x")] * 1000)
    assert len(parsed) == 33
    assert parsed[-1].error == (
        "over the limit of 16 directives per response; 968 more Dispatched-* headers were dropped"
    )


def test_event_value_is_truncated_but_the_parse_sees_all_of_it() -> None:
    [entry] = parse_directive_headers([("Dispatched-Log", "y" * 5000)])
    assert entry.directive == LogDirective(message="y" * 5000)
    assert len(entry.value) == 256 and entry.value.endswith("…")


# --- picking headers out of a response ---------------------------------------------------


def test_only_dispatched_headers_and_not_the_ones_we_send_upstream() -> None:
    parsed = parse_directive_headers(
        [
            ("Content-Type", "application/json"),
            ("Dispatched-Run-Id", "run_1"),
            ("dispatched-step", "process_order"),
            ("X-Dispatched-Log", "not ours"),
            ("dispatched-log", "kept"),
        ]
    )
    assert [(p.kind, p.header, p.value) for p in parsed] == [("log", "dispatched-log", "kept")]


def test_repeats_are_kept_in_order() -> None:
    parsed = parse_directive_headers(
        [("Dispatched-Log", "one"), ("X", "y"), ("DISPATCHED-LOG", "two"), ("dispatched-log", "three")]
    )
    assert [p.directive for p in parsed] == [LogDirective(message=m) for m in ("one", "two", "three")]
    assert [p.header for p in parsed] == ["Dispatched-Log", "DISPATCHED-LOG", "dispatched-log"]


def test_unknown_dispatched_header_is_visible_not_lost() -> None:
    assert parse_directive_headers([("Dispatched-Sigal", "run=run_1; name=x")]) == [
        ParsedDirective(kind="sigal", header="Dispatched-Sigal", value="run=run_1; name=x", error="unknown directive")
    ]


def test_one_bad_header_does_not_spoil_the_others() -> None:
    parsed = parse_directive_headers([("Dispatched-Delay", "later"), ("Dispatched-Log", "fine")])
    assert parsed[0].error is not None and parsed[0].directive is None
    assert parsed[1].directive == LogDirective(message="fine")


def test_parsed_directives_round_trip_through_json() -> None:
    """They cross the activity/workflow boundary through the pydantic data converter."""
    parsed = parse_directive_headers(
        SEED_ORDER_SERVICE + [("Dispatched-Signal", "run=run_p; name=n; data=e30"), ("Dispatched-X", "1")]
    )
    again = [ParsedDirective.model_validate_json(p.model_dump_json()) for p in parsed]
    assert again == parsed


# --- property: untrusted input never crashes the parser -----------------------------------

_NAMES = st.one_of(
    st.text(),
    st.sampled_from(["Dispatched-Log", "Dispatched-Delay", "Dispatched-Spawn", "Dispatched-Cancel"]),
    st.sampled_from(["Dispatched-Signal", "dispatched-SIGNAL", "Dispatched-", "Dispatched-Run-Id", "log"]),
    st.text().map(lambda s: "Dispatched-" + s),
)
_B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_="
_VALUES = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=20_000),
    st.text(alphabet=_B64_ALPHABET + ";= run_name", max_size=200),
    st.builds(lambda w, b: f"{w}; input={b}", st.text(max_size=20), st.text(alphabet=_B64_ALPHABET, max_size=400)),
    st.builds(
        lambda r, n, d: f"run={r}; name={n}; data={d}",
        st.text(max_size=20),
        st.text(max_size=20),
        st.one_of(st.text(alphabet=_B64_ALPHABET, max_size=400), st.binary(max_size=300).map(lambda b: b64(b))),
    ),
    st.recursive(st.none() | st.booleans() | st.floats() | st.text(), lambda c: st.lists(c) | st.dictionaries(st.text(), c)).map(
        lambda v: "w; input=" + b64(json.dumps(v).encode())
    ),
)


@settings(max_examples=400, deadline=None)
@given(name=_NAMES, value=_VALUES)
def test_parse_directive_raises_only_directive_error(name: str, value: str) -> None:
    try:
        parse_directive(name, value)
    except DirectiveError:
        pass


@settings(max_examples=200, deadline=None)
@given(headers=st.lists(st.tuples(_NAMES, _VALUES), max_size=40))
def test_parse_directive_headers_never_raises(headers: list[tuple[str, str]]) -> None:
    parsed = parse_directive_headers(headers)
    assert len(parsed) <= 33
    for entry in parsed:
        assert (entry.directive is None) != (entry.error is None)
        assert len(entry.value) <= 256
        ParsedDirective.model_validate_json(entry.model_dump_json())


def test_redact_masks_secrets_in_values_and_decoded_payloads() -> None:
    """An upstream echoing a secret must not get it into the run's events or history."""
    secret = "s3cr3t-token"

    def redact(text: str) -> str:
        return text.replace(secret, "***")

    parsed = parse_directive_headers(
        [
            ("Dispatched-Log", f"token is {secret}"),
            ("Dispatched-Spawn", f"w; input={b64({'token': secret, 'list': [secret], secret: 1})}"),
            ("Dispatched-Signal", f"run=run_1; name=n; data={b64(secret)}"),
        ],
        redact=redact,
    )
    assert parsed[0].value == "token is ***"
    assert parsed[0].directive == LogDirective(message="token is ***")
    assert parsed[1].directive == SpawnDirective(workflow="w", input={"token": "***", "list": ["***"], "***": 1})
    assert parsed[2].directive == SignalDirective(run_id="run_1", name="n", data="***")
    assert secret not in "".join(p.model_dump_json() for p in parsed)


def test_may_reach_confines_targets_to_open_runs_of_the_same_project() -> None:
    from contract.messages import RunOpen
    from interpreter.directive_effects import may_reach

    assert may_reach("default", RunOpen(open=True, project="default"))
    assert may_reach("acme", RunOpen(open=True, project="acme"))
    assert not may_reach("acme", RunOpen(open=True, project="default"))  # another project's run
    assert not may_reach("default", RunOpen(open=True, project="acme"))
    assert not may_reach("acme", RunOpen(open=False, project="acme"))  # missing or closed
    # A look-up answer recorded before projects has no project: the default project's.
    assert may_reach("default", RunOpen.model_validate({"open": True}))
    assert not may_reach("acme", RunOpen.model_validate({"open": True}))
