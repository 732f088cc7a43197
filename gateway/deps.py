"""Dependencies the routers declare with ``Annotated`` aliases: the app's shared
objects, the session check, and request bodies read with a size cap.

Bodies are read here rather than declared as pydantic parameters because the API
takes any JSON (``trigger.body`` and signal payloads are the user's data), YAML, or
raw text, and must answer 400/413 in its own error format.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from contract.bodies import BodyTooLarge, read_capped
from contract.json_values import JsonValueError, load_json_value
from contract.limits import MAX_JSON_DEPTH, MAX_REQUEST_BODY_BYTES
from contract.names import DEFAULT_PROJECT
from contract.roles import Role, role_allows
from gateway.access_log import PROJECT_STATE_KEY
from gateway.console.sessions import CSRF_HEADER, SAFE_METHODS, Session, SessionCodec
from gateway.errors import ApiError
from interpreter.client import RunClient
from interpreter.revisions import CompiledRevisions
from registry import Access, Registry
from runtime.settings import Settings

SESSION_HEADER = "Dispatched-Session"
PROJECT_HEADER = "Dispatched-Project"

_session_scheme = APIKeyHeader(
    name=SESSION_HEADER, auto_error=False, description="a session token (DISPATCHED_TOKEN or one made by the registry)"
)
_project_scheme = APIKeyHeader(
    name=PROJECT_HEADER, auto_error=False, description="the project the operator token acts on (default: 'default')"
)


# The getters are ``async def`` on purpose: FastAPI runs a plain ``def`` dependency in
# its thread pool, a thread hop per getter per request for a dict lookup (bench/README.md).
async def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def get_registry(request: Request) -> Registry:
    return request.app.state.registry  # type: ignore[no-any-return]


async def get_run_client(request: Request) -> RunClient:
    return request.app.state.run_client  # type: ignore[no-any-return]


async def get_compiled_revisions(request: Request) -> CompiledRevisions:
    return request.app.state.compiled_revisions  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(get_settings)]
RegistryDep = Annotated[Registry, Depends(get_registry)]
RunClientDep = Annotated[RunClient, Depends(get_run_client)]
CompiledRevisionsDep = Annotated[CompiledRevisions, Depends(get_compiled_revisions)]


@dataclass(frozen=True)
class Caller:
    """Who is asking, and for which project: every route acts on ``project`` only."""

    project: str
    access: Access

    @property
    def role(self) -> Role:
        return self.access.role


def console_session(request: Request) -> Session | None:
    """The console's session cookie of this request, if it holds a live-looking session."""
    codec: SessionCodec | None = getattr(request.app.state, "console_sessions", None)
    return codec.from_request(request) if codec is not None else None


def check_csrf(request: Request, session: Session) -> None:
    """A browser sends the session cookie with every request to the gateway, so a request
    the cookie signed in is trusted to change something only with the session's CSRF
    value in ``X-CSRF-Token`` (:mod:`gateway.console.sessions`); 403 ``csrf_failed``
    without it. A header token needs no such check: no other site can make a browser send it.
    """
    if request.method not in SAFE_METHODS and not session.csrf_matches(request.headers.get(CSRF_HEADER)):
        raise ApiError(
            403, "csrf_failed",
            f"a request signed in by the console's session cookie must send the session's {CSRF_HEADER} header",
        )


async def current_caller(
    request: Request,
    registry: RegistryDep,
    token: Annotated[str | None, Security(_session_scheme)] = None,
    project: Annotated[str | None, Security(_project_scheme)] = None,
) -> Caller:
    """The caller of this request (FastAPI resolves it once per request).

    401 unless ``Dispatched-Session`` (or, without it, the console's session cookie)
    holds a live token; a cookie also needs the CSRF value to change anything. The
    operator token acts on ``default`` or the project ``Dispatched-Project`` names (404
    if there is none); a project token acts on its own project, and naming another one is 403.
    """
    session = console_session(request) if token is None else None
    access = await registry.tokens.authenticate(session.token if session is not None else token)
    if access is None:
        raise ApiError(401, "unauthorized", f"missing, unknown or revoked {SESSION_HEADER} token")
    if session is not None:
        check_csrf(request, session)
    named = project.strip() if project else None
    if access.project is None:
        chosen = named or DEFAULT_PROJECT
        await registry.projects.require(chosen)
    elif named and named != access.project:
        raise ApiError(403, "forbidden", f"this token belongs to project {access.project!r}; it cannot act on {named!r}")
    else:
        chosen = access.project
    setattr(request.state, PROJECT_STATE_KEY, chosen)  # for the access log's line
    return Caller(chosen, access)


require_session = current_caller  # routers that only need a valid session declare this


def requires(role: Role) -> Callable[[Caller], Coroutine[Any, Any, Caller]]:
    """A dependency that lets the request through only for ``role`` or a greater one."""

    async def check(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        if not role_allows(caller.role, role):
            raise ApiError(403, "forbidden", f"this needs the {role!r} role; the token's role is {caller.role!r}")
        return caller

    return check


async def require_operator(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
    """Only the operator token (``DISPATCHED_TOKEN``) manages projects."""
    if not caller.access.is_operator:
        raise ApiError(403, "forbidden", "this needs the operator token (DISPATCHED_TOKEN)")
    return caller


Reader = Annotated[Caller, Depends(requires("read"))]
Runner = Annotated[Caller, Depends(requires("run"))]
Deployer = Annotated[Caller, Depends(requires("deploy"))]
Admin = Annotated[Caller, Depends(requires("admin"))]
Operator = Annotated[Caller, Depends(require_operator)]


async def read_raw_body(request: Request) -> bytes:
    """The request body, refusing (413) anything over
    :data:`~contract.limits.MAX_REQUEST_BODY_BYTES` without reading it all
    (:func:`contract.bodies.read_capped`)."""
    declared = request.headers.get("content-length")
    try:
        return await read_capped(request.stream(), limit=MAX_REQUEST_BODY_BYTES, declared=declared)
    except BodyTooLarge:
        limit_kib = MAX_REQUEST_BODY_BYTES // 1024
        raise ApiError(413, "body_too_large", f"the request body is over the {limit_kib} KiB limit") from None


async def read_json_body(raw: Annotated[bytes, Depends(read_raw_body)]) -> Any:
    """The body parsed as JSON, whatever the Content-Type says; empty means null."""
    if not raw.strip():
        return None
    try:
        return load_json_value(raw, max_depth=MAX_JSON_DEPTH)
    except JsonValueError as error:
        raise ApiError(400, "invalid_json", f"the request body {error}") from None


async def read_text_body(raw: Annotated[bytes, Depends(read_raw_body)]) -> str:
    """The body as UTF-8 text (workflow sources, raw secret values)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_body", "the request body is not UTF-8 text") from None


RawBody = Annotated[bytes, Depends(read_raw_body)]
JsonBody = Annotated[Any, Depends(read_json_body)]
TextBody = Annotated[str, Depends(read_text_body)]
