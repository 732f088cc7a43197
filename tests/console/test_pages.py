"""Every page of the console, at 1280 px and at 390 px (a phone): it shows its data, the
page never scrolls sideways (wide things scroll in their own box), and a screenshot of it
goes to ``$CONSOLE_SCREENSHOTS`` (``docs/console/`` for the README) or a tmp dir."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from tests.cli.conftest import EXAMPLES
from tests.cli.test_marketplace_flow import ADDRESS
from tests.cli.test_projects import ok
from tests.console.conftest import DESKTOP, PHONE, Console

TALLEST = 1500  # px of a page kept in a screenshot: the top of a long page says enough


async def no_sideways_scroll(page: Page) -> None:
    widths = await page.evaluate(
        "[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways at {widths[1]} px: {widths[0]} px wide"


async def shoot(page: Page, folder: Path, name: str) -> None:
    height = min(TALLEST, await page.evaluate("document.scrollingElement.scrollHeight"))
    width = page.viewport_size["width"] if page.viewport_size else DESKTOP["width"]
    await page.screenshot(path=folder / f"{name}.png", full_page=True,
                          clip={"x": 0, "y": 0, "width": width, "height": height}, animations="disabled")


async def until_step(console: Console, run_id: str, step: str, status: str) -> None:
    """Poll the API (as the operator) until ``step`` of ``run_id`` is ``status``."""
    headers = {"Dispatched-Session": console.live.token}
    async with httpx.AsyncClient(base_url=console.live.url, headers=headers) as http:
        for _ in range(300):
            if (await http.get(f"/api/runs/{run_id}")).json()["steps"][step]["status"] == status:
                return
            await asyncio.sleep(0.1)
    raise AssertionError(f"{step} never became {status}")


async def stage(console: Console) -> dict[str, str]:
    """A project worth looking at: workflows, secrets, runs in several states, tokens,
    and a second project where a template's copy waits for its secret."""
    live = console.live
    values = live.demo.secret_values()
    for name in ("ECOM_API_URL", "ORDER_SERVICE_URL", "ORDER_SERVICE_TOKEN"):
        await ok(live, "secrets", "set", name, values[name])
    for document in ("async-checkout.yaml", "respond-early.yaml", "fulfill-order.yaml"):
        await ok(live, "workflow", "deploy", str(EXAMPLES / document))
    await ok(live, "run", "start", "respond-early", "--data", '{"order_id": "ord_1"}')
    run_id = (await ok(live, "run", "start", "async-checkout", "--async", "--data", '{"user_id": "user_42"}')).strip()
    await until_step(console, run_id, "confirm_address", "waiting")
    await ok(live, "run", "signal", run_id, "address-submitted", "--data", ADDRESS)
    await until_step(console, run_id, "select_shipping", "waiting")
    cancelled = (await ok(live, "run", "start", "async-checkout", "--async", "--data", '{"user_id": "u"}')).strip()
    await ok(live, "run", "cancel", cancelled)
    await ok(live, "token", "create", "--role", "read", "--label", "dashboard")
    await ok(live, "token", "create", "--role", "deploy", "--label", "ci deploys")
    await ok(live, "project", "create", "shop")
    await ok(live, "--project", "shop", "marketplace", "use", "@dispatched/async-checkout")
    return {"run": run_id}


async def test_every_page_at_desktop_and_phone_width(console: Console, screenshots: Path) -> None:
    page = console.page
    staged = await stage(console)
    await console.sign_in(console.live.token)
    run = staged["run"]
    pages = [
        ("runs", "/", "#runs-table tbody tr >> nth=2"),
        ("run", f"/runs/{run}", 'svg.dag g.node[data-step="select_shipping"][data-status="waiting"]'),
        ("workflows", "/workflows", '#workflows-table tr[data-workflow="respond-early"]'),
        ("workflow", "/workflows/async-checkout", "#source .line >> nth=60"),
        ("secrets", "/secrets?project=shop&workflow=async-checkout", "#secrets-table tr.picked"),
        ("marketplace", "/marketplace", "li.card >> nth=2"),
        ("template", "/marketplace/@dispatched/response-header-directives", "svg.dag g.node >> nth=3"),
        ("tokens", "/tokens", "#tokens-table tbody tr >> nth=1"),
    ]
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        await page.set_viewport_size(viewport)
        for name, path, ready in pages:
            await page.goto(console.url(path))
            await page.wait_for_selector(ready)
            await no_sideways_scroll(page)
            await shoot(page, screenshots, f"{name}-{size}")

    # What the pages showed: the run's states, the project switcher's choice.
    await page.goto(console.url(f"/runs/{run}"))
    await expect(page.locator('#steps-table tr[data-step="confirm_address"] .badge')).to_have_text("completed")
    await expect(page.locator('#steps-table tr[data-step="finalize_order"] .badge')).to_have_text("pending")
    await expect(page.locator("#temporal-link")).to_have_count(0)  # no Web UI address configured here
    await page.goto(console.url("/secrets"))
    await page.get_by_label("Project").select_option("shop")
    await page.get_by_role("button", name="Switch").click()
    await page.wait_for_url("**/secrets?project=shop")
    await expect(page.locator('#secrets-table tr[data-secret="ECOM_API_URL"] .badge')).to_have_text("pending")

    # Signing out ends up on the sign-in page, the last one to photograph.
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url("**/sign-in?signed_out=1")
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        await page.set_viewport_size(viewport)
        await no_sideways_scroll(page)
        await shoot(page, screenshots, f"sign-in-{size}")
    assert len(list(screenshots.glob("*.png"))) >= 18
    console.assert_clean()
