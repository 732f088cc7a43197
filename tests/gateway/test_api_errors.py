"""Auth and bad input through the real app: every refusal has the right status and
the ``{"error": {"code", "message"}}`` body, never a traceback."""

from __future__ import annotations

import httpx
import pytest

from tests.gateway.conftest import Gateway

ECHO = """\
name: echo
version: 3
steps:
  answer:
    respond:
      body: "{{ trigger.body }}"
"""

ENDPOINTS = [
    ("POST", "/workflows/echo"),
    ("GET", "/api/runs"),
    ("GET", "/api/runs/run_x"),
    ("GET", "/api/runs/run_x/events"),
    ("GET", "/api/runs/run_x/events?follow=true"),
    ("POST", "/api/runs/run_x/signal/go"),
    ("POST", "/api/runs/run_x/cancel"),
    ("PUT", "/api/workflows/echo"),
    ("GET", "/api/workflows"),
    ("GET", "/api/workflows/echo"),
    ("DELETE", "/api/workflows/echo"),
    ("PUT", "/api/secrets/API_KEY"),
    ("DELETE", "/api/secrets/API_KEY"),
    ("GET", "/api/secrets"),
]


def error_of(answer: httpx.Response, status: int, code: str) -> str:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    assert "Traceback" not in answer.text
    return str(body["error"]["message"])


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_every_endpoint_needs_a_known_session(gateway: Gateway, method: str, path: str) -> None:
    async with httpx.AsyncClient(base_url=gateway.url) as anonymous:
        missing = await anonymous.request(method, path, content=ECHO)
        wrong = await anonymous.request(method, path, content=ECHO, headers={"Dispatched-Session": "nope"})
    assert "Dispatched-Session" in error_of(missing, 401, "unauthorized")
    error_of(wrong, 401, "unauthorized")


async def test_healthz_needs_no_session(gateway: Gateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.url) as anonymous:
        answer = await anonymous.get("/healthz")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


async def test_tokens_created_in_the_registry_are_accepted_until_revoked(gateway: Gateway) -> None:
    made = await gateway.registry.tokens.create("default", "admin", "ci")
    async with httpx.AsyncClient(base_url=gateway.url, headers={"Dispatched-Session": made.token}) as other:
        assert (await other.get("/api/workflows")).status_code == 200
        await gateway.registry.tokens.revoke("default", made.info.id)
        error_of(await other.get("/api/workflows"), 401, "unauthorized")


async def test_bad_json_is_400_with_where(gateway: Gateway) -> None:
    await gateway.deploy(ECHO)
    message = error_of(await gateway.http.post("/workflows/echo", content=b'{"a": 1,}'), 400, "invalid_json")
    assert "line 1" in message
    error_of(await gateway.http.post("/api/runs/run_x/signal/go", content=b"{nope"), 400, "invalid_json")


async def test_bodies_over_one_mebibyte_are_413(gateway: Gateway) -> None:
    await gateway.deploy(ECHO)
    big = b'"' + b"x" * (1024 * 1024) + b'"'
    error_of(await gateway.http.post("/workflows/echo", content=big), 413, "body_too_large")

    async def chunks():  # no Content-Length: the limit holds on the bytes actually sent
        for _ in range(17):
            yield b"x" * 65536

    error_of(await gateway.http.post("/workflows/echo", content=chunks()), 413, "body_too_large")
    error_of(await gateway.http.put("/api/workflows/echo", content=big), 413, "body_too_large")


async def test_an_invalid_document_lists_located_problems(gateway: Gateway) -> None:
    source = "name: broken\nsteps:\n  a:\n    after: [ghost]\n    request:\n      url: http://x\n      timout: 5s\n"
    answer = await gateway.http.put("/api/workflows/broken", content=source)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_document"
    by_path = {p["path"]: p for p in error["problems"]}
    assert by_path["steps.a.after[0]"]["line"] == 4 and by_path["steps.a.after[0]"]["step"] == "a"
    assert any("timout" in p["path"] + p["message"] for p in error["problems"])
    error_of(await gateway.http.get("/api/workflows/broken"), 404, "workflow_not_found")


async def test_the_path_name_must_match_the_document(gateway: Gateway) -> None:
    message = error_of(await gateway.http.put("/api/workflows/other", content=ECHO), 422, "name_mismatch")
    assert "'echo'" in message


async def test_unknown_things_are_404(gateway: Gateway) -> None:
    error_of(await gateway.http.post("/workflows/nope", json={}), 404, "workflow_not_found")
    error_of(await gateway.http.get("/api/runs/run_doesnotexist"), 404, "run_not_found")
    error_of(await gateway.http.get("/api/runs/run_doesnotexist/events"), 404, "run_not_found")
    error_of(await gateway.http.get("/api/runs/run_doesnotexist/events?follow=true"), 404, "run_not_found")
    error_of(await gateway.http.post("/api/runs/run_doesnotexist/signal/go", json={}), 404, "run_not_found")
    error_of(await gateway.http.post("/api/runs/run_doesnotexist/cancel"), 404, "run_not_found")
    error_of(await gateway.http.delete("/api/workflows/nope"), 404, "workflow_not_found")
    error_of(await gateway.http.delete("/api/secrets/NOPE"), 404, "secret_not_found")
    error_of(await gateway.http.get("/no/such/route"), 404, "not_found")


async def test_bad_query_values_use_the_error_format(gateway: Gateway) -> None:
    message = error_of(await gateway.http.get("/api/runs?status=sleeping"), 422, "invalid_request")
    assert "status" in message
    error_of(await gateway.http.post("/api/runs/run_x/signal/__internal", json={}), 422, "invalid_signal_name")
