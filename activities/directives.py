"""Response-header directives (SPEC §2): parse an upstream's ``Dispatched-*`` headers.

Pure logic, no Temporal: the request activity calls :func:`parse_directive_headers` on
every response and hands the result to the workflow, which decides what to apply
(:mod:`interpreter.directive_effects`). Everything an upstream sends is untrusted, so
parsing never raises out of :func:`parse_directive_headers`: a bad header becomes a
:class:`ParsedDirective` with an ``error`` the run's events show.

Forms::

    Dispatched-Log: free text                          (may repeat; each one a line)
    Dispatched-Delay: 250ms                            (> 0, at most 24h)
    Dispatched-Spawn: <workflow>; input=<b64 JSON>; mode=detach
    Dispatched-Cancel: <run id>
    Dispatched-Signal: run=<run id>; name=<signal>; data=<b64 JSON>

Where SPEC §2 is silent (parameter syntax, control characters, base64 padding, JSON
depth, how the per-response limit counts) the choices are listed in docs/directives.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from activities.directive_payloads import PayloadError, decode_payload
from contract.directives import (
    CancelDirective,
    DelayDirective,
    Directive,
    LogDirective,
    ParsedDirective,
    SignalDirective,
    SpawnDirective,
)
from contract.document import DIRECTIVE_KINDS
from contract.durations import DurationError, parse_duration
from contract.headers import has_control_character
from contract.identifiers import run_id_problem, signal_name_problem, slug_problem
from contract.limits import EVENT_VALUE_CHARS, MAX_DIRECTIVE_NAME_CHARS, DirectiveLimits

HEADER_PREFIX = "dispatched-"
NOT_DIRECTIVES = frozenset({"dispatched-run-id", "dispatched-step"})
"""Headers we send upstream ourselves; an upstream that echoes them is not steering."""

LIMITS = DirectiveLimits()


class DirectiveError(ValueError):
    """A directive header that can't be applied; the message says what is wrong."""


def directive_kind(name: str) -> str | None:
    """The directive kind a header name asks for (``"log"``), or None for other headers."""
    lowered = name.strip().lower()
    if not lowered.startswith(HEADER_PREFIX) or lowered in NOT_DIRECTIVES:
        return None
    return lowered[len(HEADER_PREFIX) :]


def parse_directive(name: str, value: str, *, limits: DirectiveLimits = LIMITS) -> Directive:
    """Parse one header into a directive.

    Args:
        name: the header name, ``Dispatched-Log`` in any case (the bare kind also works).
        value: the header value as received.
        limits: the limits to enforce (tests raise them to reach the payload limit).

    Raises:
        DirectiveError: for anything that is not a well-formed, in-limit directive.
    """
    lowered = name.strip().lower()
    kind = lowered[len(HEADER_PREFIX) :] if lowered.startswith(HEADER_PREFIX) else lowered
    if kind not in DIRECTIVE_KINDS:
        raise DirectiveError(f"unknown directive {name!r}: expected one of {', '.join(DIRECTIVE_KINDS)}")
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > limits.header_bytes:
        raise DirectiveError(f"header value is {size} bytes, over the limit of {limits.header_bytes} bytes")
    if has_control_character(value):
        raise DirectiveError("header value contains control characters")
    text = value.strip(" \t")
    if not text:
        raise DirectiveError("empty value")
    return _PARSERS[kind](text, limits)


def _parse_log(text: str, limits: DirectiveLimits) -> Directive:
    return LogDirective(message=text)


def _parse_delay(text: str, limits: DirectiveLimits) -> Directive:
    try:
        seconds = parse_duration(text).total_seconds()
    except DurationError as error:
        raise DirectiveError(str(error)) from None
    if seconds <= 0:
        raise DirectiveError(f"delay {text!r} must be greater than zero")
    if seconds > limits.max_delay_seconds:
        raise DirectiveError(f"delay {text!r} is over the limit of {limits.max_delay_seconds / 3600:g}h")
    return DelayDirective(duration=text, seconds=seconds)


def _parse_spawn(text: str, limits: DirectiveLimits) -> Directive:
    head, params = _split_params(text, allowed=("input", "mode"), positional="workflow")
    problem = slug_problem(head)
    if problem is not None:
        raise DirectiveError(f"invalid workflow name {_show(head)}: {problem}")
    mode = params.get("mode", "detach")
    if mode != "detach":
        raise DirectiveError(f"mode={_show(mode)} is not supported: only mode=detach is supported")
    payload = _decode_json(params["input"], "input", limits) if "input" in params else None
    return SpawnDirective(workflow=head, input=payload)


def _parse_cancel(text: str, limits: DirectiveLimits) -> Directive:
    return CancelDirective(run_id=_check_run_id(text))


def _parse_signal(text: str, limits: DirectiveLimits) -> Directive:
    _, params = _split_params(text, allowed=("run", "name", "data"), positional=None)
    for required in ("run", "name"):
        if required not in params:
            raise DirectiveError(f"missing parameter {required!r}: expected run=<id>; name=<signal>")
    name = params["name"]
    problem = signal_name_problem(name, max_chars=MAX_DIRECTIVE_NAME_CHARS)
    if problem is not None:
        raise DirectiveError(f"invalid signal name {_show(name)}: {problem}")
    payload = _decode_json(params["data"], "data", limits) if "data" in params else None
    return SignalDirective(run_id=_check_run_id(params["run"]), name=name, data=payload)


