"""Console sessions (SPEC §3, §8): signing in and out, the cookie, CSRF, and a session
that ends when its token is revoked. HTTP-level checks talk to the live gateway with
httpx, as a browser would; the rest drive Chromium."""

from __future__ import annotations

import base64
import re
import uuid

import httpx
from playwright.async_api import expect

from gateway.console.pages import SIGN_IN_COOKIE
from gateway.console.sessions import COOKIE
from tests.cli.test_projects import ok
from tests.console.conftest import Console


def _nonce(page: str) -> str:
    found = re.search(r'name="nonce" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


async def _signed_in(http: httpx.AsyncClient, token: str, **headers: str) -> httpx.Response:
    """Sign in as the form does: GET the form (its nonce, in a cookie and a field), POST
    it with that cookie (sent by hand: over https it is Secure, and this client is not)."""
    form = await http.get("/sign-in", headers=headers)
    nonce = _nonce(form.text)
    assert f"{SIGN_IN_COOKIE}={nonce}" in form.headers["set-cookie"]
    http.cookies.clear()
    return await http.post("/sign-in", data={"token": token, "nonce": nonce, "next": "/secrets"},
                           headers={**headers, "Cookie": f"{SIGN_IN_COOKIE}={nonce}"})


async def test_the_session_cookie_is_httponly_strict_secure_over_https_and_hides_the_token(console: Console) -> None:
    live = console.live
    async with httpx.AsyncClient(base_url=live.url) as http:
        answer = await _signed_in(http, live.token)
        assert answer.status_code == 303 and answer.headers["location"] == "/secrets"
        cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(f"{COOKIE}="))
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert {"httponly", "path", "samesite", "max-age"} <= attributes and "secure" not in attributes
        assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
        assert "Path=/;" in cookie or cookie.rstrip().endswith("Path=/")
        value = cookie.split(";")[0].split("=", 1)[1]
        assert live.token not in value
        assert live.token.encode() not in base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        signed = {"Cookie": f"{COOKIE}={value}"}
        assert (await http.get("/api/workflows", headers=signed)).status_code == 200  # the cookie signs API requests in

    # Behind a TLS proxy (X-Forwarded-Proto from a trusted address), the cookie is Secure.
    async with httpx.AsyncClient(base_url=live.url) as http:
        answer = await _signed_in(http, live.token, **{"X-Forwarded-Proto": "https"})
        cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(f"{COOKIE}="))
        assert "secure" in {part.strip().lower() for part in cookie.split(";")}


async def test_sign_in_refuses_a_wrong_token_a_forged_form_and_a_foreign_next(console: Console) -> None:
    page, live = console.page, console.live
    await page.goto(console.url("/sign-in"))
    await page.get_by_label("Token").fill("dsp_not_a_token")
    await page.get_by_label("Token").press("Enter")
    await expect(page.get_by_role("alert")).to_have_text("That token is unknown or has been revoked.")
    async with httpx.AsyncClient(base_url=live.url) as http:
        forged = await http.post("/sign-in", data={"token": live.token, "nonce": "guessed", "next": "/"})
        assert forged.status_code == 400 and COOKIE not in forged.cookies  # another site cannot sign anyone in
        form = await http.get("/sign-in")
        away = await http.post("/sign-in", data={"token": live.token, "nonce": _nonce(form.text), "next": "//evil.example/"})
        assert away.status_code == 303 and away.headers["location"] == "/"
        assert (await http.get("/", follow_redirects=False)).status_code == 200
    console.assert_clean(failed=((401, "POST", "/sign-in"),))


async def test_a_cookie_request_that_changes_something_needs_the_csrf_token(console: Console) -> None:
    page, live = console.page, console.live
    token = await console.operator_token_for(f"csrf-{uuid.uuid4().hex[:6]}", "deploy")
    await console.sign_in(token, "/secrets")
    send = """async ([csrf]) => {
        const headers = {"Content-Type": "application/json"};
        if (csrf !== null) headers["X-CSRF-Token"] = csrf;
        const answer = await fetch("/api/secrets/CSRF_PROBE", {method: "PUT", headers, body: '{"value": "x"}'});
        return [answer.status, (await answer.json()).error?.code ?? null];
    }"""
    assert await page.evaluate(send, [None]) == [403, "csrf_failed"]
    assert await page.evaluate(send, ["not-the-session-value"]) == [403, "csrf_failed"]
    listed = await page.evaluate('fetch("/api/secrets").then((a) => a.json())')  # a GET needs none
    assert listed == []  # neither refused PUT set anything
    csrf = await page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert await page.evaluate(send, [csrf]) == [200, None]

    # A header token needs no CSRF value: no other site can make a browser send it.
    async with httpx.AsyncClient(base_url=live.url, headers={"Dispatched-Session": token}) as http:
        assert (await http.put("/api/secrets/HEADER_PROBE", json={"value": "y"})).status_code == 200
        # Sign-out is a form of its own, CSRF-checked the same way: a forged one is refused.
        cookie = next(c["value"] for c in await page.context.cookies() if c["name"] == COOKIE)
        forged = await http.post("/sign-out", data={"csrf": "forged"}, headers={"Cookie": f"{COOKIE}={cookie}"})
        assert forged.status_code == 403
    await page.reload()
    await expect(page.get_by_role("button", name="Sign out")).to_be_visible()  # still signed in
    console.assert_clean(failed=((403, "PUT", "/api/secrets/CSRF_PROBE"),) * 2)


async def test_signing_out_ends_the_session_for_pages_and_the_api(console: Console) -> None:
    page, live = console.page, console.live
    await console.sign_in(live.token, "/workflows")
    cookie = next(c["value"] for c in await page.context.cookies() if c["name"] == COOKIE)
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url("**/sign-in?signed_out=1")
    await expect(page.get_by_role("status")).to_have_text("You are signed out.")
    assert COOKIE not in [c["name"] for c in await page.context.cookies()]
    async with httpx.AsyncClient(base_url=live.url, cookies={COOKIE: cookie}) as http:  # a copy of the old cookie
        assert (await http.get("/api/workflows")).status_code == 401
        again = await http.get("/workflows")
        assert again.status_code == 303 and again.headers["location"].startswith("/sign-in?next=%2Fworkflows")
    console.assert_clean()


async def test_a_revoked_token_leads_back_to_sign_in(console: Console) -> None:
    page, live = console.page, console.live
    project = f"gone-{uuid.uuid4().hex[:6]}"
    token = await console.operator_token_for(project, "read")
    await console.sign_in(token)
    await expect(page.locator("#runs-updated")).to_contain_text("live")
    token_id = (await ok(live, "--project", project, "token", "list")).splitlines()[1].split()[0]
    await ok(live, "--project", project, "token", "revoke", token_id)
    await page.wait_for_url("**/sign-in?ended=1&next=%2F", timeout=10_000)  # the next poll of the list is 401
    await expect(page.get_by_role("status")).to_contain_text("Your session has ended")
    console.assert_clean(failed=((401, "GET", "/api/runs"),))
