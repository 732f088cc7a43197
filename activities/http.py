"""The request activity: one HTTP call of a request step, with one shared httpx client.

Classification (SPEC §1): transport errors, 408, 429 and 5xx raise a retryable
``ApplicationError`` so the step's retry policy applies; other 4xx raise a
non-retryable one; anything under 400 is a result, unless its JSON body is one the run
cannot carry (:func:`parse_body`: ``invalid_response``, not retried). Error messages
name the method, the URL with secrets masked and the status, never a secret value.
Each attempt is a span that sends its ``traceparent`` upstream (activities/tracing.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Awaitable, Iterable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from opentelemetry import trace
from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from activities.directives import parse_directive_headers
from activities.network import BLOCKED_ADDRESS, TOO_MANY_REDIRECTS, BlockedAddress, NetworkPolicy, guarded_client
from activities.secrets import SecretStore
from activities.tracing import attempt_span, inject_trace_headers, note_failure, note_status, note_target
from contract import errors
from contract.bodies import BodyTooLarge, read_capped
from contract.headers import has_control_character, is_json, join_repeated
from contract.json_values import JsonValueError, load_json_value
from contract.limits import DEFAULT_MAX_RESPONSE_BYTES, MAX_RESPONSE_JSON_DEPTH
from contract.messages import HttpResponse, RequestInput, RequestOutput, SecretRef, SecretSlot
from contract.names import REQUEST_ACTIVITY

RETRYABLE_STATUS = frozenset({408, 429})
MASK = "***"
HEARTBEAT_EVERY = timedelta(seconds=1)  # well inside contract.names.REQUEST_HEARTBEAT_TIMEOUT
_FORBIDDEN_HEADERS = frozenset({"host", "content-length", "transfer-encoding"})
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # an RFC 9110 token
_UTF8_BOM = b"\xef\xbb\xbf"
_JSON_WHITESPACE = b" \t\r\n"  # RFC 8259's four; bytes.strip() would take \v and \f too


def _fail(code: str, message: str, *, retryable: bool, retry_after: float | None = None) -> ApplicationError:
    """A classified request failure. BENIGN: an upstream answering 503 is the run's business,
    not a worker fault, so the SDK logs it at debug level instead of with a traceback."""
    return ApplicationError(
        message,
        type=code,
        non_retryable=not retryable,
        next_retry_delay=timedelta(seconds=retry_after) if retry_after else None,
        category=ApplicationErrorCategory.BENIGN,
    )


def _set_at(target: dict[str, Any], path: list[str | int], value: str) -> None:
    node: Any = target
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def _redact(value: Any, secrets: Iterable[str]) -> Any:
    """Mask every secret value that an upstream echoed back (headers, body text)."""
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):  # keys too: an upstream may echo a secret as a key
        return {_redact(k, secrets): _redact(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, secrets) for v in value]
    return value


def parse_body(content: bytes, content_type: str) -> Any:
    """A response body as the run sees it: the JSON value when ``content_type`` says JSON,
    else the text.

    A JSON body goes through the rules trigger bodies follow (:func:`load_json_value`), at
    :data:`MAX_RESPONSE_JSON_DEPTH`: what it returns always travels back to the workflow
    unchanged. Before, ``NaN`` and ``1e999`` reached the next step as ``null``, and a lone
    surrogate or deep nesting failed the activity's result encoding with a Python
    exception name as the step's code. An empty body (JSON whitespace only) is ``null``;
    one leading UTF-8 byte order mark is skipped (RFC 8259 §8.1 lets a parser ignore it;
    it carries no data). Text is decoded as UTF-8, an invalid byte read as U+FFFD.

    Raises:
        ApplicationError: type ``invalid_response``, not retryable, saying what is wrong
            and where; never anything else.
    """
    if not is_json(content_type):
        return content.decode("utf-8", errors="replace")
    content = content.removeprefix(_UTF8_BOM)
    if not content.strip(_JSON_WHITESPACE):
        return None
    try:
        return load_json_value(content, max_depth=MAX_RESPONSE_JSON_DEPTH)
    except JsonValueError as error:
        raise _fail(errors.INVALID_RESPONSE, f"the JSON response body {error}", retryable=False) from None


def _check_header(name: str, value: str) -> None:
    for part, what in ((name, "name"), (value, "value")):
        if any(c in part for c in "\r\n\x00"):
            raise _fail(errors.INVALID_REQUEST, f"header {name!r}: CR, LF or NUL in the {what}", retryable=False)
    if not _HEADER_NAME.fullmatch(name):
        raise _fail(errors.INVALID_REQUEST, f"header {name!r}: not a valid header name", retryable=False)
    if has_control_character(value):
        raise _fail(errors.INVALID_REQUEST, f"header {name!r}: a control character in the value", retryable=False)
    if not value.isascii():
        raise _fail(errors.INVALID_REQUEST, f"header {name!r}: the value is not ASCII (percent-encode it)", retryable=False)
    if name.lower() in _FORBIDDEN_HEADERS:
        raise _fail(errors.INVALID_REQUEST, f"header {name!r} is set by the engine and cannot be given", retryable=False)


class HttpActivities:
    """Request activities sharing one ``httpx.AsyncClient`` (a new client per call costs ~20 ms)."""

    def __init__(
        self,
        *,
        secrets: SecretStore,
        client: httpx.AsyncClient | None = None,
        max_body_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        network: NetworkPolicy | None = None,
        tracer: trace.Tracer | None = None,
    ) -> None:
        """``network`` says what steps may reach (default: public addresses only, see
        :mod:`activities.network`); a ``client`` given here bypasses it (tests only).
        ``tracer`` makes the attempts' spans (runtime.tracing.client_tracer: the one of
        the worker's client); without one they are not recorded, but a trace the
        activity was handed still reaches the upstream."""
        self.secrets = secrets
        self.tracer = tracer or trace.NoOpTracer()
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
        self.client = client or guarded_client(network or NetworkPolicy(), limits=limits)
        self.max_body_bytes = max_body_bytes

    async def aclose(self) -> None:
        await self.client.aclose()

    @activity.defn(name=REQUEST_ACTIVITY)
    async def request(self, input: RequestInput) -> RequestOutput:
        """Send the step's request and classify the answer.

        A failure carries ``{"attempt": n}`` as its details so the run can show how many
        attempts a step took even when it failed without exhausting its retries.
        """
        attempt = activity.info().attempt
        # The span is current before the heartbeat loop makes the request's task, which
        # copies the context: the headers _send injects are this span's.
        with attempt_span(self.tracer, input, attempt=attempt) as span:
            try:
                return await _with_heartbeats(self._send(input, span))
            except ApplicationError as exc:
                note_failure(span, exc.type or errors.STEP_FAILED)
                raise self._with_attempt(exc, attempt) from None

    @staticmethod
    def _with_attempt(exc: ApplicationError, attempt: int) -> ApplicationError:
        """The failure as the workflow reads it: the attempt in its details, an
        upstream's ``Retry-After`` bounded (:func:`_bounded`)."""
        return ApplicationError(
            exc.message,
            {"attempt": attempt},
            type=exc.type,
            non_retryable=exc.non_retryable,
            next_retry_delay=_bounded(exc.next_retry_delay),
            category=exc.category,
        )

    async def _send(self, input: RequestInput, span: trace.Span) -> RequestOutput:
        spec, secret_values, masked_url = await self._fill_secrets(input)
        headers = {k: str(v) for k, v in spec["headers"].items()}
        for name, value in headers.items():
            _check_header(name, value)
        headers["Dispatched-Run-Id"] = input.run_id
        headers["Dispatched-Step"] = input.step_id
        headers["Idempotency-Key"] = f"{input.run_id}:{input.step_id}"
        inject_trace_headers(headers)
        where = f"{input.method} {masked_url}"
        try:
            request = self._build(input, spec, headers)
            note_target(span, request.url, secret_values)
            response = await self.client.send(request, stream=True, follow_redirects=input.follow_redirects)
            try:  # inside the outer try: a body cut off mid-way is a transport error too
                content = await self._read_capped(response, where)
            finally:
                await response.aclose()
        except BlockedAddress as exc:  # SSRF policy (activities.network): a retry cannot mend it
            shown = not any(exc.host in value or value in exc.host for value in secret_values)
            raise _fail(BLOCKED_ADDRESS, f"{where}: {exc.describe(show_host=shown)}", retryable=False) from None
        except httpx.TooManyRedirects:
            too_many = f"{where}: more than {self.client.max_redirects} redirects"
            raise _fail(TOO_MANY_REDIRECTS, too_many, retryable=False) from None
        except httpx.TimeoutException:
            raise _fail(errors.STEP_TIMEOUT, f"{where}: no answer within {input.timeout_seconds:g}s", retryable=True) from None
        except httpx.HTTPError as exc:
            reason = _redact(str(exc) or type(exc).__name__, secret_values)
            raise _fail(errors.TRANSPORT, f"{where}: {type(exc).__name__}: {reason}", retryable=True) from None
        note_status(span, response.status_code)
        body = self._body(response.status_code, content, response.headers.get("content-type", ""), where, secret_values)
        result = HttpResponse(
            status=response.status_code,
            headers=_redact(join_repeated(response.headers.multi_items()), secret_values),
            body=_redact(body, secret_values),
        )
        self._raise_for_status(result, where, response.headers.get("retry-after"))
        return RequestOutput(
            response=result,
            attempt=activity.info().attempt,
            directives=parse_directive_headers(response.headers.multi_items(), redact=lambda text: _redact(text, secret_values)),
        )

    @staticmethod
    def _body(status: int, content: bytes, content_type: str, where: str, secret_values: list[str]) -> Any:
        """The parsed body; an unreadable JSON body fails the step with ``invalid_response``,
        unless the status already fails it: a 503 with a broken JSON body is still a
        retryable ``http_status``, and its text only goes into that message."""
        try:
            return parse_body(content, content_type)
        except ApplicationError as invalid:
            if status >= 400:
                return content.decode("utf-8", errors="replace")
            # A key in the path may be a secret the upstream echoed back.
            reason = _redact(f"{where} answered {status}: {invalid.message}", secret_values)
            raise _fail(errors.INVALID_RESPONSE, reason, retryable=False) from None

    async def _fill_secrets(self, input: RequestInput) -> tuple[dict[str, Any], list[str], str]:
        """Fill every secret slot; also give the URL with secrets masked for messages."""
        spec: dict[str, Any] = {"url": input.url, "headers": dict(input.headers), "query": dict(input.query), "body": input.body}
        values: list[str] = []
        masked_url = input.url
        for slot in input.secret_slots:
            pieces: list[str] = []
            for part in slot.parts:
                if isinstance(part, SecretRef):
                    value = await self._secret(input.project, part)
                    values.append(value)
                    pieces.append(value)
                else:
                    pieces.append(part)
            _set_at(spec, slot.path, "".join(pieces))
            if slot.path == ["url"]:
                masked_url = _masked(slot)
        return spec, _redactable(values), masked_url

    async def _secret(self, project: str, ref: SecretRef) -> str:
        """The run's own project's value: a same-named secret of another project is never read."""
        value = await self.secrets.get(project, ref.secret)
        if value is None:
            raise _fail(errors.SECRET_MISSING, f"secret {ref.secret!r} is not set", retryable=False)
        return value

    def _build(self, input: RequestInput, spec: dict[str, Any], headers: dict[str, str]) -> httpx.Request:
        kwargs: dict[str, Any] = {"headers": headers, "params": spec["query"] or None}
        if input.has_body:
            body = spec["body"]
            if isinstance(body, str):
                kwargs["content"] = body.encode()
            else:
                kwargs["json"] = body
        timeout = httpx.Timeout(input.timeout_seconds)
        try:
            return self.client.build_request(input.method, spec["url"], timeout=timeout, **kwargs)
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as exc:
            raise _fail(errors.INVALID_REQUEST, f"invalid request: {type(exc).__name__}", retryable=False) from None

    async def _read_capped(self, response: httpx.Response, where: str) -> bytes:
        """The response body, or a non-retryable failure past ``max_body_bytes``: the
        upstream would only send the same body again."""
        declared = response.headers.get("content-length")
        try:
            return await read_capped(response.aiter_bytes(), limit=self.max_body_bytes, declared=declared)
        except BodyTooLarge:
            too_large = f"{where}: response body over the {self.max_body_bytes} byte limit"
            raise _fail(errors.RESPONSE_TOO_LARGE, too_large, retryable=False) from None

    @staticmethod
    def _raise_for_status(result: HttpResponse, where: str, retry_after: str | None) -> None:
        status = result.status
        if status < 400:
            return
        snippet = result.body if isinstance(result.body, str) else json.dumps(result.body)
        message = f"{where} answered {status}: {snippet[:200]}" if snippet and snippet != "null" else f"{where} answered {status}"
        retryable = status in RETRYABLE_STATUS or status >= 500
        delay = float(retry_after) if retryable and retry_after and retry_after.isdigit() else None
        raise _fail(errors.HTTP_STATUS, message, retryable=retryable, retry_after=delay)


