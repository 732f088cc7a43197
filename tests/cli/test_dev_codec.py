"""``dispatched dev`` encrypts history and lets its own Web UI read it (SPEC §9): the key file
made in the data dir, the Web UI started with ``--ui-codec-endpoint`` at the gateway's
``/codec``, and that endpoint answering the Web UI's origin from loopback without a token."""

from __future__ import annotations

import base64
import json
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli.dev.temporal_server import temporal_binary
from runtime.payload_keys import load_or_create_key_file
from tests.cli.devproc import DevProcess

CANARY = "dev.canary@example.invalid"


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[DevProcess]:
    process = DevProcess(tmp_path / "data")
    try:
        yield process
    finally:
        process.kill()


def _payloads(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if isinstance(node.get("metadata"), dict) and "encoding" in node["metadata"]:
            yield node
            return
        for key, value in node.items():
            if key != "searchAttributes":  # indexed by Temporal, never encoded
                yield from _payloads(value)
    elif isinstance(node, list):
        for item in node:
            yield from _payloads(item)


def _clear(payloads: list[dict[str, Any]]) -> str:
    return " ".join(base64.b64decode(p.get("data", "")).decode(errors="replace") for p in payloads)


def _history(dev: DevProcess, run_id: str) -> list[dict[str, Any]]:
    shown = subprocess.run(
        [temporal_binary(), "workflow", "show", "--workflow-id", run_id, "--output", "json",
         "--address", f"127.0.0.1:{dev.temporal_port}"], capture_output=True, text=True, timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    assert CANARY not in shown.stdout
    return list(_payloads(json.loads(shown.stdout)))


def test_dev_history_is_encrypted_and_its_web_ui_reads_it(dev: DevProcess) -> None:
    dev.start()
    key_file = dev.data_dir / "payload.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    [key] = load_or_create_key_file(key_file)

    ui = f"http://127.0.0.1:{dev.ui_port}"
    settings = httpx.get(f"{ui}/api/v1/settings", timeout=10).json()
    assert settings["Codec"]["Endpoint"] == f"http://127.0.0.1:{dev.port}/codec"

    run_id = dev.ok("run", "start", "async-checkout", "--async", "--data", json.dumps({"user_id": CANARY})).strip()
    deadline = time.monotonic() + 30
    while '"waiting"' not in dev.ok("run", "show", run_id, "--json") and time.monotonic() < deadline:
        time.sleep(0.2)
    payloads = _history(dev, run_id)
    assert payloads and CANARY not in _clear(payloads)
    assert {base64.b64decode(p["metadata"]["encryption-key-id"]).decode() for p in payloads} == {key.key_id}

    gateway = f"http://127.0.0.1:{dev.port}"
    preflight = httpx.options(f"{gateway}/codec/decode", headers={
        "Origin": ui, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-namespace",
    })
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == ui
    # As the Web UI's page sends it: its origin, X-Namespace, no token.
    decoded = httpx.post(f"{gateway}/codec/decode", json={"payloads": payloads},
                         headers={"Origin": ui, "X-Namespace": "default"}, timeout=30)
    assert decoded.status_code == 200, decoded.text
    assert decoded.headers["access-control-allow-origin"] == ui
    assert CANARY in _clear(decoded.json()["payloads"])
    localhost = httpx.post(f"{gateway}/codec/decode", json={"payloads": []},
                           headers={"Origin": f"http://localhost:{dev.ui_port}"})
    assert localhost.status_code == 200  # the same Web UI opened as localhost
    foreign = httpx.post(f"{gateway}/codec/decode", json={"payloads": payloads}, headers={"Origin": "http://127.0.0.1:1"})
    assert foreign.status_code == 403


async def test_the_dev_web_ui_shows_a_run_in_clear(dev: DevProcess) -> None:
    """The real Web UI in headless Chromium: it asks the gateway's /codec (its preflight and
    headers included) and shows the run's encrypted input and step summaries as they were."""
    from playwright.async_api import async_playwright, expect

    dev.start()
    run_id = dev.ok("run", "start", "async-checkout", "--async", "--data", json.dumps({"user_id": CANARY})).strip()
    codec_answers: list[int] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium")
        try:
            page = await browser.new_page()
            page.on("response", lambda r: codec_answers.append(r.status) if "/codec/decode" in r.url else None)
            await page.goto(f"http://127.0.0.1:{dev.ui_port}/namespaces/default/workflows/{run_id}")
            await expect(page.get_by_text("Codec Server succesfully converted content")).to_be_attached(timeout=30_000)
            # The run's input, decrypted (its start: the editor renders only the lines in view).
            await expect(page.get_by_role("textbox", name="Input")).to_contain_text(
                f'"run_id": "{run_id}",  "workflow": "async-checkout"', timeout=30_000)
            # The step summaries are payloads too: the timeline shows the step ids in clear.
            await expect(page.get_by_text("dispatched.request • create_cart").first).to_be_visible()
        finally:
            await browser.close()
    assert codec_answers and set(codec_answers) == {200}
