"""Encrypted history end to end (SPEC §9): a canary in a trigger body and in a signal payload
reaches the upstream, is in no decoded payload of the history the real ``temporal`` CLI
prints, and comes back in clear from ``/codec/decode``; a plain ``temporal workflow signal
--input`` still wakes a wait (SPEC §5); the codec endpoint's auth and CORS."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.api.common.v1 import Payload

from cli.dev.temporal_server import temporal_binary
from runtime.codec import ENCODING, KEY_ID, EncryptionCodec
from runtime.payload_keys import PayloadKey
from runtime.settings import Settings
from tests.gateway.conftest import TOKEN, Gateway, serving
from tests.payload_key import TEST_KEY, history_payloads
from tests.upstream import Reply, Upstream

TRIGGER_CANARY = "trigger.canary@example.invalid"
SIGNAL_CANARY = "signal.canary@example.invalid"
UI_ORIGIN = "http://127.0.0.1:8233"
DOCUMENT = """\
name: codec-canary
steps:
  register:
    request:
      method: POST
      url: "{{ secrets.UPSTREAM_URL }}/register"
      body: {email: "{{ trigger.body.email }}"}
  confirm:
    after: [register]
    wait: {signal: confirmed, timeout: 5m}
  notify:
    after: [confirm]
    request:
      method: POST
      url: "{{ secrets.UPSTREAM_URL }}/notify"
      body: {contact: "{{ steps.confirm.signal.body.contact }}"}
"""


@pytest.fixture
def gateway_settings(tmp_path: Path, gateway_settings: Settings) -> Settings:
    """The suite's gateway, with the dev Web UI's origin allowed to call /codec."""
    return gateway_settings.model_copy(update={"codec_cors_origins": [UI_ORIGIN]})


@pytest.fixture
async def canary_gateway(gateway: Gateway, upstream: Upstream) -> AsyncIterator[Gateway]:
    upstream.route("POST", "/register", lambda r: Reply(200, {"welcome": r.json()["email"]}))
    upstream.route("POST", "/notify", Reply(200, {}))
    assert (await gateway.http.put("/api/secrets/UPSTREAM_URL", json={"value": upstream.url})).status_code == 200
    await gateway.deploy(DOCUMENT)
    yield gateway


async def _start(gateway: Gateway) -> str:
    answer = await gateway.http.post("/workflows/codec-canary", json={"email": TRIGGER_CANARY},
                                     headers={"Prefer": "respond-async"})
    assert answer.status_code == 202, answer.text
    run_id: str = answer.json()["run_id"]
    await gateway.until_step(run_id, "confirm", "waiting")
    return run_id


async def _temporal(gateway: Gateway, *args: str) -> str:
    """The real ``temporal`` CLI against the session's dev server."""
    address = gateway.client.service_client.config.target_host
    process = await asyncio.create_subprocess_exec(
        temporal_binary(), *args, "--address", address,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


def _text(payload: dict[str, Any]) -> str:
    return base64.b64decode(payload.get("data", "")).decode(errors="replace")


async def test_canaries_reach_the_upstream_but_not_the_history(canary_gateway: Gateway, upstream: Upstream) -> None:
    gateway = canary_gateway
    run_id = await _start(gateway)
    signalled = await gateway.http.post(f"/api/runs/{run_id}/signal/confirmed", json={"contact": SIGNAL_CANARY})
    assert signalled.status_code == 202, signalled.text
    assert (await gateway.until_closed(run_id))["status"] == "completed"
    assert upstream.received("POST", "/register")[0].json() == {"email": TRIGGER_CANARY}
    assert upstream.received("POST", "/notify")[0].json() == {"contact": SIGNAL_CANARY}

    shown = await _temporal(gateway, "workflow", "show", "--workflow-id", run_id, "--output", "json")
    payloads = list(history_payloads(json.loads(shown)))
    assert len(payloads) >= 8  # input, memo, two requests and their results, the signal, the result
    for payload in payloads:
        assert base64.b64decode(payload["metadata"]["encoding"]) == ENCODING, payload
        assert base64.b64decode(payload["metadata"][KEY_ID]).decode() == TEST_KEY.key_id
        assert TRIGGER_CANARY not in _text(payload) and SIGNAL_CANARY not in _text(payload)
    assert TRIGGER_CANARY not in shown and SIGNAL_CANARY not in shown

    decoded = await gateway.http.post("/codec/decode", json={"payloads": payloads})
    assert decoded.status_code == 200, decoded.text
    clear = " ".join(_text(p) for p in decoded.json()["payloads"])
    assert TRIGGER_CANARY in clear and SIGNAL_CANARY in clear and '"welcome"' in clear

    # What docs/engine.md tells an operator to run: the CLI decoding through the gateway.
    read = await _temporal(gateway, "workflow", "show", "--workflow-id", run_id, "--output", "json",
                           "--codec-endpoint", f"{gateway.url}/codec", "--codec-auth", f"Bearer {TOKEN}")
    assert TRIGGER_CANARY in " ".join(_text(p) for p in history_payloads(json.loads(read)))


async def test_a_plain_temporal_signal_still_wakes_a_wait(canary_gateway: Gateway, upstream: Upstream) -> None:
    run_id = await _start(canary_gateway)
    await _temporal(canary_gateway, "workflow", "signal", "--workflow-id", run_id, "--name", "confirmed",
                    "--input", json.dumps({"contact": "plain@example.invalid"}))
    assert (await canary_gateway.until_closed(run_id))["status"] == "completed"
    assert upstream.received("POST", "/notify")[0].json() == {"contact": "plain@example.invalid"}
    state = (await canary_gateway.http.get(f"/api/runs/{run_id}")).json()
    assert state["steps"]["confirm"]["status"] == "completed"


async def _sealed(codec: EncryptionCodec, value: object) -> dict[str, Any]:
    plain = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(value).encode())
    [sealed] = await codec.encode([plain])
    return {"metadata": {k: base64.b64encode(v).decode() for k, v in sealed.metadata.items()},
            "data": base64.b64encode(sealed.data).decode()}


