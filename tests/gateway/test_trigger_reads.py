"""What a trigger asks of the registry: ONE read (the current revision and the project's
set secrets, ``Workflows.trigger_view``) once the caller's project is known (the operator
token's is remembered, registry/projects.py; a project token's session check reads
Tokens); the compiled form comes from the cache, the idempotency table only when a key is
sent."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from registry.database import Database
from tests.gateway.conftest import Gateway
from tests.gateway.test_triggers import COUNTED, with_upstream
from tests.upstream import Reply, Upstream

TRIGGER_VIEW = "Workflows.trigger_view"
WORKER_SECRET = "Secrets.get"  # the request step's secret, read by the worker in this process


@contextmanager
def registry_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The registry read transactions made meanwhile, named by the method that made them
    (their unit of work is a closure of that method)."""
    seen: list[str] = []
    original = Database.read

    async def counted(self: Database, work: Callable[[Any], Any]) -> Any:
        seen.append(work.__qualname__.split(".<locals>")[0])
        return await original(self, work)

    with monkeypatch.context() as patch:
        patch.setattr(Database, "read", counted)
        yield seen


async def test_a_warm_trigger_reads_the_registry_once(
    gateway: Gateway, upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    await with_upstream(gateway, upstream)
    upstream.route("POST", "/count", Reply(200, {"ok": True}))
    await gateway.deploy(COUNTED)  # registration keeps what it compiled
    with registry_reads(monkeypatch) as reads:
        answer = await gateway.http.post("/workflows/counted", json={"n": 1})
    assert answer.status_code == 200, answer.text
    # The operator token's project was seen by the deploy: projects are never removed, so
    # the registry remembers it (registry/projects.py) and the trigger view is the one read.
    assert [r for r in reads if r != WORKER_SECRET] == [TRIGGER_VIEW]

    key = {"Idempotency-Key": "reads-1"}
    with registry_reads(monkeypatch) as reads:
        keyed = await gateway.http.post("/workflows/counted", json={"n": 2}, headers=key)
    assert keyed.status_code == 200, keyed.text  # the claim is a write (Database.run), not a read
    assert [r for r in reads if r != WORKER_SECRET] == [TRIGGER_VIEW]


async def test_a_pending_secret_is_refused_from_the_same_read(gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
    await gateway.deploy(COUNTED)  # UPSTREAM_URL not set: pending
    with registry_reads(monkeypatch) as reads:
        answer = await gateway.http.post("/workflows/counted", json={})
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "secrets_pending"
    assert "UPSTREAM_URL" in answer.json()["error"]["message"]
    assert reads == [TRIGGER_VIEW]
