"""Tokens (admin): a token made on the page is shown once and works; revoked after the
confirmation, it is refused from then on."""

from __future__ import annotations

import uuid

import httpx
from playwright.async_api import expect

from tests.console.conftest import Console


async def test_create_show_once_and_revoke(console: Console) -> None:
    page, live = console.page, console.live
    admin = await console.operator_token_for(f"tok-{uuid.uuid4().hex[:6]}", "admin")
    await console.sign_in(admin, "/tokens")
    await page.get_by_label("Role").select_option("read")
    await page.get_by_label("Label").fill("wall screen")
    await page.get_by_role("button", name="Create").click()
    value = page.get_by_label("Token", exact=True)
    await expect(value).to_be_focused()
    made = await value.input_value()
    assert made.startswith("dsp_")
    row = page.locator("#tokens-table tbody tr", has_text="wall screen")
    await expect(row).to_contain_text("read")
    async with httpx.AsyncClient(base_url=live.url, headers={"Dispatched-Session": made}) as http:
        assert (await http.get("/api/workflows")).status_code == 200
        await page.reload()  # shown once: a fresh page lists it without its value
        await expect(row).to_be_visible()
        assert made not in await page.content()

        await row.get_by_role("button", name="Revoke").click()
        dialog = page.get_by_role("dialog")
        await dialog.get_by_role("button", name="Keep it").click()
        await expect(row.get_by_role("button", name="Revoke")).to_be_visible()
        assert (await http.get("/api/workflows")).status_code == 200
        await row.get_by_role("button", name="Revoke").click()
        await dialog.get_by_role("button", name="Yes, revoke it").click()
        await expect(row.locator(".badge")).to_have_text("revoked")
        assert (await http.get("/api/workflows")).status_code == 401
    console.assert_clean()
