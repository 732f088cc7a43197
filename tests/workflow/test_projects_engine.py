"""Projects in the engine (SPEC §6), on the real dev server against loopback upstreams:
each run reads its own project's secrets, directives reach only runs of their own
project (another project's run is rejected exactly like a missing one), and a spawn
starts the parent project's workflow, refusing one whose secrets are pending."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from temporalio.client import Client

from activities.catalog import MemoryCatalog
from contract.document import Document
from contract.errors import SECRET_MISSING, RunNotFound
from contract.messages import Event
from interpreter.search_attributes import PROJECT_ATTR, WORKFLOW_NAME_ATTR
from registry import Registry
from runtime.registry_adapters import RegistryWorkflowCatalog
from runtime.settings import Settings
from tests.upstream import Reply, Upstream
from tests.workflow.engine import Engine, running_engine

SHOP, ACME = "shop", "acme"

GREET = """
name: greet
steps:
  hello:
    request:
      method: POST
      url: "{{ secrets.API }}/hello"
      headers: {authorization: "Bearer {{ secrets.TOKEN }}"}
"""

HOLD = """
name: hold
steps:
  hold:
    wait: {signal: release}
"""

STEER = """
name: steer
steps:
  call:
    request: {method: POST, url: "{{ secrets.API }}/steer"}
    directives: [spawn, cancel, signal]
"""


def child(project: str) -> Document:
    """A workflow named ``child`` whose request says which project's document it is."""
    text = f'name: child\nsteps:\n  ship: {{request: {{method: POST, url: "{{{{ secrets.API }}}}/child-{project}"}}}}\n'
    return Document.model_validate(yaml.safe_load(text))


@pytest.fixture
def catalog() -> MemoryCatalog:
    catalog = MemoryCatalog()
    for project in (SHOP, ACME):
        catalog.register(child(project), project=project)
        catalog.register(Document.model_validate(yaml.safe_load(HOLD)), project=project)
    return catalog


@pytest.fixture
async def engine(client: Client, upstream: Upstream, catalog: MemoryCatalog) -> AsyncIterator[Engine]:
    """One worker for every project: what differs per project is only its data."""
    async with running_engine(client, catalog=catalog) as running:
        for project in (SHOP, ACME):
            running.secrets.project(project).update(API=upstream.url, TOKEN=f"tok-{project}")
        yield running


def of_type(events: list[Event], type_: str) -> list[dict[str, Any]]:
    return [e.data for e in events if e.type == type_]


async def start_hold(engine: Engine, project: str) -> str:
    run_id = await engine.start(HOLD, project=project)
    await engine.until_step(run_id, "hold", "waiting", project=project)
    return run_id


# --- secrets -----------------------------------------------------------------------------


async def test_each_run_sends_its_own_projects_value_of_a_same_named_secret(engine: Engine, upstream: Upstream) -> None:
    upstream.route("POST", "/hello", Reply(200, {}))
    runs = {project: await engine.start(GREET, project=project) for project in (SHOP, ACME)}
    for project, run_id in runs.items():
        assert (await engine.finish(run_id, project=project)).status == "completed"
    sent = {r.headers["dispatched-run-id"]: r.headers["authorization"] for r in upstream.received("POST", "/hello")}
    assert sent == {runs[SHOP]: "Bearer tok-shop", runs[ACME]: "Bearer tok-acme"}


async def test_a_project_without_the_secret_does_not_read_another_projects(engine: Engine, upstream: Upstream) -> None:
    engine.secrets.values.update(API=upstream.url, TOKEN="tok-default")  # the default project's
    upstream.route("POST", "/hello", Reply(200, {}))
    engine.secrets.project("bare")["API"] = upstream.url  # no TOKEN in project "bare"
    run_id = await engine.start(GREET, project="bare")
    state = await engine.finish(run_id, project="bare")
    assert state.status == "failed"
    error = state.steps["hello"].error
    assert error is not None and error.code == SECRET_MISSING and "TOKEN" in error.message
    assert upstream.received("POST", "/hello") == []


async def test_a_run_carries_its_project_in_memo_and_search_attribute(engine: Engine, upstream: Upstream) -> None:
    upstream.route("POST", "/hello", Reply(200, {}))
    run = engine.run_input(GREET, project=SHOP)
    assert await engine.runs.start_and_wait_response(run, timeout=20) is not None  # update-with-start
    described = await engine.client.get_workflow_handle(run.run_id).describe()
    assert described.typed_search_attributes.get(PROJECT_ATTR) == SHOP
    assert (await described.memo())["project"] == SHOP


# --- cancel and signal stay inside the project -------------------------------------------


def steer_with(upstream: Upstream, *headers: tuple[str, str]) -> None:
    upstream.route("POST", "/steer", Reply(200, {}, headers=list(headers)))


async def test_cross_project_cancel_and_signal_are_rejected_like_a_missing_run(engine: Engine, upstream: Upstream) -> None:
    target = await start_hold(engine, ACME)
    missing = f"run_missing{secrets.token_hex(6)}"
    steer_with(
        upstream,
        ("Dispatched-Cancel", target), ("Dispatched-Signal", f"run={target}; name=release"),
        ("Dispatched-Cancel", missing), ("Dispatched-Signal", f"run={missing}; name=release"),
    )
    run_id = await engine.start(STEER, project=SHOP)
    assert (await engine.finish(run_id, project=SHOP)).status == "completed"

    reasons = [data["reason"] for data in of_type(await engine.events(run_id, project=SHOP), "directive.rejected")]
    assert len(reasons) == 4, reasons
    # Word for word the reasons of a run that does not exist, the id aside.
    assert [r.replace(target, "ID") for r in reasons[:2]] == [r.replace(missing, "ID") for r in reasons[2:]]
    assert reasons[0] == f"could not cancel run {target!r}: no such run, or it has already closed"
    assert reasons[1] == f"could not signal run {target!r}: no such run, or it has already closed"

    # Neither reached it: still waiting, no signal received, and it finishes when released properly.
    state = await engine.state(target, project=ACME)
    assert state.status == "running" and state.steps["hold"].status == "waiting"
    assert not any(e.type == "signal.received" for e in await engine.events(target, project=ACME))
    await engine.signal(target, "release", {}, project=ACME)
    assert (await engine.finish(target, project=ACME)).status == "completed"


