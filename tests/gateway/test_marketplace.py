"""The marketplace through the real gateway (SPEC §7): the built-ins seeded on start,
search, show, use (pending secrets, renaming, new revisions), publish from one project
and use from another, withdraw, the roles, and nothing half-made on a refusal.

A template carries secret *names*: every answer here is also checked for the values."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml

from gateway.marketplace_seed import builtin_templates, seed_marketplace
from tests.gateway.conftest import Gateway

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BUILTINS = {
    "@dispatched/async-checkout": ["ECOM_API_URL"],
    "@dispatched/fulfill-order": ["ORDER_SERVICE_TOKEN", "ORDER_SERVICE_URL"],
    "@dispatched/response-header-directives": [
        "FRAUD_SERVICE_TOKEN", "FRAUD_SERVICE_URL", "ORDER_SERVICE_TOKEN", "ORDER_SERVICE_URL",
        "PAYMENT_GATEWAY_TOKEN", "PAYMENT_GATEWAY_URL",
    ],
}
SECRET_VALUE = "sk-live-MARKETPLACE-DO-NOT-LEAK-7731"
SHOP_FLOW = """\
name: shop-flow
version: 3
steps:
  call:
    request:
      url: "{{ secrets.SHOP_URL }}/orders"
      headers: {authorization: "Bearer {{ secrets.SHOP_TOKEN }}"}
