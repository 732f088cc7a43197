"""The console's pages: sign-in and sign-out, and one route per page of SPEC §8.

Every page but sign-in needs a session (:mod:`gateway.console.sessions`); without a live
one it redirects to ``/sign-in?next=...``. A page is a server-rendered frame: the header
(navigation, project switcher, sign-out), the controls the caller's role may use and
nothing more, and the data the JavaScript module of the page fetches from the JSON API
with the session cookie, the CSRF header and ``Dispatched-Project``. The pages are kept
out of the OpenAPI schema: they are not API.

The operator token picks a project with ``?project=NAME`` on each page (a GET, so a
link names it; switching changes nothing on the server); a project token's project is
its own, whatever the query says.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from contract.names import DEFAULT_PROJECT
from contract.problems import DocumentInvalid
from contract.roles import Role, role_allows
from gateway.console.sessions import COOKIE, Session, SessionCodec, clear_cookie, set_cookie
from gateway.deps import RawBody, RegistryDep, SettingsDep
from gateway.routers.workflows import graph_of
from interpreter.loader import load_document
from registry import Access, Registry, TemplateNotFound

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
SIGN_IN_COOKIE = "dispatched_sign_in"  # the sign-in form's own CSRF value, before any session

router = APIRouter(include_in_schema=False)
_templates = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
)
# The page's own files only: no inline script or style, nothing from another origin.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # a page carries its session's CSRF value
}


@dataclass(frozen=True)
class Viewer:
    """Who looks at the page: their session, what the token may do, the project shown."""

    session: Session
    access: Access
    project: str
    projects: list[str]

    @property
    def role(self) -> Role:
        return self.access.role

    @property
    def is_operator(self) -> bool:
        return self.access.is_operator

    def may(self, role: Role) -> bool:
        return role_allows(self.access.role, role)

    def link(self, path: str, **query: str) -> str:
        """``path`` in the project shown (the operator's choice travels in the query)."""
        if self.is_operator:
            query = {"project": self.project, **query}
        return f"{path}?{urlencode(query)}" if query else path


def _codec(request: Request) -> SessionCodec:
    return request.app.state.console_sessions  # type: ignore[no-any-return]


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def local_path(target: str | None) -> str:
    """``target`` when it is a path on this gateway, else ``/`` (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _html(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(_templates.get_template(name).render(**context), status_code=status, headers=SECURITY_HEADERS)


async def viewer_of(request: Request, registry: Registry) -> Viewer | None:
    """The signed-in viewer, or None (no cookie, a forged or ended one, a revoked token)."""
    session = _codec(request).from_request(request)
    access = await registry.tokens.authenticate(session.token) if session is not None else None
    if session is None or access is None:
        return None
    if access.project is not None:
        return Viewer(session, access, access.project, [access.project])
    names = [p.name for p in await registry.projects.list()]
    wanted = request.query_params.get("project") or DEFAULT_PROJECT
    return Viewer(session, access, wanted if wanted in names else DEFAULT_PROJECT, names)


def _to_sign_in(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    ended = "&ended=1" if COOKIE in request.cookies else ""
    response = RedirectResponse(f"/sign-in?next={quote(here, safe='')}{ended}", status_code=303)
    if ended:
        clear_cookie(response, secure=_secure(request))
    return response


async def page(request: Request, registry: Registry, settings: SettingsDep, name: str, *, nav: str,
               title: str, section: str, **context: Any) -> Response:
    """A signed-in page, or the way to sign in."""
    viewer = await viewer_of(request, registry)
    if viewer is None:
        return _to_sign_in(request)
    asked = request.query_params.get("project")
    notice = f"There is no project {asked!r}; this is {viewer.project!r}." if (
        viewer.is_operator and asked and asked != viewer.project) else None
    return _html(
        name, viewer=viewer, nav=nav, title=title, section=section, notice=notice,
        temporal_ui_url=(settings.temporal_ui_url or "").rstrip("/"), namespace=settings.temporal_namespace,
        **context,
    )


@router.get("/", response_class=HTMLResponse)
async def runs_page(request: Request, registry: RegistryDep, settings: SettingsDep) -> Response:
    return await page(request, registry, settings, "runs.html", nav="runs", title="Runs", section="/")


@router.get("/runs/{run_id}", response_class=HTMLResponse)
async def run_page(run_id: str, request: Request, registry: RegistryDep, settings: SettingsDep) -> Response:
    return await page(request, registry, settings, "run.html", nav="runs", title=run_id, section="/", run_id=run_id)


@router.get("/workflows", response_class=HTMLResponse)
async def workflows_page(request: Request, registry: RegistryDep, settings: SettingsDep) -> Response:
    return await page(request, registry, settings, "workflows.html", nav="workflows", title="Workflows",
                      section="/workflows")


@router.get("/workflows/{name}", response_class=HTMLResponse)
async def workflow_page(name: str, request: Request, registry: RegistryDep, settings: SettingsDep) -> Response:
    """Shares its path with the trigger (``POST /workflows/{name}``): a GET is this page."""
    return await page(request, registry, settings, "workflow.html", nav="workflows", title=name,
                      section="/workflows", workflow=name)


@router.get("/secrets", response_class=HTMLResponse)
async def secrets_page(request: Request, registry: RegistryDep, settings: SettingsDep) -> Response:
    return await page(request, registry, settings, "secrets.html", nav="secrets", title="Secrets", section="/secrets")


@router.get("/marketplace", response_class=HTMLResponse)
async def marketplace_page(request: Request, registry: RegistryDep, settings: SettingsDep) -> Response:
    return await page(request, registry, settings, "marketplace.html", nav="marketplace", title="Marketplace",
                      section="/marketplace")


@router.get("/marketplace/{owner}/{slug}", response_class=HTMLResponse)
async def template_page(owner: str, slug: str, request: Request, registry: RegistryDep,
                        settings: SettingsDep) -> Response:
    """The template's DAG is computed here, from its document as published (the API's
    answer has the source text, which the browser cannot compile)."""
    template_id = f"{owner}/{slug}"
    return await page(request, registry, settings, "template.html", nav="marketplace", title=template_id,
                      section="/marketplace", template_id=template_id, slug=slug,
                      graph_json=await _template_graph(registry, owner, slug))


async def _template_graph(registry: Registry, owner: str, slug: str) -> str:
    """The template's graph as JSON; ``null`` when there is no such template, or its
    document no longer validates (the page says why, from the API's answer)."""
    if not owner.startswith("@"):
        return "null"
    try:
        template = await registry.templates.get(owner[1:], slug)
        compiled = load_document(template.source, source=template.id).compiled
    except (TemplateNotFound, DocumentInvalid):
        return "null"
    return json.dumps(graph_of(compiled).model_dump()).replace("<", "\\u003c")  # inside <script>: no "</"


@router.get("/tokens", response_class=HTMLResponse)
async def tokens_page(request: Request, registry: RegistryDep, settings: SettingsDep) -> Response:
    return await page(request, registry, settings, "tokens.html", nav="tokens", title="Tokens", section="/tokens")


@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in_page(request: Request, registry: RegistryDep) -> Response:
    """The one page without a session; a signed-in visitor goes straight on."""
    target = local_path(request.query_params.get("next"))
    if await viewer_of(request, registry) is not None:
        return RedirectResponse(target, status_code=303)
    message = None
    if request.query_params.get("ended"):
        message = "Your session has ended (signed out elsewhere, expired, or the token was revoked). Sign in again."
    return _sign_in_form(request, target, info=message)


def _sign_in_form(request: Request, target: str, *, error: str | None = None, info: str | None = None,
                  status: int = 200) -> Response:
    """The form, with a fresh CSRF value in a hidden field and in a cookie of its own:
    another site cannot sign a browser in with a token of its choosing."""
    nonce = secrets.token_urlsafe(24)
    response = _html("sign_in.html", status, viewer=None, title="Sign in", nav="", next=target, nonce=nonce,
                     error=error, info=info, signed_out=request.query_params.get("signed_out") == "1")
    response.set_cookie(SIGN_IN_COOKIE, nonce, max_age=3600, path="/sign-in", httponly=True, samesite="strict",
                        secure=_secure(request))
    return response


def _form(raw: bytes) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (the only kind these forms send)."""
    return {key: values[-1] for key, values in parse_qs(raw.decode("utf-8", "replace")).items()}


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request, raw: RawBody, registry: RegistryDep) -> Response:
    form = _form(raw)
    target = local_path(form.get("next"))
    nonce = request.cookies.get(SIGN_IN_COOKIE, "")
    if not nonce or not secrets.compare_digest(nonce, form.get("nonce", "")):
        return _sign_in_form(request, target, error="The sign-in form had expired. Please try again.", status=400)
    token = form.get("token", "").strip()
    if await registry.tokens.authenticate(token) is None:
        return _sign_in_form(request, target, error="That token is unknown or has been revoked.", status=401)
    codec = _codec(request)
    _, value = codec.new(token)
    response = RedirectResponse(target, status_code=303)
    set_cookie(response, value, max_age=codec.max_age, secure=_secure(request))
    response.delete_cookie(SIGN_IN_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
async def sign_out(request: Request, raw: RawBody) -> Response:
    """Ends the session: this gateway refuses it from now on, and the browser forgets it.
    Needs the session's CSRF value, so another site cannot sign anyone out."""
    codec = _codec(request)
    session = codec.from_request(request)
    if session is not None:
        if not session.csrf_matches(_form(raw).get("csrf")):
            return _html("error.html", 403, viewer=None, title="Not signed out", nav="",
                         message="That sign-out did not come from this console's own page, so it was refused.")
        codec.end(session)
    response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
    clear_cookie(response, secure=_secure(request))
    return response
