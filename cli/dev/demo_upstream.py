"""A small demo upstream that answers every service the examples call.

``dispatched dev`` starts it on a free loopback port and points the examples' secrets
at it, so the seed walkthroughs run on a fresh checkout with nothing else installed.
One server, one path prefix per service, because the checkout shop and the order
service both expose ``POST /orders``:

=====================  ===========================  ==========================================
secret                 prefix                       routes
=====================  ===========================  ==========================================
``ECOM_API_URL``       ``/shop``                    ``POST /carts``, ``/shipping/quote``,
                                                    ``/payments/authorize``, ``/orders``
``ORDER_SERVICE_URL``  ``/orders-service``          ``POST /orders`` (Log, Delay, Spawn),
                                                    ``/orders/{id}/confirm``, ``/fulfillments``,
                                                    ``/fulfillments/{id}/ship``
``PAYMENT_GATEWAY_URL`` ``/payments-gateway``       ``POST /authorize`` (Log, Cancel)
``FRAUD_SERVICE_URL``  ``/fraud``                   ``POST /screen`` (Signal back to the caller)
=====================  ===========================  ==========================================

The payment gateway's ``Dispatched-Cancel`` needs a run to cancel, and the demo must
not cancel anything that matters: it cancels the run id given as ``cancel_run`` in the
order's trigger body (``dispatched run start response-header-directives --data
'{"cancel_run": "run_..."}'``) and sends no cancel header when there is none.
The ``*_TOKEN`` services want an ``Authorization: Bearer`` header (any token).
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import re
import secrets as token_source
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from contract.headers import join_repeated

PREFIXES = {
    "ECOM_API_URL": "/shop",
    "ORDER_SERVICE_URL": "/orders-service",
    "PAYMENT_GATEWAY_URL": "/payments-gateway",
    "FRAUD_SERVICE_URL": "/fraud",
}
TOKEN_SECRETS = ("ORDER_SERVICE_TOKEN", "PAYMENT_GATEWAY_TOKEN", "FRAUD_SERVICE_TOKEN")


def b64json(value: Any) -> str:
    """Base64 (standard alphabet) of compact JSON, as the directive headers carry it."""
    return base64.b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()


@dataclass
class Answer:
    """One HTTP answer of the demo: status, JSON body and extra (directive) headers."""

    status: int
    body: Any
    headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Call:
    """One request as a route sees it."""

    headers: dict[str, str]
    body: Any
    match: re.Match[str]


class DemoServices:
    """The services' behaviour, apart from HTTP; keeps the orders it has seen."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.orders: dict[str, dict[str, Any]] = {}
        self.routes: list[tuple[str, re.Pattern[str], Callable[[Call], Answer], bool]] = [
            ("POST", re.compile(r"/shop/carts"), self.create_cart, False),
            ("POST", re.compile(r"/shop/shipping/quote"), self.quote_shipping, False),
            ("POST", re.compile(r"/shop/payments/authorize"), self.shop_authorize, False),
            ("POST", re.compile(r"/shop/orders"), self.shop_order, False),
            ("POST", re.compile(r"/orders-service/orders"), self.process_order, True),
            ("POST", re.compile(r"/orders-service/orders/(?P<id>[^/]+)/confirm"), self.confirm_order, True),
            ("POST", re.compile(r"/orders-service/fulfillments"), self.create_fulfillment, True),
            ("POST", re.compile(r"/orders-service/fulfillments/(?P<id>[^/]+)/ship"), self.ship, True),
            ("POST", re.compile(r"/payments-gateway/authorize"), self.gateway_authorize, True),
            ("POST", re.compile(r"/fraud/screen"), self.screen, True),
        ]

    def _next(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):04d}{token_source.token_hex(3)}"

    def answer(self, method: str, path: str, headers: dict[str, str], body: Any) -> Answer:
        """Route one request; 404 for unknown paths, 401 when a token service gets no bearer."""
        for route_method, pattern, handler, needs_token in self.routes:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                if needs_token and not headers.get("authorization", "").startswith("Bearer "):
                    return Answer(401, {"error": "missing bearer token"})
                return handler(Call(headers, body if isinstance(body, dict) else {}, match))
        return Answer(404, {"error": f"no route {method} {path}"})

    # -- the checkout shop (ECOM_API_URL) ---------------------------------------------
    def create_cart(self, call: Call) -> Answer:
        return Answer(201, {"id": self._next("cart"), "user_id": call.body.get("user_id")})

    def quote_shipping(self, call: Call) -> Answer:
        return Answer(200, {"cart_id": call.body.get("cart_id"), "quotes": [
            {"method": "standard", "price_cents": 499, "days": 5},
            {"method": "express", "price_cents": 1499, "days": 1},
        ]})

    def shop_authorize(self, call: Call) -> Answer:
        return Answer(200, {"authorization_id": self._next("auth"), "cart_id": call.body.get("cart_id"),
                            "shipping_method": call.body.get("shipping_method"), "status": "authorized"})

    def shop_order(self, call: Call) -> Answer:
        return Answer(201, {"order_id": self._next("ord"), "cart_id": call.body.get("cart_id"), "status": "created"})

    # -- the directive services ---------------------------------------------------------
    def process_order(self, call: Call) -> Answer:
        order_id = str(call.body.get("order_id") or self._next("ord"))
        items = call.body.get("items") if isinstance(call.body.get("items"), list) else []
        with self._lock:
            self.orders[order_id] = {"cancel_run": call.body.get("cancel_run")}
        total = call.body.get("total_cents")
        total_cents = total if isinstance(total, int) and total > 0 else 4999
        body = {"order_id": order_id, "total_cents": total_cents,
                "customer_email": str(call.body.get("customer_email") or "customer-42@localhost")}
        return Answer(201, body, [
            ("Dispatched-Log", f"validated {len(items) or 3} line items, charging USD {total_cents / 100:.2f}"),
            ("Dispatched-Delay", "250ms"),
            ("Dispatched-Spawn", f"fulfill-order; input={b64json({'order_id': order_id})}; mode=detach"),
        ])

    def confirm_order(self, call: Call) -> Answer:
        order_id = call.match["id"]
        return Answer(200, {"order_id": order_id, "status": "confirmed"},
                      [("Dispatched-Log", f"order {order_id} recorded")])

    def gateway_authorize(self, call: Call) -> Answer:
        with self._lock:
            order = self.orders.get(str(call.body.get("order_id")), {})
        headers = [("Dispatched-Log", "authorization succeeded, capture pending")]
        if order.get("cancel_run"):
            headers.append(("Dispatched-Cancel", str(order["cancel_run"])))
        return Answer(200, {"auth_id": self._next("auth"), "order_id": call.body.get("order_id")}, headers)

    def screen(self, call: Call) -> Answer:
        run_id = call.headers.get("dispatched-run-id", "")
        headers = [("Dispatched-Log", "screened: velocity rule matched, manual review")]
        if run_id:
            headers.append(("Dispatched-Signal",
                            f"run={run_id}; name=needs-review; data={b64json({'reason': 'velocity'})}"))
        return Answer(200, {"verdict": "manual_review"}, headers)

    def create_fulfillment(self, call: Call) -> Answer:
        return Answer(201, {"fulfillment_id": self._next("ful"), "order_id": call.body.get("order_id")},
                      [("Dispatched-Log", f"stock reserved for {call.body.get('order_id')}")])

    def ship(self, call: Call) -> Answer:
        return Answer(200, {"fulfillment_id": call.match["id"], "tracking": self._next("trk")},
                      [("Dispatched-Log", "handed to the carrier")])


