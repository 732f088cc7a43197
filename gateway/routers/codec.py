"""``/codec/encode`` and ``/codec/decode``: Temporal's remote codec protocol (SPEC §9).

Temporal's Web UI (``--ui-codec-endpoint``) and CLI (``--codec-endpoint``) POST a
``Payloads`` message as protobuf JSON, ``{"payloads": [{"metadata": {"encoding":
"<base64>"}, "data": "<base64>"}]}``, and get the same shape back, run through the
payload codec of the gateway's Temporal client (runtime/codec.py), so they show a run's
payloads in clear. Bad JSON or a payload that does not decode is ``400`` with the usual
error body (the protocol asks for 400 on a decoder error). ``X-Namespace`` is accepted and
ignored: an installation has one set of payload keys.

Who may call it (docs/operations.md): a payload belongs to no project, and decoding any
of them reads any project's data, so it takes the operator token (``DISPATCHED_TOKEN``),
in ``Authorization: Bearer ...`` (``temporal --codec-auth``) or ``Dispatched-Session``.
``dispatched dev`` alone sets ``codec_open_to_loopback``: then a request from a loopback
peer needs no token, because the dev Web UI cannot send one. A browser's request is
served only for an origin in ``codec_cors_origins`` (a request naming any other
``Origin`` is refused, so no other page can even make a blind call); those origins get
CORS headers on every answer, and the preflight ``OPTIONS`` is answered without a token
(browsers send none there).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response, Security
from fastapi.security import APIKeyHeader
from google.protobuf import json_format
from pydantic import BaseModel, Field
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import PayloadCodec

from contract.bodies import BodyTooLarge, read_capped
from gateway.deps import SESSION_HEADER, RegistryDep, SettingsDep
from gateway.errors import ApiError, error_response
from gateway.schemas import ErrorResponse
from runtime.payload_keys import PayloadKeyError

router = APIRouter(prefix="/codec", tags=["codec"])

# A step's answer may be 1 MiB (DISPATCHED_MAX_RESPONSE_BYTES), larger once encrypted and in
# base64, and the Web UI sends several payloads at once: well above the API's 1 MiB.
MAX_CODEC_BODY_BYTES = 16 * 1024 * 1024
ALLOWED_HEADERS = "content-type, x-namespace, authorization, dispatched-session"

_authorization = APIKeyHeader(
    name="Authorization", auto_error=False, description="Bearer <operator token> (temporal --codec-auth)"
)
_session = APIKeyHeader(name=SESSION_HEADER, auto_error=False, description="the operator token")
_ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorResponse} for code in (400, 401, 403, 413)}


class CodecPayload(BaseModel):
    metadata: dict[str, str] = Field(default_factory=dict, description="each value base64")
    data: str = Field("", description="base64")


class CodecPayloads(BaseModel):
    """A ``temporal.api.common.v1.Payloads`` message as protobuf JSON."""

    payloads: list[CodecPayload]


def _codec(request: Request) -> PayloadCodec:
    codec: PayloadCodec | None = request.app.state.run_client.client.data_converter.payload_codec
    if codec is None:  # every client Dispatched makes has one (runtime/temporal.py)
        raise ApiError(500, "codec_missing", "the gateway's Temporal client has no payload codec")
    return codec


def _cors_headers(request: Request, origins: Sequence[str]) -> dict[str, str]:
    """CORS answer headers for an allowed ``Origin``; 403 for any other origin."""
    origin = request.headers.get("origin")
    if origin is None:
        return {}
    if origin not in origins:
        raise ApiError(403, "origin_not_allowed",
                       f"origin {origin!r} may not call the codec endpoint (DISPATCHED_CODEC_CORS_ORIGINS)")
    return {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true", "Vary": "Origin"}


def _is_loopback(request: Request) -> bool:
    try:
        return request.client is not None and ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


async def _authorize(request: Request, registry: RegistryDep, open_to_loopback: bool, token: str | None) -> None:
    if open_to_loopback and _is_loopback(request):
        return
    access = await registry.tokens.authenticate(token)
    if access is None:
        raise ApiError(401, "unauthorized",
                       f"missing, unknown or revoked token (Authorization: Bearer ... or {SESSION_HEADER})")
    if not access.is_operator:
        raise ApiError(403, "forbidden",
                       "the codec endpoint needs the operator token (DISPATCHED_TOKEN): a payload belongs to no project")


def _bearer(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else authorization.strip()


async def _apply(
    request: Request, registry: RegistryDep, settings: SettingsDep, token: str | None,
    transform: Callable[[PayloadCodec, Sequence[Payload]], Awaitable[list[Payload]]],
) -> Response:
    headers: dict[str, str] = {}
    try:
        headers = _cors_headers(request, settings.codec_cors_origins)
        await _authorize(request, registry, settings.codec_open_to_loopback, token)
        body = await _read_body(request)
        try:
            given = json_format.Parse(body, Payloads())
        except (json_format.ParseError, UnicodeDecodeError) as exc:
            raise ApiError(400, "invalid_payloads", f"the body is not a Payloads message in protobuf JSON: {exc}") from None
        try:
            done = await transform(_codec(request), given.payloads)
        except PayloadKeyError as exc:
            raise ApiError(400, "payload_not_decodable", str(exc)) from None
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message, headers=headers)
    text = json_format.MessageToJson(Payloads(payloads=done), indent=None)
    return Response(text, media_type="application/json", headers=headers)


async def _read_body(request: Request) -> bytes:
    try:
        return await read_capped(request.stream(), limit=MAX_CODEC_BODY_BYTES, declared=request.headers.get("content-length"))
    except BodyTooLarge:
        raise ApiError(413, "body_too_large", f"the body is over the codec's {MAX_CODEC_BODY_BYTES // 2**20} MiB limit") from None


async def _encode(codec: PayloadCodec, payloads: Sequence[Payload]) -> list[Payload]:
    return await codec.encode(payloads)


async def _decode(codec: PayloadCodec, payloads: Sequence[Payload]) -> list[Payload]:
    return await codec.decode(payloads)


Authorization = Annotated[str | None, Security(_authorization)]
SessionToken = Annotated[str | None, Security(_session)]


def _post(path: str, summary: str) -> Callable[[Callable[..., Awaitable[Response]]], Callable[..., Awaitable[Response]]]:
    """A codec route: the body is read raw (under its own cap), so the schema is stated here."""
    return router.post(
        path, summary=summary, response_class=Response, response_model=None,
        responses={200: {"model": CodecPayloads}, **_ERRORS},
        openapi_extra={"requestBody": {"content": {"application/json": {"schema": CodecPayloads.model_json_schema()}}}},
    )


@_post("/encode", "Encrypt payloads (Temporal's remote codec protocol)")
async def encode(request: Request, registry: RegistryDep, settings: SettingsDep,
                 authorization: Authorization = None, session: SessionToken = None) -> Response:
    return await _apply(request, registry, settings, session or _bearer(authorization), _encode)


@_post("/decode", "Decrypt payloads (Temporal's remote codec protocol)")
async def decode(request: Request, registry: RegistryDep, settings: SettingsDep,
                 authorization: Authorization = None, session: SessionToken = None) -> Response:
    """Payloads without the encryption marker come back as they were sent."""
    return await _apply(request, registry, settings, session or _bearer(authorization), _decode)


@router.options("/encode", include_in_schema=False)
@router.options("/decode", include_in_schema=False)
async def preflight(request: Request, settings: SettingsDep) -> Response:
    """A browser's CORS preflight: allowed for the configured origins, no token (none is sent)."""
    try:
        headers = _cors_headers(request, settings.codec_cors_origins)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message)
    if headers:
        headers |= {"Access-Control-Allow-Methods": "POST", "Access-Control-Allow-Headers": ALLOWED_HEADERS,
                    "Access-Control-Max-Age": "600"}
    return Response(status_code=204, headers=headers)
