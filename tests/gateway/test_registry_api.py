"""``/api/workflows`` and ``/api/secrets`` through the real app; secret values never
come back in any answer, even after a run used them."""

from __future__ import annotations

import json

from tests.gateway.conftest import Gateway
from tests.upstream import Reply, Upstream

SECRET_VALUE = "sk-live-DO-NOT-LEAK-4242"

USES_SECRET = """\
name: uses-secret
steps:
  call:
    request:
      url: "{{ secrets.UPSTREAM_URL }}/hello"
      headers: {authorization: "Bearer {{ secrets.API_TOKEN }}"}
  hold:
    after: [call]
    wait: {signal: go}
"""


async def test_workflow_registry_endpoints(gateway: Gateway) -> None:
    document = {"name": "jsonflow", "version": 4, "steps": {"hold": {"wait": {"signal": "go"}}}}
    source = json.dumps(document)
    first = await gateway.http.put("/api/workflows/jsonflow", content=source,
                                   headers={"Content-Type": "application/json"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["name"], body["revision"], body["version"], body["created"]) == ("jsonflow", 1, 4, True)
    assert any("timeout" in w["message"] and w["step"] == "hold" for w in body["warnings"])
    same = (await gateway.http.put("/api/workflows/jsonflow", content=source)).json()
    assert (same["revision"], same["created"]) == (1, False)
    yaml_source = "name: jsonflow\nversion: 5\nsteps:\n  hold:\n    wait: {signal: go, timeout: 1h}\n"
    second = (await gateway.http.put("/api/workflows/jsonflow", content=yaml_source)).json()
    assert (second["revision"], second["version"], second["warnings"]) == (2, 5, [])
    listed = (await gateway.http.get("/api/workflows")).json()
    assert [(w["name"], w["revision"], w["version"]) for w in listed] == [("jsonflow", 2, 5)]
    detail = (await gateway.http.get("/api/workflows/jsonflow")).json()
    assert (detail["source"], detail["format"], detail["revision"]) == (yaml_source, "yaml", 2)
    assert [(r["revision"], r["format"]) for r in detail["revisions"]] == [(1, "json"), (2, "yaml")]
    deleted = await gateway.http.delete("/api/workflows/jsonflow")
    assert deleted.status_code == 200 and deleted.json() == {"name": "jsonflow", "deleted": True}
    assert (await gateway.http.get("/api/workflows")).json() == []


async def test_secret_endpoints_accept_json_or_text_and_never_return_values(gateway: Gateway) -> None:
    as_json = await gateway.http.put("/api/secrets/API_TOKEN", json={"value": SECRET_VALUE})
    as_text = await gateway.http.put("/api/secrets/OTHER", content=SECRET_VALUE + "\n",
                                     headers={"Content-Type": "text/plain"})
    for answer in (as_json, as_text):
        assert answer.status_code == 200 and SECRET_VALUE not in answer.text
        assert set(answer.json()) == {"name", "updated_at"}
    assert await gateway.registry.secrets.get("default", "OTHER") == SECRET_VALUE  # one trailing newline dropped
    listed = await gateway.http.get("/api/secrets")
    assert [s["name"] for s in listed.json()] == ["API_TOKEN", "OTHER"] and SECRET_VALUE not in listed.text
    bad_json = await gateway.http.put("/api/secrets/API_TOKEN", json={"secret": "x"})
    assert bad_json.status_code == 400 and bad_json.json()["error"]["code"] == "invalid_body"
    bad_name = await gateway.http.put("/api/secrets/lower-case", content="x")
    assert bad_name.status_code == 422 and bad_name.json()["error"]["code"] == "invalid_secret_name"
    assert (await gateway.http.delete("/api/secrets/OTHER")).json() == {"name": "OTHER", "deleted": True}


async def test_a_run_using_secrets_never_shows_them(gateway: Gateway, upstream: Upstream) -> None:
    upstream.route("GET", "/hello", Reply(200, {"hi": True}))
    await gateway.http.put("/api/secrets/UPSTREAM_URL", content=upstream.url)
    await gateway.http.put("/api/secrets/API_TOKEN", json={"value": SECRET_VALUE})
    await gateway.deploy(USES_SECRET)
    run_id = (await gateway.http.post("/workflows/uses-secret", headers={"Prefer": "respond-async"})).json()["run_id"]
    await gateway.until_step(run_id, "hold", "waiting")
    assert upstream.received("GET", "/hello")[0].headers["authorization"] == f"Bearer {SECRET_VALUE}"
    answers = [
        await gateway.http.get(f"/api/runs/{run_id}"),
        await gateway.http.get(f"/api/runs/{run_id}/events"),
        await gateway.http.get("/api/runs"),
        await gateway.http.get("/api/secrets"),
        await gateway.http.get("/api/workflows/uses-secret"),
    ]
    for answer in answers:
        assert answer.status_code == 200 and SECRET_VALUE not in answer.text
    await gateway.http.post(f"/api/runs/{run_id}/cancel")