class DemoUpstream:
    """The demo services behind a threaded HTTP server on loopback.

    Args:
        host: address to bind; loopback by default (the worker reaches it through
            ``DISPATCHED_ALLOW_HOSTS``).
        port: 0 picks a free port.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.services = DemoServices()
        self._server = ThreadingHTTPServer((host, port), _handler(self.services))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-upstream", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def secret_values(self) -> dict[str, str]:
        """The examples' secrets pointing at this server: URLs per service, demo tokens."""
        values = {name: self.url + prefix for name, prefix in PREFIXES.items()}
        values.update({name: f"demo-{token_source.token_urlsafe(12)}" for name in TOKEN_SECRETS})
        return values

    def start(self) -> DemoUpstream:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(services: DemoServices) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            headers = join_repeated(self.headers.items())
            answer = services.answer(self.command, self.path.split("?", 1)[0].rstrip("/"), headers, body)
            payload = json.dumps(answer.body).encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        def log_message(self, format: str, *args: Any) -> None:  # the stdlib names it `format`
            pass  # bodies may carry customer data; the demo logs nothing

    return Handler


def main() -> None:
    """``python -m cli.dev.demo_upstream [--port N]``: run the demo services alone."""
    parser = argparse.ArgumentParser(description="the Dispatched examples' demo upstream")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    demo = DemoUpstream(port=args.port).start()
    print(f"demo upstream on {demo.url}")
    for name, prefix in PREFIXES.items():
        print(f"  {name}={demo.url}{prefix}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        demo.stop()


if __name__ == "__main__":
    main()
