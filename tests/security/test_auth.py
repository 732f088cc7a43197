"""Every endpoint but /healthz refuses missing, empty, wrong and revoked session tokens
with 401 (SPEC §3), found by walking the app's own routes so a new endpoint is covered
the day it is added; so do the console's session cookies that are forged or hold such a
token. The console's pages are not API and not in that walk: each has a test of its own,
found the same way, that sends anyone without a live session to the sign-in page."""

from __future__ import annotations

import inspect
import re

import httpx
from fastapi.routing import APIRoute

from gateway.app import create_app
from gateway.console import pages as console
from gateway.console.sessions import COOKIE, SessionCodec, derive_key
from registry.tokens import Tokens
from runtime.settings import Settings
from tests.gateway.conftest import TOKEN, Gateway

PUBLIC = {"/healthz", "/metrics"}  # SPEC §3: no session; names and counts only
SAMPLE_PARAMS = {
    "name": "probe", "run_id": "run_00000000000000000000000000", "NAME": "PROBE", "token_id": "tok_0000000000000000",
    "revision": "1",
}


def _endpoints(settings: Settings) -> list[tuple[str, str]]:
    """Every (method, path) of the API as its OpenAPI schema lists it."""
    found = []
    for path, operations in create_app(settings).openapi()["paths"].items():
        if path in PUBLIC:
            continue
        concrete = re.sub(r"\{(\w+)\}", lambda m: SAMPLE_PARAMS.get(m.group(1), "x"), path)
        found += [(method.upper(), concrete) for method in operations]
    return found


async def test_every_endpoint_refuses_bad_tokens(gateway: Gateway) -> None:
    endpoints = _endpoints(gateway.settings)
    assert len(endpoints) >= 12  # triggers, runs, workflows, secrets
    made = await gateway.registry.tokens.create("default", "admin", "to be revoked")
    revoked = made.token
    async with httpx.AsyncClient(base_url=gateway.url) as anonymous:
        assert (await anonymous.get("/api/workflows", headers={"Dispatched-Session": revoked})).status_code == 200
        assert (await gateway.registry.tokens.revoke("default", made.info.id)).revoked_at is not None
        for token in (None, "", "wrong-token", revoked, revoked + "x", "test-session-token-x", "TEST-SESSION-TOKEN"):
            headers = {} if token is None else {"Dispatched-Session": token}
            for method, path in endpoints:
                answer = await anonymous.request(method, path, headers=headers, content=b'{"a": 1}')
                assert answer.status_code == 401, (method, path, token, answer.status_code, answer.text)
                assert answer.json()["error"]["code"] == "unauthorized"
        assert (await anonymous.get("/healthz")).status_code == 200
        for cookie in _dead_cookies(gateway.settings, revoked):
            for method, path in endpoints:
                answer = await anonymous.request(method, path, headers={"Cookie": f"{COOKIE}={cookie}"})
                assert answer.status_code == 401, (method, path, cookie[:12], answer.status_code, answer.text)


def _dead_cookies(settings: Settings, revoked: str) -> list[str]:
    """Console session cookies that must sign nothing in: garbage, one sealed with another
    key, and a well-made one whose token was revoked."""
    other_key = SessionCodec(derive_key(b"not this installation's key"))
    return ["garbage", other_key.new(TOKEN)[1], SessionCodec.for_settings(settings).new(revoked)[1]]


def _console_pages() -> list[str]:
    """Every page of the console (routes kept out of the schema), but the sign-in page."""
    found = [route.path for route in console.router.routes if isinstance(route, APIRoute) and "GET" in (route.methods or ())]
    assert not any(route.include_in_schema for route in console.router.routes if isinstance(route, APIRoute))
    return [re.sub(r"\{(\w+)\}", lambda m: {"owner": "@dispatched"}.get(m.group(1), "probe"), path)
            for path in found if path != "/sign-in"]


async def test_console_pages_send_anyone_without_a_live_session_to_sign_in(gateway: Gateway) -> None:
    pages = _console_pages()
    assert {"/", "/runs/probe", "/workflows", "/secrets", "/marketplace", "/tokens"} <= set(pages)
    assert not set(pages) & set(create_app(gateway.settings).openapi()["paths"])  # not API: not in the walk above
    made = await gateway.registry.tokens.create("default", "admin", "to be revoked")
    await gateway.registry.tokens.revoke("default", made.info.id)
    async with httpx.AsyncClient(base_url=gateway.url) as anonymous:
        for cookie in [None, *_dead_cookies(gateway.settings, made.token)]:
            headers = {} if cookie is None else {"Cookie": f"{COOKIE}={cookie}"}
            for path in pages:
                answer = await anonymous.get(path, headers=headers)
                assert answer.status_code == 303, (path, answer.status_code)
                assert answer.headers["location"].startswith("/sign-in?next="), answer.headers["location"]
        # The sign-in page itself and the console's static files (code, no data) need no session.
        assert (await anonymous.get("/sign-in")).status_code == 200
        assert (await anonymous.get("/static/js/api.js")).status_code == 200


async def test_a_refused_request_changes_nothing(gateway: Gateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.url, headers={"Dispatched-Session": "wrong"}) as intruder:
        assert (await intruder.put("/api/secrets/STOLEN", content="x")).status_code == 401
        assert (await intruder.put("/api/workflows/evil", content="name: evil\nsteps: {a: {wait: {signal: s}}}")).status_code == 401
    assert "STOLEN" not in (await gateway.http.get("/api/secrets")).text
    assert (await gateway.http.get("/api/workflows/evil")).status_code == 404


def test_tokens_are_compared_as_hashes_in_constant_time() -> None:
    """Only SHA-256 digests are compared, with hmac.compare_digest: no timing leaks a
    prefix of a token, and the database never holds a plain one."""
    source = inspect.getsource(Tokens.authenticate)
    assert "hash_token(token)" in source and "hmac.compare_digest" in source and "==" not in source
