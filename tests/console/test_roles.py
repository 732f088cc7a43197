"""The roles of SPEC §6 in the console: each role sees the controls it may use and no
others, and the server refuses a forged request anyway (the page's own CSRF value does
not make a `read` token a `run` one)."""

from __future__ import annotations

import uuid

from playwright.async_api import expect

from contract.roles import ROLES, role_allows
from tests.cli.conftest import EXAMPLES
from tests.cli.test_projects import ok
from tests.console.conftest import Console

# (page, control) -> the least role that sees it
CONTROLS = {
    ("run", "#signal-form"): "run",
    ("run", "#cancel-open"): "run",
    ("workflow", "#trigger-form"): "run",
    ("secrets", "#new-secret"): "deploy",
    ("secrets", "#secrets-table form.inline-form"): "deploy",
    ("template", "#use-form"): "deploy",
    ("tokens", "#token-form"): "admin",
    ("tokens", 'nav a[href^="/tokens"]'): "admin",
}
FORGE = """async ([method, path]) => {
    const csrf = document.querySelector('meta[name="csrf-token"]').content;
    const answer = await fetch(path, {method, headers: {"X-CSRF-Token": csrf, "Content-Type": "application/json"},
                                      body: '{"value": "x"}'});
    return [answer.status, (await answer.json()).error.code];
}"""


async def test_each_role_sees_only_the_controls_it_may_use(console: Console) -> None:
    page, live = console.page, console.live
    project = f"roles-{uuid.uuid4().hex[:6]}"
    await ok(live, "project", "create", project)
    await ok(live, "--project", project, "secrets", "set", "ECOM_API_URL", f"{live.demo.url}/shop")
    await ok(live, "--project", project, "workflow", "deploy", str(EXAMPLES / "async-checkout.yaml"))
    run_id = (await ok(live, "--project", project, "run", "start", "async-checkout", "--async", "--data", "{}")).strip()
    pages = {"run": f"/runs/{run_id}", "workflow": "/workflows/async-checkout", "secrets": "/secrets",
             "template": "/marketplace/@dispatched/async-checkout", "tokens": "/tokens"}
    ready = {"run": "#steps-table tbody tr", "workflow": "#source .line", "secrets": "#secrets-table tbody tr",
             "template": "svg.dag g.node", "tokens": "h1"}
    for role in ROLES:
        token = (await ok(live, "--project", project, "token", "create", "--role", role, "--label", role)).strip()
        await console.sign_in(token)
        for name, path in pages.items():
            await page.goto(console.url(path))
            await page.wait_for_selector(ready[name])
            for (where, control), least in CONTROLS.items():
                if where == name:
                    expected = 1 if role_allows(role, least) else 0  # type: ignore[arg-type]
                    await expect(page.locator(control), f"{role} on {name}: {control}").to_have_count(expected)
        if role == "read":
            await expect(page.get_by_role("alert")).to_contain_text("needs the admin role")
            # The server refuses what the page does not offer, CSRF value or not.
            assert await page.evaluate(FORGE, ["POST", "/workflows/async-checkout"]) == [403, "forbidden"]
            assert await page.evaluate(FORGE, ["PUT", "/api/secrets/ECOM_API_URL"]) == [403, "forbidden"]
            assert await page.evaluate(FORGE, ["POST", f"/api/runs/{run_id}/cancel"]) == [403, "forbidden"]
        await page.get_by_role("button", name="Sign out").click()
        await page.wait_for_url("**/sign-in?signed_out=1")
    listed = await ok(live, "--project", project, "run", "list")
    assert len(listed.splitlines()) == 2 and "running" in listed  # the header and the one run, still running
    console.assert_clean(failed=(
        (403, "POST", "/workflows/async-checkout"), (403, "PUT", "/api/secrets/ECOM_API_URL"),
        (403, "POST", f"/api/runs/{run_id}/cancel"),
    ))