async def test_encode_then_decode_and_plain_payloads_pass(gateway: Gateway) -> None:
    plain = {"metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
             "data": base64.b64encode(b'{"a": 1}').decode()}
    encoded = await gateway.http.post("/codec/encode", json={"payloads": [plain]})
    assert encoded.status_code == 200, encoded.text
    [sealed] = encoded.json()["payloads"]
    assert base64.b64decode(sealed["metadata"]["encoding"]) == ENCODING
    decoded = await gateway.http.post("/codec/decode", json={"payloads": [sealed, plain]})
    assert decoded.json() == {"payloads": [plain, plain]}


async def test_an_unknown_key_id_is_a_400_naming_it(gateway: Gateway) -> None:
    other = PayloadKey(b"x" * 32)
    answer = await gateway.http.post("/codec/decode", json={"payloads": [await _sealed(EncryptionCodec([other]), 1)]})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "payload_not_decodable"
    assert other.key_id in answer.json()["error"]["message"]
    bad = await gateway.http.post("/codec/decode", content=b'{"payloads": [{"data": 7}]}')
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_payloads"


async def test_production_needs_the_operator_token(gateway: Gateway) -> None:
    body = {"payloads": [await _sealed(EncryptionCodec([TEST_KEY]), {"secret": "x"})]}
    project_token = (await gateway.registry.tokens.create("default", "admin", "codec probe")).token
    async with httpx.AsyncClient(base_url=gateway.url) as anonymous:
        for path in ("/codec/decode", "/codec/encode"):
            refused = await anonymous.post(path, json=body)
            assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
            wrong = await anonymous.post(path, json=body, headers={"Authorization": "Bearer wrong"})
            assert wrong.status_code == 401
            project = await anonymous.post(path, json=body, headers={"Authorization": f"Bearer {project_token}"})
            assert project.status_code == 403 and "operator token" in project.json()["error"]["message"]
        for headers in ({"Authorization": f"Bearer {TOKEN}"}, {"Authorization": TOKEN}, {"Dispatched-Session": TOKEN}):
            assert (await anonymous.post("/codec/decode", json=body, headers=headers)).status_code == 200, headers


async def test_cors_for_the_web_ui_origin_only(gateway: Gateway) -> None:
    async with httpx.AsyncClient(base_url=gateway.url) as browser:
        preflight = await browser.options("/codec/decode", headers={
            "Origin": UI_ORIGIN, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-namespace",
        })
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == UI_ORIGIN
        assert "POST" in preflight.headers["access-control-allow-methods"]
        assert {"content-type", "x-namespace"} <= {h.strip() for h in preflight.headers["access-control-allow-headers"].split(",")}
        foreign = await browser.options("/codec/decode", headers={"Origin": "http://127.0.0.1:9999",
                                                                  "Access-Control-Request-Method": "POST"})
        assert foreign.status_code == 403 and "access-control-allow-origin" not in foreign.headers
        body: dict[str, list[object]] = {"payloads": []}
        allowed = await browser.post("/codec/decode", json=body, headers={"Origin": UI_ORIGIN, "Dispatched-Session": TOKEN})
        assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == UI_ORIGIN
        unauthorized = await browser.post("/codec/decode", json=body, headers={"Origin": UI_ORIGIN})
        assert unauthorized.status_code == 401  # readable by the Web UI: it carries the CORS headers too
        assert unauthorized.headers["access-control-allow-origin"] == UI_ORIGIN
        other = await browser.post("/codec/decode", json=body, headers={"Origin": "http://127.0.0.1:9999",
                                                                        "Dispatched-Session": TOKEN})
        assert other.status_code == 403 and other.json()["error"]["code"] == "origin_not_allowed"


async def test_dev_opens_it_to_loopback_without_a_token(gateway: Gateway) -> None:
    """``dispatched dev``'s setting: its own Web UI (on loopback) sends no token."""
    settings = gateway.settings.model_copy(update={"codec_open_to_loopback": True})
    body = {"payloads": [await _sealed(EncryptionCodec([TEST_KEY]), {"shown": "in clear"})]}
    async with serving(settings, gateway.client) as url, httpx.AsyncClient(base_url=url) as ui:
        answer = await ui.post("/codec/decode", json=body, headers={"Origin": UI_ORIGIN})
        assert answer.status_code == 200, answer.text
        assert _text(answer.json()["payloads"][0]) == '{"shown": "in clear"}'
        assert (await ui.post("/codec/decode", json=body, headers={"Origin": "http://evil.invalid"})).status_code == 403
