"""A run's page by keyboard alone: the signal form checks its JSON before anything is
sent, cancel asks first (and Escape keeps the run), and the page links the run into
Temporal's Web UI when the gateway knows where that is (``DISPATCHED_TEMPORAL_UI_URL``)."""

from __future__ import annotations

import httpx
from playwright.async_api import Page, expect

from tests.cli.conftest import EXAMPLES, GatewayServer
from tests.cli.test_projects import ok
from tests.console.conftest import Console
from tests.console.test_sessions import _signed_in


async def start_checkout(console: Console) -> str:
    live = console.live
    await ok(live, "secrets", "set", "ECOM_API_URL", f"{live.demo.url}/shop")
    await ok(live, "workflow", "deploy", str(EXAMPLES / "async-checkout.yaml"))
    return (await ok(live, "run", "start", "async-checkout", "--async", "--data", '{"user_id": "u"}')).strip()


async def tab_to(page: Page, name: str, *, limit: int = 40) -> None:
    """Press Tab until the focused element is the one named ``name`` (as a person would)."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        focused = await page.evaluate(
            "document.activeElement.textContent.trim() || document.activeElement.labels?.[0]?.textContent.trim() || ''"
        )
        if focused.startswith(name):
            style = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
            assert style != "none", f"{name} has no visible focus"
            return
    raise AssertionError(f"Tab never reached {name!r}")


async def test_signal_and_cancel_by_keyboard(console: Console) -> None:
    page, live = console.page, console.live
    run_id = await start_checkout(console)
    await page.goto(console.url("/"))
    await page.get_by_label("Token").press_sequentially(live.token)  # focused on arrival (autofocus)
    await page.keyboard.press("Enter")
    await page.wait_for_url(console.url("/"))
    await page.goto(console.url(f"/runs/{run_id}"))
    await page.wait_for_selector('g.node[data-step="confirm_address"][data-status="waiting"]')
    await expect(page.get_by_label("Signal")).to_have_attribute("placeholder", "address-submitted")

    # The payload is checked as it is typed, and a bad one is never sent.
    await tab_to(page, "Signal")
    await page.keyboard.type("address-submitted")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Control+A")
    await page.keyboard.type('{"street": ')
    await expect(page.locator("#signal-check")).to_contain_text("Not valid JSON")
    await expect(page.get_by_label("Payload (JSON)")).to_have_attribute("aria-invalid", "true")
    await tab_to(page, "Send signal")
    await page.keyboard.press("Enter")
    await expect(page.locator("#signal-result")).to_have_text("Fix the payload first: it is not valid JSON.")
    assert not [url for url in console.requests if "/signal/" in url]
    await page.get_by_label("Payload (JSON)").fill('{"street": "1 Main St", "city": "Berlin", "zip": "10115"}')
    await expect(page.locator("#signal-check")).to_have_text("Valid JSON.")
    await tab_to(page, "Send signal")
    await page.keyboard.press("Enter")
    await expect(page.locator("#signal-result")).to_have_text("Sent address-submitted.")
    await page.wait_for_selector('g.node[data-step="select_shipping"][data-status="waiting"]')

    # Cancel asks first: Escape (or "Keep it running") keeps the run.
    await tab_to(page, "Cancel the run")
    await page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_role("button", name="Keep it running")).to_be_focused()
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    assert not [url for url in console.requests if url.endswith("/cancel")]
    await page.keyboard.press("Enter")  # focus is back on "Cancel the run…"
    await expect(dialog).to_be_visible()
    await page.keyboard.press("Shift+Tab")
    await expect(dialog.get_by_role("button", name="Yes, cancel the run")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#run-status")).to_have_text("cancelled")
    await expect(page.locator('#steps-table tr[data-step="select_shipping"] .badge')).to_have_text("cancelled")
    await expect(page.locator("#run-controls")).to_be_hidden()
    console.assert_clean()


async def test_the_run_links_to_temporal_web_ui_where_it_is_configured(console: Console) -> None:
    live = console.live
    run_id = await start_checkout(console)
    ui = "http://127.0.0.1:8233"
    other = GatewayServer(live.settings.model_copy(update={"temporal_ui_url": ui + "/"}), live.gateway.client)
    await other.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{other.port}") as http:
            signed = await _signed_in(http, live.token)
            cookie = signed.headers["set-cookie"].split(";")[0]
            html = (await http.get(f"/runs/{run_id}", headers={"Cookie": cookie})).text
    finally:
        await other.stop()
    assert f'href="{ui}/namespaces/default/workflows/{run_id}"' in html