"""


async def ids(http: httpx.AsyncClient, q: str | None = None) -> list[str]:
    answer = await http.get("/api/marketplace", params={"q": q} if q is not None else None)
    assert answer.status_code == 200, answer.text
    return [t["id"] for t in answer.json()]


async def project_token(gateway: Gateway, project: str, role: str) -> str:
    """A token of ``project`` made the way people make one: the operator names the project."""
    made = await gateway.http.post("/api/tokens", json={"role": role, "label": f"{role} of {project}"},
                                   headers={"Dispatched-Project": project})
    assert made.status_code == 201, made.text
    return str(made.json()["token"])


@pytest.fixture
async def shop(gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    """A second project, ``shop``, and a deploy-role client of it."""
    created = await gateway.http.post("/api/projects", json={"name": "shop"})
    assert created.status_code == 201, created.text
    token = await project_token(gateway, "shop", "deploy")
    async with httpx.AsyncClient(base_url=gateway.url, headers={"Dispatched-Session": token}) as client:
        yield client


async def test_the_three_builtins_are_there_after_start(gateway: Gateway) -> None:
    listed = (await gateway.http.get("/api/marketplace")).json()
    builtins = {t["id"]: t for t in listed if t["publisher"] == "dispatched"}
    assert {i: t["secrets"] for i, t in builtins.items()} == BUILTINS
    for template in builtins.values():
        assert template["title"] and template["description"] and template["tags"]
        assert set(template) == {"id", "title", "description", "tags", "secrets", "publisher", "published_at"}
        datetime.fromisoformat(template["published_at"])


async def test_search_is_case_insensitive_over_slug_title_description_and_tags(gateway: Gateway) -> None:
    assert await ids(gateway.http, "ASYNC-CHECK") == ["@dispatched/async-checkout"]  # slug
    assert await ids(gateway.http, "service-DRIVEN") == ["@dispatched/response-header-directives"]  # title
    assert await ids(gateway.http, "Webhook") == ["@dispatched/async-checkout"]  # description
    assert await ids(gateway.http, "E-Commerce") == ["@dispatched/async-checkout"]  # a tag only
    assert await ids(gateway.http, "spawn") == ["@dispatched/fulfill-order", "@dispatched/response-header-directives"]
    assert await ids(gateway.http, "no template says this") == []
    assert await ids(gateway.http) == sorted(BUILTINS)


async def test_show_has_the_document_as_published(gateway: Gateway) -> None:
    answer = await gateway.http.get("/api/marketplace/@dispatched/async-checkout")
    assert answer.status_code == 200, answer.text
    shown = answer.json()
    assert shown["document"] == (EXAMPLES / "async-checkout.yaml").read_text()
    assert (shown["id"], shown["format"], shown["secrets"]) == ("@dispatched/async-checkout", "yaml", ["ECOM_API_URL"])
    for path in ("/api/marketplace/@dispatched/nope", "/api/marketplace/dispatched/async-checkout",
                 "/api/marketplace/@nobody/async-checkout"):
        missing = await gateway.http.get(path)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "template_not_found", path


async def test_use_creates_the_workflow_with_its_secrets_pending(gateway: Gateway) -> None:
    used = await gateway.http.post("/api/marketplace/@dispatched/async-checkout/use", json={})
    assert used.status_code == 201, used.text
    assert used.json() == {
        "workflow": "async-checkout", "revision": 1, "template": "@dispatched/async-checkout",
        "created": True, "new_revision": False, "renamed": False,
        "secrets": [{"name": "ECOM_API_URL", "status": "pending"}],
    }
    stored = (await gateway.http.get("/api/workflows/async-checkout")).json()
    assert (stored["source"], stored["format"]) == ((EXAMPLES / "async-checkout.yaml").read_text(), "yaml")
    secrets = (await gateway.http.get("/api/secrets")).json()
    assert [(s["name"], s["status"], s["used_by"]) for s in secrets] == [("ECOM_API_URL", "pending", ["async-checkout"])]
    refused = await gateway.http.post("/workflows/async-checkout", json={"user_id": "u"})
    assert refused.status_code == 409 and "ECOM_API_URL" in refused.json()["error"]["message"]

    await gateway.http.put("/api/secrets/ECOM_API_URL", json={"value": SECRET_VALUE})
    again = await gateway.http.post("/api/marketplace/@dispatched/async-checkout/use", content=b"")  # no body at all
    assert again.status_code == 201, again.text
    assert again.json()["secrets"] == [{"name": "ECOM_API_URL", "status": "set"}]
    assert SECRET_VALUE not in again.text


async def test_use_under_another_name_rewrites_the_documents_name(gateway: Gateway) -> None:
    used = await gateway.http.post("/api/marketplace/@dispatched/fulfill-order/use", json={"name": "ship-it"})
    assert used.status_code == 201, used.text
    assert (used.json()["workflow"], used.json()["renamed"]) == ("ship-it", True)
    stored = (await gateway.http.get("/api/workflows/ship-it")).json()
    assert stored["format"] == "json"
    original = yaml.safe_load((EXAMPLES / "fulfill-order.yaml").read_text())
    assert json.loads(stored["source"]) == {**original, "name": "ship-it"}
    assert (await gateway.http.get("/api/workflows/fulfill-order")).status_code == 404


async def test_using_again_under_an_existing_name_makes_a_new_revision(gateway: Gateway) -> None:
    first = (await gateway.http.post("/api/marketplace/@dispatched/fulfill-order/use", json={"name": "orders"})).json()
    assert (first["revision"], first["created"], first["new_revision"]) == (1, True, False)
    # The same document again is no new revision (as with PUT /api/workflows): nothing changed.
    same = (await gateway.http.post("/api/marketplace/@dispatched/fulfill-order/use", json={"name": "orders"})).json()
    assert (same["revision"], same["created"], same["new_revision"]) == (1, False, False)
    other = await gateway.http.post("/api/marketplace/@dispatched/async-checkout/use", json={"name": "orders"})
    assert other.status_code == 201, other.text
    assert (other.json()["revision"], other.json()["created"], other.json()["new_revision"]) == (2, True, True)
    detail = (await gateway.http.get("/api/workflows/orders")).json()
    assert [r["revision"] for r in detail["revisions"]] == [1, 2]
    assert [s["name"] for s in detail["secrets"]] == ["ECOM_API_URL"]
    # After an edit of one's own, the template again is a new revision too.
    edited = yaml.safe_load((EXAMPLES / "fulfill-order.yaml").read_text()) | {"name": "fulfill-order", "version": 2}
    assert (await gateway.http.put("/api/workflows/fulfill-order", content=json.dumps(edited))).status_code == 200
    back = (await gateway.http.post("/api/marketplace/@dispatched/fulfill-order/use", json={})).json()
    assert (back["revision"], back["new_revision"]) == (2, True)


async def test_publish_then_use_from_another_project_carries_names_not_values(
    gateway: Gateway, shop: httpx.AsyncClient
) -> None:
    await gateway.deploy(SHOP_FLOW)
    for name in ("SHOP_URL", "SHOP_TOKEN"):
        await gateway.http.put(f"/api/secrets/{name}", json={"value": SECRET_VALUE})
    published = await gateway.http.post("/api/marketplace", json={
        "workflow": "shop-flow", "slug": "shop-order", "title": "Shop order", "description": "Places an order",
        "tags": ["Shop", " orders ", "Shop"],
    })
    assert published.status_code == 201, published.text
    summary = published.json()
    assert (summary["id"], summary["publisher"], summary["replaced"]) == ("@default/shop-order", "default", False)
    assert (summary["secrets"], summary["tags"]) == (["SHOP_TOKEN", "SHOP_URL"], ["Shop", "orders"])
    assert await ids(shop, "places an ORDER") == ["@default/shop-order"]

    shown = await shop.get("/api/marketplace/@default/shop-order")
    assert shown.status_code == 200 and shown.json()["document"] == SHOP_FLOW and SECRET_VALUE not in shown.text
    used = await shop.post("/api/marketplace/@default/shop-order/use", json={})
    assert used.status_code == 201, used.text
    assert used.json()["workflow"] == "shop-order" and used.json()["renamed"] is True
    assert used.json()["secrets"] == [{"name": "SHOP_TOKEN", "status": "pending"}, {"name": "SHOP_URL", "status": "pending"}]
    assert [(s["name"], s["status"]) for s in (await shop.get("/api/secrets")).json()] == [
        ("SHOP_TOKEN", "pending"), ("SHOP_URL", "pending"),
    ]
    assert await gateway.registry.secrets.get("shop", "SHOP_URL") is None
    assert [w["name"] for w in (await shop.get("/api/workflows")).json()] == ["shop-order"]

    again = await gateway.http.post("/api/marketplace", json={"workflow": "shop-flow", "slug": "shop-order",
                                                              "title": "Shop order, v2"})
    assert again.status_code == 201 and again.json()["replaced"] is True
    assert [t["title"] for t in (await gateway.http.get("/api/marketplace", params={"q": "shop"})).json()] == ["Shop order, v2"]
    default_slug = (await gateway.http.post("/api/marketplace", json={"workflow": "shop-flow"})).json()
    assert (default_slug["id"], default_slug["title"]) == ("@default/shop-flow", "shop-flow")


async def test_withdraw(gateway: Gateway, shop: httpx.AsyncClient) -> None:
    await gateway.deploy(SHOP_FLOW)
    assert (await gateway.http.post("/api/marketplace", json={"workflow": "shop-flow"})).status_code == 201
    assert (await shop.post("/api/marketplace/@default/shop-flow/use", json={"name": "mine"})).status_code == 201
    shop_admin = await project_token(gateway, "shop", "admin")
    headers = {"Dispatched-Session": shop_admin}
    for path in ("/api/marketplace/@default/shop-flow", "/api/marketplace/@dispatched/async-checkout"):
        refused = await shop.delete(path, headers=headers)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden", path
    assert len(await ids(gateway.http)) == 4

    gone = await gateway.http.delete("/api/marketplace/@default/shop-flow")
    assert gone.status_code == 200 and gone.json() == {"withdrawn": "@default/shop-flow"}
    assert (await gateway.http.get("/api/marketplace/@default/shop-flow")).status_code == 404
    assert (await gateway.http.delete("/api/marketplace/@default/shop-flow")).status_code == 404
    assert (await shop.get("/api/workflows/mine")).status_code == 200  # what was made from it stays

    builtin = await gateway.http.delete("/api/marketplace/@dispatched/fulfill-order")  # the operator may
    assert builtin.status_code == 200
    assert await ids(gateway.http) == ["@dispatched/async-checkout", "@dispatched/response-header-directives"]

    assert (await shop.post("/api/marketplace", json={"workflow": "mine"}, headers=headers)).status_code == 201
    own = await shop.delete("/api/marketplace/@shop/mine", headers=headers)
    assert own.status_code == 200 and own.json() == {"withdrawn": "@shop/mine"}


async def test_refusals_leave_nothing_behind(gateway: Gateway, shop: httpx.AsyncClient) -> None:
    unknown = await gateway.http.post("/api/marketplace/@dispatched/nope/use", json={})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "template_not_found"
    no_workflow = await gateway.http.post("/api/marketplace", json={"workflow": "nope", "title": "t"})
    assert no_workflow.status_code == 404 and no_workflow.json()["error"]["code"] == "workflow_not_found"

    bad_name = await gateway.http.post("/api/marketplace/@dispatched/async-checkout/use", json={"name": "Bad Name"})
    assert bad_name.status_code == 422, bad_name.text
    assert bad_name.json()["error"]["code"] == "invalid_workflow_name"
    assert "lowercase letters, digits" in bad_name.json()["error"]["message"]
    assert (await gateway.http.get("/api/workflows")).json() == []
    assert (await gateway.http.get("/api/secrets")).json() == []

    await gateway.deploy(SHOP_FLOW)
    before = await ids(gateway.http)
    for body in ({"workflow": "shop-flow", "slug": "Not A Slug"}, {"workflow": "shop-flow", "tags": ["ok", " "]},
                 {"workflow": "shop-flow", "title": "x" * 201}, {"workflow": "shop-flow", "secret_values": {"A": "b"}}):
        refused = await gateway.http.post("/api/marketplace", json=body)
        assert refused.status_code == 422, (body, refused.text)
    assert await ids(gateway.http) == before

    reader = await project_token(gateway, "shop", "read")
    as_reader = await shop.post("/api/marketplace/@dispatched/async-checkout/use", json={},
                                headers={"Dispatched-Session": reader})
    assert as_reader.status_code == 403 and as_reader.json()["error"]["code"] == "forbidden"
    assert "'deploy'" in as_reader.json()["error"]["message"]
    assert (await shop.get("/api/marketplace", headers={"Dispatched-Session": reader})).status_code == 200
    await shop.put("/api/workflows/shop-flow", content=SHOP_FLOW)
    as_deployer = await shop.post("/api/marketplace", json={"workflow": "shop-flow"})
    assert as_deployer.status_code == 403 and "'admin'" in as_deployer.json()["error"]["message"]
    assert await ids(gateway.http) == before
    assert [w["name"] for w in (await shop.get("/api/workflows")).json()] == ["shop-flow"]


async def test_seeding_again_keeps_what_the_operator_changed(gateway: Gateway) -> None:
    current = await gateway.registry.templates.get("dispatched", "async-checkout")
    changed = dataclasses.replace(current, title="Our checkout", tags=["ours"])
    await gateway.registry.templates.publish(changed)
    await gateway.registry.templates.withdraw("dispatched", "fulfill-order")
    assert await seed_marketplace(gateway.registry) == ["@dispatched/fulfill-order"]
    assert (await gateway.registry.templates.get("dispatched", "async-checkout")).title == "Our checkout"
    assert await seed_marketplace(gateway.registry) == []


async def test_seeding_without_an_examples_folder_warns_and_goes_on(
    gateway: Gateway, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="dispatched.gateway"):
        assert await seed_marketplace(gateway.registry, tmp_path / "nowhere") == []
    assert str(tmp_path / "nowhere") in caplog.text


def test_a_broken_manifest_entry_is_left_out_and_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "good.yaml").write_text(SHOP_FLOW)
    (tmp_path / "bad.yaml").write_text("name: bad\nsteps: {}\n")
    (tmp_path / "marketplace.toml").write_text(
        '[templates.good]\nfile = "good.yaml"\ntitle = "Good"\ndescription = "d"\ntags = ["x"]\n'
        '[templates.bad]\nfile = "bad.yaml"\ntitle = "Bad"\ndescription = "d"\n'
        '[templates.untitled]\nfile = "good.yaml"\ndescription = "d"\n'
    )
    with caplog.at_level(logging.ERROR, logger="dispatched.gateway"):
        templates = builtin_templates(tmp_path)
    assert [(t.id, t.secrets, t.source) for t in templates] == [("@dispatched/good", ["SHOP_TOKEN", "SHOP_URL"], SHOP_FLOW)]
    assert "@dispatched/bad not seeded" in caplog.text and "@dispatched/untitled not seeded" in caplog.text
    assert templates[0].published_at <= datetime.now(UTC)
