"""The demo upstream answers the examples' services as the seed describes (real HTTP)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest

from cli.dev.demo_upstream import DemoUpstream


@pytest.fixture
def demo() -> Iterator[DemoUpstream]:
    server = DemoUpstream().start()
    try:
        yield server
    finally:
        server.stop()


def _decode(value: str) -> object:
    return json.loads(base64.b64decode(value))


def test_checkout_shop_answers_under_its_prefix(demo: DemoUpstream) -> None:
    shop = demo.secret_values()["ECOM_API_URL"]
    cart = httpx.post(f"{shop}/carts", json={"user_id": "user_42"})
    assert cart.status_code == 201 and cart.json()["id"].startswith("cart_")
    quote = httpx.post(f"{shop}/shipping/quote", json={"cart_id": cart.json()["id"], "address": {}}).json()
    assert {q["method"] for q in quote["quotes"]} == {"standard", "express"}
    assert httpx.post(f"{shop}/payments/authorize", json={}).json()["status"] == "authorized"
    assert httpx.post(f"{shop}/orders", json={}).json()["status"] == "created"


def test_order_service_logs_delays_and_spawns_fulfillment(demo: DemoUpstream) -> None:
    orders = demo.secret_values()["ORDER_SERVICE_URL"]
    answer = httpx.post(f"{orders}/orders", json={"order_id": "ord_42"}, headers={"authorization": "Bearer t"})
    assert answer.status_code == 201
    assert answer.json() == {"order_id": "ord_42", "total_cents": 4999, "customer_email": "customer-42@localhost"}
    assert answer.headers["dispatched-log"] == "validated 3 line items, charging USD 49.99"
    assert answer.headers["dispatched-delay"] == "250ms"
    workflow, input_part, mode = answer.headers["dispatched-spawn"].split("; ")
    assert (workflow, mode) == ("fulfill-order", "mode=detach")
    assert _decode(input_part.removeprefix("input=")) == {"order_id": "ord_42"}
    confirm = httpx.post(f"{orders}/orders/ord_42/confirm", headers={"authorization": "Bearer t"})
    assert confirm.json()["status"] == "confirmed"


def test_token_services_refuse_requests_without_a_bearer(demo: DemoUpstream) -> None:
    assert httpx.post(f"{demo.secret_values()['ORDER_SERVICE_URL']}/orders", json={}).status_code == 401


def test_payment_gateway_cancels_only_the_run_named_in_the_order(demo: DemoUpstream) -> None:
    values, auth = demo.secret_values(), {"authorization": "Bearer t"}
    httpx.post(f"{values['ORDER_SERVICE_URL']}/orders", json={"order_id": "ord_1", "cancel_run": "run_victim"}, headers=auth)
    httpx.post(f"{values['ORDER_SERVICE_URL']}/orders", json={"order_id": "ord_2"}, headers=auth)
    with_cancel = httpx.post(f"{values['PAYMENT_GATEWAY_URL']}/authorize", json={"order_id": "ord_1"}, headers=auth)
    assert with_cancel.headers["dispatched-cancel"] == "run_victim"
    assert with_cancel.headers["dispatched-log"] == "authorization succeeded, capture pending"
    without = httpx.post(f"{values['PAYMENT_GATEWAY_URL']}/authorize", json={"order_id": "ord_2"}, headers=auth)
    assert "dispatched-cancel" not in without.headers


def test_fraud_service_signals_the_calling_run(demo: DemoUpstream) -> None:
    fraud = demo.secret_values()["FRAUD_SERVICE_URL"]
    answer = httpx.post(f"{fraud}/screen", json={"order_id": "ord_1"},
                        headers={"authorization": "Bearer t", "Dispatched-Run-Id": "run_parent"})
    assert answer.json() == {"verdict": "manual_review"}
    run, name, data = answer.headers["dispatched-signal"].split("; ")
    assert (run, name) == ("run=run_parent", "name=needs-review")
    assert _decode(data.removeprefix("data=")) == {"reason": "velocity"}


def test_fulfillment_routes_for_the_spawned_child(demo: DemoUpstream) -> None:
    orders, auth = demo.secret_values()["ORDER_SERVICE_URL"], {"authorization": "Bearer t"}
    created = httpx.post(f"{orders}/fulfillments", json={"order_id": "ord_42"}, headers=auth).json()
    shipped = httpx.post(f"{orders}/fulfillments/{created['fulfillment_id']}/ship", headers=auth).json()
    assert shipped["fulfillment_id"] == created["fulfillment_id"] and shipped["tracking"].startswith("trk_")


def test_unknown_paths_are_404(demo: DemoUpstream) -> None:
    assert httpx.post(f"{demo.url}/nowhere", json={}).status_code == 404