_PARSERS = {
    "log": _parse_log,
    "delay": _parse_delay,
    "spawn": _parse_spawn,
    "cancel": _parse_cancel,
    "signal": _parse_signal,
}


def _split_params(text: str, *, allowed: tuple[str, ...], positional: str | None) -> tuple[str, dict[str, str]]:
    """Split ``head; key=value; ...`` into the head (when ``positional`` names it) and parameters."""
    segments = [segment.strip(" \t") for segment in text.split(";")]
    head = ""
    if positional is not None:
        head = segments.pop(0)
        if not head or "=" in head:
            raise DirectiveError(f"the value must start with the {positional} name")
    params: dict[str, str] = {}
    for position, segment in enumerate(segments, start=1 if positional else 0):
        if not segment:
            raise DirectiveError(f"empty parameter at position {position + 1} (stray ';')")
        key, equals, raw = segment.partition("=")
        key, raw = key.strip(" \t").lower(), raw.strip(" \t")
        if not equals:
            raise DirectiveError(f"parameter {_show(segment)} is not of the form key=value")
        if key not in allowed:
            raise DirectiveError(f"unknown parameter {_show(key)}: expected {', '.join(allowed)}")
        if key in params:
            raise DirectiveError(f"duplicate parameter {key!r}")
        if not raw:
            raise DirectiveError(f"empty value for parameter {key!r}")
        params[key] = raw
    return head, params


def _check_run_id(text: str) -> str:
    problem = run_id_problem(text, max_chars=MAX_DIRECTIVE_NAME_CHARS)
    if problem is not None:
        raise DirectiveError(f"invalid run id {_show(text)}: {problem}")
    return text


def _decode_json(text: str, param: str, limits: DirectiveLimits) -> Any:
    try:
        return decode_payload(text, param, max_bytes=limits.payload_bytes, max_depth=limits.json_depth)
    except PayloadError as error:
        raise DirectiveError(str(error)) from None


def _redacted(directive: Directive, redact: Callable[[str], str] | None) -> Directive:
    """The directive with ``redact`` applied to every string of its decoded payload."""
    if redact is None:
        return directive
    if isinstance(directive, SpawnDirective):
        return directive.model_copy(update={"input": _map_strings(directive.input, redact)})
    if isinstance(directive, SignalDirective):
        return directive.model_copy(update={"data": _map_strings(directive.data, redact)})
    return directive


def _map_strings(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, list):
        return [_map_strings(item, change) for item in value]
    if isinstance(value, dict):
        return {change(key): _map_strings(item, change) for key, item in value.items()}
    return value


def _show(text: str) -> str:
    """Quote a piece of untrusted text for an error message, shortened."""
    return repr(text if len(text) <= 60 else text[:57] + "...")


def truncate(value: str, limit: int = EVENT_VALUE_CHARS) -> str:
    """A header value as events show it: at most ``limit`` characters."""
    return value if len(value) <= limit else value[: limit - 1] + "…"


def parse_directive_headers(
    headers: Sequence[tuple[str, str]],
    *,
    limits: DirectiveLimits = LIMITS,
    redact: Callable[[str], str] | None = None,
) -> list[ParsedDirective]:
    """Pick the ``Dispatched-*`` headers out of a response, in order, and parse each one.

    Args:
        headers: every response header in order, repeats kept (httpx
            ``response.headers.multi_items()``).
        limits: the limits to enforce.
        redact: masks secret values in a string; applied to each raw value and to every
            string of a decoded payload, so an upstream echoing a secret can't put it
            into the run's events or history.

    Returns:
        One entry per directive header; never raises, whatever the upstream sent.
    """
    candidates = [(name, value) for name, value in headers if directive_kind(str(name)) is not None]
    parsed: list[ParsedDirective] = []
    for index, (name, value) in enumerate(candidates):
        entry = _parse_entry(index, name, redact(value) if redact else value, limits, redact)
        if index >= limits.recorded:
            entry.error = (
                f"over the limit of {limits.per_response} directives per response; "
                f"{len(candidates) - index} more Dispatched-* headers were dropped"
            )
            parsed.append(entry)
            break
        parsed.append(entry)
    return parsed


def _parse_entry(
    index: int, name: str, value: str, limits: DirectiveLimits, redact: Callable[[str], str] | None
) -> ParsedDirective:
    """One candidate header as an entry: parsed, or rejected with the reason."""
    kind = directive_kind(name) or ""
    entry = ParsedDirective(kind=truncate(kind, 64), header=truncate(name, 128), value=truncate(value))
    if index >= limits.per_response:
        entry.error = f"over the limit of {limits.per_response} directives per response"
    elif kind not in DIRECTIVE_KINDS:
        entry.error = "unknown directive"
    else:
        try:
            entry.directive = _redacted(parse_directive(name, value, limits=limits), redact)
        except DirectiveError as error:
            entry.error = str(error)
        except Exception as error:  # untrusted input must never fail the step
            entry.error = f"could not parse the directive ({type(error).__name__})"
    return entry
