"""Projects through the real gateway, worker and dev server (SPEC §6): projects and tokens,
isolation of workflows, secrets and runs, and pending secrets (SPEC §7)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from tests.gateway.conftest import TOKEN, Gateway
from tests.upstream import Reply, Upstream

WHO = """\
name: who
steps:
  call:
    request:
      method: POST
      url: "{{ secrets.UPSTREAM_URL }}/who"
      headers: {authorization: "Bearer {{ secrets.API_TOKEN }}"}
      body: {project: shop-or-default}
"""

PARKED = """\
name: parked
steps:
  hold:
    wait: {signal: go, timeout: 5m}
"""


@asynccontextmanager
async def as_project(gateway: Gateway, project: str, *, role: str = "admin") -> AsyncIterator[httpx.AsyncClient]:
    """A client holding a fresh ``role`` token of ``project`` (made through the API)."""
    made = await gateway.http.post("/api/tokens", json={"role": role, "label": "test"},
                                   headers={"Dispatched-Project": project})
    assert made.status_code == 201, made.text
    async with httpx.AsyncClient(base_url=gateway.url, headers={"Dispatched-Session": made.json()["token"]}) as client:
        yield client


async def _project(gateway: Gateway, prefix: str) -> str:
    """A new project; its name is unique, since the Temporal dev server (and its runs)
    outlives each test's registry."""
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    answer = await gateway.http.post("/api/projects", json={"name": name})
    assert answer.status_code == 201, answer.text
    return name