def _bounded(delay: timedelta | None) -> timedelta | None:
    """An upstream's ``Retry-After``, capped by the step's ``max_interval``.

    Temporal takes ``next_retry_delay`` as is, so without the cap an upstream answering
    ``Retry-After: 86400`` (broken or hostile) would park the run for a day.
    """
    policy = activity.info().retry_policy
    if delay is None or policy is None or policy.maximum_interval is None:
        return delay
    return min(delay, policy.maximum_interval)


async def _with_heartbeats(work: Awaitable[RequestOutput]) -> RequestOutput:
    """Heartbeat while a slow request is in flight.

    With a heartbeat timeout on the activity, Temporal notices a worker that died
    mid-request within seconds and retries on another one, instead of waiting out the
    whole per-attempt timeout. Requests answered within a second send no heartbeat.
    """
    task = asyncio.ensure_future(work)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=HEARTBEAT_EVERY.total_seconds())
            if done:
                return task.result()
            if not activity.info().is_local:  # local activities live in the workflow task instead
                activity.heartbeat()
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def _redactable(values: Iterable[str]) -> list[str]:
    """The strings to mask in what upstreams send back, longest first.

    Besides each whole value, a URL-shaped secret also gives its path, query and user
    info: an upstream that echoes its request path would otherwise reveal a token kept
    in the path of a webhook URL. Strings under 4 characters are left alone (masking
    every "a" would garble answers without protecting anything).
    """
    found: set[str] = set()
    for value in values:
        found.add(value)
        parts = urlsplit(value)
        if parts.scheme in ("http", "https") and parts.netloc:
            pieces = (parts.path.rstrip("/"), parts.query, parts.username or "", parts.password or "")
            found.update(p for p in pieces if p and p != "/")
    return sorted((v for v in found if len(v) >= 4), key=len, reverse=True)


def _masked(slot: SecretSlot) -> str:
    return "".join(MASK if isinstance(p, SecretRef) else p for p in slot.parts)

