"""Every endpoint but /healthz refuses missing, empty, wrong and revoked session tokens
with 401 (SPEC §3), found by walking the app's own routes so a new endpoint is covered
the day it is added."""

from __future__ import annotations

import inspect
import re

import httpx

from gateway.app import create_app
from registry.tokens import Tokens
from runtime.settings import Settings
from tests.gateway.conftest import Gateway

PUBLIC = {"/healthz"}
SAMPLE_PARAMS = {
    "name": "probe", "run_id": "run_00000000000000000000000000", "NAME": "PROBE", "token_id": "tok_0000000000000000",
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
