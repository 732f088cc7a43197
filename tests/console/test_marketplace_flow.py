"""The seed's marketplace flow in the console (issue 11, SPEC §7, §8): sign in, find
``@dispatched/async-checkout``, use it, set the secret it is pending on, trigger it from
its workflow page, and watch the run page follow every step live while the real
``dispatched`` CLI sends the three signals, to the end, without a reload."""

from __future__ import annotations

import uuid

from playwright.async_api import Page, expect

from tests.cli.test_marketplace_flow import SIGNALS
from tests.cli.test_projects import ok
from tests.console.conftest import Console

WAITS = ("confirm_address", "select_shipping", "confirm_payment")


def node(page: Page, step: str, status: str) -> str:
    return f'svg.dag g.node[data-step="{step}"][data-status="{status}"]'


async def test_use_set_trigger_and_watch_the_checkout_live(console: Console) -> None:
    page, live = console.page, console.live
    project = f"shop-{uuid.uuid4().hex[:6]}"
    token = await console.operator_token_for(project, "deploy")
    await console.sign_in(token)

    # Marketplace: search, open the template.
    await page.get_by_role("link", name="Marketplace").click()
    await expect(page.locator("#market-count")).to_have_text("3 templates")  # the built-ins
    await page.get_by_label("Search templates").fill("checkout")
    card = page.locator('li.card[data-template="@dispatched/async-checkout"]')
    await expect(page.locator("li.card")).to_have_count(1)
    await card.get_by_role("link").click()
    await page.wait_for_url("**/marketplace/@dispatched/async-checkout")
    await expect(page.locator("#template-secrets")).to_have_text("ECOM_API_URL")
    await expect(page.locator("svg.dag g.node")).to_have_count(7)

    # Use it: the copy's Secrets page, its pending secret picked out.
    await page.get_by_role("button", name="Use this workflow").click()
    await page.wait_for_url("**/secrets?workflow=async-checkout")
    row = page.locator('#secrets-table tr[data-secret="ECOM_API_URL"]')
    await expect(row).to_have_class("picked")
    await expect(row.locator(".badge")).to_have_text("pending")
    await expect(page.locator("#secrets-picked")).to_contain_text("async-checkout cannot run until this secret is set: ECOM_API_URL")
    value = f"{live.demo.url}/shop"
    await row.get_by_label("New value of ECOM_API_URL").fill(value)
    await row.get_by_role("button", name="Set").click()
    await expect(row.locator(".badge")).to_have_text("set")
    await expect(row.get_by_role("button", name="Replace")).to_be_visible()
    assert value not in await page.content()  # the value is never shown, not even after saving

    # Trigger from the Workflows page; the answer names the run.
    await page.get_by_role("link", name="Workflows").click()
    await page.get_by_role("link", name="async-checkout").click()
    await page.get_by_label("Body (JSON").fill('{"user_id": "user_42"}')
    await page.get_by_label("Don't wait for the answer").check()
    await page.get_by_role("button", name="Trigger").click()
    await expect(page.locator("#answer-status")).to_have_text("202")
    run_link = page.locator("#answer-run a")
    run_id = (await run_link.text_content() or "").strip()
    assert run_id.startswith("run_")
    await run_link.click()
    await page.wait_for_url(f"**/runs/{run_id}")

    # The run page, never reloaded from here on: each wait turns waiting, then completed,
    # as the CLI sends its signal.
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    await page.evaluate("window.stillTheSamePage = true")
    await page.wait_for_selector(node(page, "create_cart", "completed"))
    for step, (signal, data) in zip(WAITS, SIGNALS, strict=True):
        await page.wait_for_selector(node(page, step, "waiting"))
        await expect(page.locator(f'#steps-table tr[data-step="{step}"] .badge')).to_have_text("waiting")
        await ok(live, "run", "signal", run_id, signal, "--data", data, DISPATCHED_TOKEN=token)
        await page.wait_for_selector(node(page, step, "completed"))
    await page.wait_for_selector(node(page, "finalize_order", "completed"))
    await expect(page.locator("#run-status")).to_have_text("completed")
    await expect(page.locator("#events li").last).to_have_attribute("data-type", "run.completed")
    await expect(page.locator("#steps-table tbody tr[data-status=completed]")).to_have_count(7)
    await expect(page.locator("#run-controls")).to_be_hidden()  # nothing left to signal or cancel
    assert await page.evaluate("window.stillTheSamePage") is True and navigations == []
    console.assert_clean()