async def test_same_project_cancel_and_signal_are_applied(engine: Engine, upstream: Upstream) -> None:
    """The control of the test above: the same directives do reach a run of the same project."""
    cancelled, signalled = await start_hold(engine, ACME), await start_hold(engine, ACME)
    steer_with(upstream, ("Dispatched-Cancel", cancelled), ("Dispatched-Signal", f"run={signalled}; name=release"))
    run_id = await engine.start(STEER, project=ACME)
    assert (await engine.finish(run_id, project=ACME)).status == "completed"
    events = await engine.events(run_id, project=ACME)
    assert of_type(events, "directive.rejected") == []
    assert [(d["kind"], d["run_id"]) for d in of_type(events, "directive.applied")] == [
        ("cancel", cancelled), ("signal", signalled),
    ]
    assert (await engine.finish(cancelled, project=ACME)).status == "cancelled"
    assert (await engine.finish(signalled, project=ACME)).status == "completed"


# --- spawn -------------------------------------------------------------------------------


async def test_spawn_starts_the_parent_projects_workflow_and_the_child_carries_the_project(
    engine: Engine, upstream: Upstream
) -> None:
    for project in (SHOP, ACME):
        upstream.route("POST", f"/child-{project}", Reply(200, {}))
    steer_with(upstream, ("Dispatched-Spawn", "child; input=e30"))
    parent = await engine.start(STEER, project=ACME)
    assert (await engine.finish(parent, project=ACME)).status == "completed"
    [applied] = of_type(await engine.events(parent, project=ACME), "directive.applied")
    child_id = applied["run_id"]

    assert (await engine.finish(child_id, project=ACME)).status == "completed"
    assert len(upstream.received("POST", f"/child-{ACME}")) == 1
    assert upstream.received("POST", f"/child-{SHOP}") == []  # not the other project's same-named workflow
    described = await engine.client.get_workflow_handle(child_id).describe()
    assert described.typed_search_attributes.get(PROJECT_ATTR) == ACME
    assert described.typed_search_attributes.get(WORKFLOW_NAME_ATTR) == "child"
    assert (await described.memo())["project"] == ACME
    with pytest.raises(RunNotFound):  # and it is the parent project's run for the API too
        await engine.state(child_id, project=SHOP)


async def test_spawn_of_a_workflow_only_another_project_has_is_unknown(engine: Engine, upstream: Upstream) -> None:
    steer_with(upstream, ("Dispatched-Spawn", "child; input=e30"))
    engine.secrets.project("bare")["API"] = upstream.url
    parent = await engine.start(STEER, project="bare")
    assert (await engine.finish(parent, project="bare")).status == "completed"
    [rejected] = of_type(await engine.events(parent, project="bare"), "directive.rejected")
    assert rejected["reason"] == "unknown workflow 'child': it is not registered"


async def test_spawn_of_a_workflow_with_pending_secrets_is_rejected(
    engine: Engine, upstream: Upstream, catalog: MemoryCatalog
) -> None:
    catalog.pending[(SHOP, "child")] = ["WAREHOUSE_URL", "WAREHOUSE_TOKEN"]
    upstream.route("POST", f"/child-{SHOP}", Reply(200, {}))
    steer_with(upstream, ("Dispatched-Spawn", "child; input=e30"))
    parent = await engine.start(STEER, project=SHOP)
    assert (await engine.finish(parent, project=SHOP)).status == "completed"
    events = await engine.events(parent, project=SHOP)
    assert of_type(events, "directive.applied") == []
    [rejected] = of_type(events, "directive.rejected")
    assert rejected["reason"].startswith("secrets_pending:")
    assert "WAREHOUSE_TOKEN" in rejected["reason"] and "WAREHOUSE_URL" in rejected["reason"]
    assert upstream.received("POST", f"/child-{SHOP}") == []


async def test_the_registry_catalog_resolves_per_project_and_names_the_pending_secrets(tmp_path: Path) -> None:
    """What the production worker resolves a spawn with: the project's own revision, and
    the secrets its document uses that the project has not set."""
    registry = await Registry.open(Settings(database=str(tmp_path / "r.db"), data_dir=tmp_path, token="t"))
    try:
        for project in (SHOP, ACME):
            if not await registry.projects.exists(project):
                await registry.projects.create(project)
        source = GREET.replace("name: greet", "name: child")
        document = Document.model_validate(yaml.safe_load(source))
        await registry.workflows.put(SHOP, document, source=source, format="yaml")
        await registry.secrets.set(SHOP, "API", "http://127.0.0.1:1")
        await registry.secrets.set(ACME, "TOKEN", "tok-acme")  # another project's: does not count
        catalog = RegistryWorkflowCatalog(registry)

        found = await catalog.current(SHOP, "child")
        assert found is not None and found.revision == 1 and found.document.name == "child"
        assert found.pending_secrets == ["TOKEN"]
        assert await catalog.current(ACME, "child") is None
        await registry.secrets.set(SHOP, "TOKEN", "tok-shop")
        again = await catalog.current(SHOP, "child")
        assert again is not None and again.pending_secrets == []
    finally:
        await registry.close()