async def test_projects_are_made_by_the_operator_and_listed(gateway: Gateway) -> None:
    shop_name = await _project(gateway, "shop")
    names = [p["name"] for p in (await gateway.http.get("/api/projects")).json()]
    assert {"default", shop_name} <= set(names)
    again = await gateway.http.post("/api/projects", json={"name": shop_name})
    assert again.status_code == 409 and again.json()["error"]["code"] == "project_exists"
    bad = await gateway.http.post("/api/projects", json={"name": "Shop!"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_project_name"
    assert "lowercase letters" in bad.json()["error"]["message"]
    async with as_project(gateway, shop_name) as shop:
        assert [p["name"] for p in (await shop.get("/api/projects")).json()] == [shop_name]
        refused = await shop.post("/api/projects", json={"name": "more"})
        assert refused.status_code == 403 and "operator token" in refused.json()["error"]["message"]


async def test_tokens_are_shown_once_listed_without_values_and_revoked(gateway: Gateway) -> None:
    headers = {"Dispatched-Project": await _project(gateway, "tokens")}
    made = await gateway.http.post("/api/tokens", json={"role": "run", "label": "ci"}, headers=headers)
    assert made.status_code == 201
    token = made.json()
    assert set(token) == {"id", "token", "role", "label"} and token["token"].startswith("dsp_")
    listed = (await gateway.http.get("/api/tokens", headers=headers)).text
    assert token["id"] in listed and token["token"] not in listed
    async with httpx.AsyncClient(base_url=gateway.url, headers={"Dispatched-Session": token["token"]}) as client:
        assert (await client.get("/api/workflows")).status_code == 200
        assert (await client.get("/api/tokens")).status_code == 403  # run may not manage tokens
        revoked = await gateway.http.delete(f"/api/tokens/{token['id']}", headers=headers)
        assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
        assert (await client.get("/api/workflows")).status_code == 401
    used = next(t for t in (await gateway.http.get("/api/tokens", headers=headers)).json() if t["id"] == token["id"])
    assert used["last_used_at"] is not None
    # Another project's token id is unknown here, like one that does not exist.
    elsewhere = await gateway.http.delete(f"/api/tokens/{token['id']}")
    assert elsewhere.status_code == 404 and elsewhere.json()["error"]["code"] == "token_not_found"
    bad_role = await gateway.http.post("/api/tokens", json={"role": "owner"}, headers=headers)
    assert bad_role.status_code == 422 and bad_role.json()["error"]["code"] == "invalid_role"


async def test_same_names_in_two_projects_stay_apart(gateway: Gateway, upstream: Upstream) -> None:
    upstream.route("POST", "/who", Reply(200, {"ok": True}))
    async with as_project(gateway, await _project(gateway, "shop")) as shop:
        for client, value in ((gateway.http, "default-secret"), (shop, "shop-secret")):
            assert (await client.put("/api/workflows/who", content=WHO)).status_code == 200
            assert (await client.put("/api/secrets/UPSTREAM_URL", content=upstream.url)).status_code == 200
            assert (await client.put("/api/secrets/API_TOKEN", content=value)).status_code == 200
        for client in (gateway.http, shop):
            assert (await client.post("/workflows/who", json={})).status_code == 200
        shop_runs = (await shop.get("/api/runs")).json()
        assert [r["workflow"] for r in shop_runs] == ["who"]
    sent = sorted(r.headers["authorization"] for r in upstream.received("POST", "/who"))
    assert sent == ["Bearer default-secret", "Bearer shop-secret"]


async def test_another_projects_run_is_404_everywhere(gateway: Gateway) -> None:
    other_name = await _project(gateway, "other")
    await gateway.deploy(PARKED)
    started = await gateway.http.post("/workflows/parked", json={}, headers={"Prefer": "respond-async"})
    run_id = started.json()["run_id"]
    await gateway.until_step(run_id, "hold", "waiting")
    async with as_project(gateway, other_name) as other:
        for method, path in (("GET", f"/api/runs/{run_id}"), ("GET", f"/api/runs/{run_id}/events"),
                             ("POST", f"/api/runs/{run_id}/signal/go"), ("POST", f"/api/runs/{run_id}/cancel")):
            answer = await other.request(method, path, json={})
            assert answer.status_code == 404, (method, path, answer.text)
            assert answer.json()["error"]["code"] == "run_not_found"
        assert run_id not in (await other.get("/api/runs")).text
        assert (await other.get("/api/workflows/parked")).status_code == 404
    # Still waiting, untouched: the owner finishes it.
    assert (await gateway.http.get(f"/api/runs/{run_id}")).json()["steps"]["hold"]["status"] == "waiting"
    assert (await gateway.http.post(f"/api/runs/{run_id}/signal/go", json={})).status_code == 202
    assert (await gateway.until_closed(run_id))["status"] == "completed"


async def test_a_pending_secret_refuses_the_trigger_until_it_is_set(gateway: Gateway, upstream: Upstream) -> None:
    upstream.route("POST", "/who", Reply(200, {"ok": True}))
    async with as_project(gateway, await _project(gateway, "pending"), role="deploy") as client:
        deployed = (await client.put("/api/workflows/who", content=WHO)).json()
        assert deployed["pending_secrets"] == ["API_TOKEN", "UPSTREAM_URL"]
        listed = (await client.get("/api/secrets")).json()
        assert listed == [
            {"name": "API_TOKEN", "status": "pending", "used_by": ["who"], "updated_at": None},
            {"name": "UPSTREAM_URL", "status": "pending", "used_by": ["who"], "updated_at": None},
        ]
        refused = await client.post("/workflows/who", json={})
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "secrets_pending"
        assert "API_TOKEN" in refused.json()["error"]["message"] and "UPSTREAM_URL" in refused.json()["error"]["message"]
        assert (await client.get("/api/runs")).json() == []  # refused before any run started
        await client.put("/api/secrets/UPSTREAM_URL", content=upstream.url)
        detail = (await client.get("/api/workflows/who")).json()
        assert detail["secrets"] == [{"name": "API_TOKEN", "status": "pending"}, {"name": "UPSTREAM_URL", "status": "set"}]
        assert (await client.post("/workflows/who", json={})).status_code == 409
        await client.put("/api/secrets/API_TOKEN", content="now-set")
        assert (await client.post("/workflows/who", json={})).status_code == 200
        statuses = {s["name"]: s["status"] for s in (await client.get("/api/secrets")).json()}
        assert statuses == {"API_TOKEN": "set", "UPSTREAM_URL": "set"}
        assert "now-set" not in (await client.get("/api/secrets")).text


async def test_the_operator_token_is_admin_of_every_project(gateway: Gateway) -> None:
    headers = {"Dispatched-Session": TOKEN, "Dispatched-Project": await _project(gateway, "ops")}
    async with httpx.AsyncClient(base_url=gateway.url, headers=headers) as ops:
        assert (await ops.put("/api/workflows/parked", content=PARKED)).status_code == 200
        assert [w["name"] for w in (await ops.get("/api/workflows")).json()] == ["parked"]
    assert "parked" not in [w["name"] for w in (await gateway.http.get("/api/workflows")).json()]
