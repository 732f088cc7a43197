"""Every endpoint × every role (SPEC §6): the roles that may pass, the roles that may not.

The endpoints come from the app's own OpenAPI schema, so a new endpoint fails
:func:`test_every_endpoint_has_a_role` until it is given a row in :data:`NEEDS`.
"""

from __future__ import annotations

import re

import httpx
import pytest

from contract.roles import ROLES, Role, role_allows
from gateway.app import create_app
from tests.gateway.conftest import TOKEN, Gateway

OPERATOR = "operator"
# (method, OpenAPI path) -> the least role that may call it ("operator": DISPATCHED_TOKEN only).
NEEDS: dict[tuple[str, str], Role | str] = {
    ("POST", "/workflows/{name}"): "run",
    ("GET", "/api/runs"): "read",
    ("GET", "/api/runs/{run_id}"): "read",
    ("GET", "/api/runs/{run_id}/events"): "read",
    ("POST", "/api/runs/{run_id}/signal/{name}"): "run",
    ("POST", "/api/runs/{run_id}/cancel"): "run",
    ("GET", "/api/workflows"): "read",
    ("GET", "/api/workflows/{name}"): "read",
    ("GET", "/api/workflows/{name}/revisions/{revision}"): "read",
    ("PUT", "/api/workflows/{name}"): "deploy",
    ("DELETE", "/api/workflows/{name}"): "deploy",
    ("GET", "/api/secrets"): "read",
    ("PUT", "/api/secrets/{name}"): "deploy",
    ("DELETE", "/api/secrets/{name}"): "deploy",
    ("GET", "/api/projects"): "read",
    ("POST", "/api/projects"): OPERATOR,
    ("GET", "/api/tokens"): "admin",
    ("POST", "/api/tokens"): "admin",
    ("DELETE", "/api/tokens/{token_id}"): "admin",
    ("GET", "/api/marketplace"): "read",
    ("GET", "/api/marketplace/{owner}/{slug}"): "read",
    ("POST", "/api/marketplace/{owner}/{slug}/use"): "deploy",
    ("POST", "/api/marketplace"): "admin",
    ("DELETE", "/api/marketplace/{owner}/{slug}"): "admin",
    ("POST", "/codec/encode"): OPERATOR,  # a payload belongs to no project (gateway/routers/codec.py)
    ("POST", "/codec/decode"): OPERATOR,
}
PUBLIC = {"/healthz", "/metrics"}  # SPEC §3: no session; names and counts only
SAMPLE = {"run_id": "run_00000000000000000000000000", "token_id": "tok_0000000000000000", "owner": "@nobody",
          "slug": "none", "name": "PROBE", "revision": "1"}


def _routes(gateway: Gateway) -> list[tuple[str, str]]:
    paths = create_app(gateway.settings).openapi()["paths"]
    return [(method.upper(), path) for path, ops in paths.items() if path not in PUBLIC for method in ops]


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: SAMPLE.get(m.group(1), "x"), path)


def test_every_endpoint_has_a_role(gateway: Gateway) -> None:
    routes = _routes(gateway)
    assert sorted(set(routes) - set(NEEDS)) == []
    assert sorted(set(NEEDS) - set(routes)) == []


def _may(role: Role, needed: Role | str) -> bool:
    return needed != OPERATOR and role_allows(role, needed)  # type: ignore[arg-type]


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_passes_exactly_where_it_may(gateway: Gateway, role: Role) -> None:
    made = await gateway.registry.tokens.create("default", role, f"{role} probe")
    async with httpx.AsyncClient(base_url=gateway.url, headers={"Dispatched-Session": made.token}) as client:
        for method, path in _routes(gateway):
            needed = NEEDS[(method, path)]
            answer = await client.request(method, _concrete(path), content=b'{"a": 1}')
            where = (role, method, path, answer.status_code, answer.text[:200])
            if _may(role, needed):
                assert answer.status_code not in (401, 403), where
            else:
                assert answer.status_code == 403, where
                error = answer.json()["error"]
                assert error["code"] == "forbidden", where
                wanted = "operator token" if needed == OPERATOR else repr(needed)
                assert wanted in error["message"], where


async def test_the_operator_token_passes_everywhere(gateway: Gateway) -> None:
    for method, path in _routes(gateway):
        answer = await gateway.http.request(method, _concrete(path), content=b'{"a": 1}')
        assert answer.status_code not in (401, 403), (method, path, answer.status_code, answer.text[:200])


async def test_a_project_token_cannot_name_another_project(gateway: Gateway) -> None:
    assert (await gateway.http.post("/api/projects", json={"name": "elsewhere"})).status_code == 201
    made = await gateway.registry.tokens.create("default", "admin", "default admin")
    headers = {"Dispatched-Session": made.token, "Dispatched-Project": "elsewhere"}
    async with httpx.AsyncClient(base_url=gateway.url, headers=headers) as client:
        answer = await client.get("/api/workflows")
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "forbidden"
    assert "'default'" in answer.json()["error"]["message"] and "'elsewhere'" in answer.json()["error"]["message"]
    own = {"Dispatched-Session": made.token, "Dispatched-Project": "default"}
    async with httpx.AsyncClient(base_url=gateway.url, headers=own) as client:
        assert (await client.get("/api/workflows")).status_code == 200  # naming its own project is fine


async def test_the_operator_names_a_project_and_an_unknown_one_is_404(gateway: Gateway) -> None:
    headers = {"Dispatched-Session": TOKEN, "Dispatched-Project": "no-such-project"}
    async with httpx.AsyncClient(base_url=gateway.url, headers=headers) as client:
        answer = await client.get("/api/workflows")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "project_not_found"


async def test_a_revoked_project_token_is_401(gateway: Gateway) -> None:
    made = await gateway.registry.tokens.create("default", "read", "short-lived")
    async with httpx.AsyncClient(base_url=gateway.url, headers={"Dispatched-Session": made.token}) as client:
        assert (await client.get("/api/workflows")).status_code == 200
        await gateway.registry.tokens.revoke("default", made.info.id)
        answer = await client.get("/api/workflows")
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthorized"
