"""``dispatched marketplace ...`` as a person runs it, against the live gateway: search,
show, use (with the pending secrets and the hint to set them), publish, withdraw, and
the one-line errors."""

from __future__ import annotations

import json

from tests.cli.conftest import EXAMPLES, Live

SECRET_VALUE = "sk-live-CLI-MARKETPLACE-DO-NOT-LEAK-5150"


async def test_search_and_show(live: Live) -> None:
    listed = await live.ok("marketplace", "search")
    lines = listed.splitlines()
    assert lines[0].split() == ["ID", "TITLE", "SECRETS", "TAGS"]
    assert [line.split()[0] for line in lines[1:]] == [
        "@dispatched/async-checkout", "@dispatched/fulfill-order", "@dispatched/response-header-directives",
    ]
    found = json.loads(await live.ok("marketplace", "search", "WEBHOOK", "--json"))
    assert [t["id"] for t in found] == ["@dispatched/async-checkout"]
    assert (await live.ok("marketplace", "search", "nothing says this")).strip() == "no templates match"

    shown = await live.ok("marketplace", "show", "@dispatched/fulfill-order")
    assert "ORDER_SERVICE_TOKEN, ORDER_SERVICE_URL" in shown
    assert shown.endswith((EXAMPLES / "fulfill-order.yaml").read_text())
    as_json = json.loads(await live.ok("marketplace", "show", "@dispatched/fulfill-order", "--json"))
    assert as_json["document"] == (EXAMPLES / "fulfill-order.yaml").read_text()


async def test_use_prints_the_secrets_and_how_to_set_the_pending_ones(live: Live) -> None:
    await live.ok("secrets", "set", "ORDER_SERVICE_URL", SECRET_VALUE)
    out = await live.ok("marketplace", "use", "@dispatched/fulfill-order", "--as", "ship-it")
    assert out.splitlines()[0] == "created workflow ship-it revision 1 from @dispatched/fulfill-order (renamed; stored as JSON)"
    rows = [line.split() for line in out.splitlines()]
    assert ["ORDER_SERVICE_TOKEN", "pending"] in rows and ["ORDER_SERVICE_URL", "set"] in rows
    assert "pending secret ORDER_SERVICE_TOKEN: set it with `dispatched secrets set ORDER_SERVICE_TOKEN`" in out.splitlines()
    assert "dispatched secrets set ORDER_SERVICE_URL" not in out and SECRET_VALUE not in out

    again = json.loads(await live.ok("marketplace", "use", "@dispatched/async-checkout", "--as", "ship-it", "--json"))
    assert (again["workflow"], again["revision"], again["new_revision"]) == ("ship-it", 2, True)
    assert (await live.ok("marketplace", "use", "@dispatched/async-checkout", "--as", "ship-it")).startswith(
        "workflow ship-it revision 2 is already @dispatched/async-checkout (nothing changed)")
    assert "ship-it" in await live.ok("workflow", "list")


async def test_publish_use_elsewhere_and_withdraw(live: Live) -> None:
    await live.ok("workflow", "deploy", str(EXAMPLES / "async-checkout.yaml"))
    await live.ok("secrets", "set", "ECOM_API_URL", SECRET_VALUE)
    published = await live.ok("marketplace", "publish", "async-checkout", "--slug", "checkout", "--title", "Our checkout",
                              "--description", "the shop's own", "--tag", "ours", "--tag", "checkout")
    assert published.strip() == "published @default/checkout from workflow async-checkout (secret names it lists: ECOM_API_URL)"
    assert "@default/checkout" in await live.ok("marketplace", "search", "OURS")

    await live.ok("project", "create", "shop")
    used = await live.ok("--project", "shop", "marketplace", "use", "@default/checkout")
    assert used.splitlines()[0] == "created workflow checkout revision 1 from @default/checkout (renamed; stored as JSON)"
    assert ["ECOM_API_URL", "pending"] in [line.split() for line in used.splitlines()]
    assert SECRET_VALUE not in used
    shop_secrets = json.loads(await live.ok("--project", "shop", "secrets", "list", "--json"))
    assert [(s["name"], s["status"]) for s in shop_secrets] == [("ECOM_API_URL", "pending")]

    again = json.loads(await live.ok("marketplace", "publish", "async-checkout", "--slug", "checkout", "--json"))
    assert again["replaced"] is True and again["title"] == "checkout"
    assert (await live.ok("marketplace", "withdraw", "@default/checkout")).strip() == "withdrew @default/checkout"
    assert "@default/checkout" not in await live.ok("marketplace", "search")


async def test_errors_are_one_line(live: Live) -> None:
    bad_ref = await live.cli("marketplace", "show", "dispatched/async-checkout")
    assert bad_ref.returncode == 2 and bad_ref.stderr.startswith("error: bad_template: expected a template as @OWNER/SLUG")
    unknown = await live.cli("marketplace", "use", "@dispatched/nope")
    assert unknown.returncode == 1 and unknown.stderr.startswith("error: template_not_found: ")
    bad_name = await live.cli("marketplace", "use", "@dispatched/async-checkout", "--as", "Not_A_Slug")
    assert bad_name.returncode == 1 and bad_name.stderr.startswith("error: invalid_workflow_name: ")
    assert (await live.ok("workflow", "list")).strip() == "no workflows"
    missing = await live.cli("marketplace", "publish", "nope")
    assert missing.returncode == 1 and missing.stderr.startswith("error: workflow_not_found: ")
    for result in (bad_ref, unknown, bad_name, missing):
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
