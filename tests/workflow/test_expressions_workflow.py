"""JMESPath's query power in a real run (issue 15): functions, filters and projections in
``when`` and in templates, checked where they land, at a loopback upstream."""

from __future__ import annotations

from interpreter.loader import load_document
from tests.upstream import Reply, Upstream
from tests.workflow.engine import Engine

QUOTES = "steps.quote.response.body.quotes"

CART = f"""
name: cart-queries
steps:
  quote:
    request:
      method: POST
      url: "{{{{ secrets.API }}}}/quote"
      body:
        skus: "{{{{ trigger.body.items[*].sku }}}}"
        count: "{{{{ length(trigger.body.items) }}}}"
  order:
    after: [quote]
    when: "length({QUOTES}[?cents < 1000]) > 0 && contains(trigger.body.items[*].sku, 'b')"
    request:
      method: POST
      url: "{{{{ secrets.API }}}}/orders/{{{{ join('-', trigger.body.items[?qty > 0].sku) }}}}"
      headers: {{x-carrier: "{{{{ max_by({QUOTES}, &cents).carrier }}}}"}}
      body:
        cheap: "{{{{ {QUOTES}[?cents < 1000].carrier }}}}"
        line: "cheap={{{{ join(',', sort({QUOTES}[?cents < 1000].carrier)) }}}}"
        priciest: "{{{{ max_by({QUOTES}, &cents) }}}}"
        first_two: "{{{{ trigger.body.items[:2] | [*].{{sku: sku, free: qty == 0}} }}}}"
  restock:
    after: [quote]
    when: "length(trigger.body.items[?qty == 0])"
    request: {{method: POST, url: "{{{{ secrets.API }}}}/restock", body: "{{{{ trigger.body.items[?!qty].sku }}}}"}}
  nothing_free:
    after: [quote]
    when: "length(trigger.body.items[?price == 0])"
    request: {{url: "{{{{ secrets.API }}}}/free"}}
  no_express:
    after: [quote]
    when: "contains({QUOTES}[*].carrier, 'express')"
    request: {{url: "{{{{ secrets.API }}}}/express"}}
  done:
    after: [order, restock]
    respond:
      body:
        ordered: "{{{{ steps.order.response.body.id }}}}"
        skus: "{{{{ join(',', trigger.body.items[*].sku) }}}}"
        carriers: "{{{{ length({QUOTES}) }}}}"
"""

BODY = {
    "items": [
        {"sku": "a", "qty": 2, "price": 5},
        {"sku": "b", "qty": 0, "price": 20},
        {"sku": "c", "qty": 1, "price": 12},
    ]
}
QUOTE_REPLY = {"quotes": [{"carrier": "ups", "cents": 1200}, {"carrier": "dhl", "cents": 900}, {"carrier": "post", "cents": 450}]}


async def test_functions_filters_and_projections_in_a_run(engine: Engine, upstream: Upstream) -> None:
    loaded = load_document(CART)  # registration accepts it: every reference is an ancestor's
    assert loaded.warnings == []
    engine.secrets.values["API"] = upstream.url
    upstream.route("POST", "/quote", Reply(200, QUOTE_REPLY))
    upstream.route("POST", "/orders/a-c", Reply(201, {"id": "ord_1"}))
    upstream.route("POST", "/restock", Reply(200, {"ok": True}))

    run = engine.run_input(loaded.document, BODY)
    answer = await engine.runs.start_and_wait_response(run, timeout=30)

    assert answer is not None and answer.body == {"ordered": "ord_1", "skus": "a,b,c", "carriers": 3}
    (quote,) = upstream.received("POST", "/quote")
    assert quote.json() == {"skus": ["a", "b", "c"], "count": 3}
    (order,) = upstream.received("POST", "/orders/a-c")  # join over a filter, in the url
    assert order.headers["x-carrier"] == "ups"  # max_by
    assert order.json() == {
        "cheap": ["dhl", "post"],
        "line": "cheap=dhl,post",
        "priciest": {"carrier": "ups", "cents": 1200},
        "first_two": [{"sku": "a", "free": False}, {"sku": "b", "free": True}],
    }
    (restock,) = upstream.received("POST", "/restock")  # length 1 is true...
    assert restock.json() == ["b"]  # ...and in a filter, 0 is false
    assert upstream.received("GET", "/free") == [] and upstream.received("GET", "/express") == []

    state = await engine.finish(run.run_id)
    assert state.status == "completed"
    statuses = {sid: step.status for sid, step in state.steps.items()}
    assert statuses == {
        "quote": "completed", "order": "completed", "restock": "completed", "done": "completed",
        "nothing_free": "skipped",  # length 0: false, where JMESPath's truthiness says true
        "no_express": "skipped",
    }
