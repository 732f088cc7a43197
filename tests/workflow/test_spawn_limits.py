"""Spawn lineage and its limits (issue 13) on the real dev server, against loopback upstreams:
a self-spawning upstream ×2 reaches the lineage limit and stops, a spawn chain stops at
depth 8, and a project's cap of running spawned runs holds. Each spawned run records its
root and depth (memo, input, ``DispatchedRoot``)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml
from temporalio.client import Client

from activities.catalog import MemoryCatalog, lineage_query
from cli.dev.temporal_server import SEARCH_ATTRIBUTE_FLAGS
from contract import limits
from contract.document import Document
from contract.messages import RunInput, lineage_run_id
from contract.names import DEPTH_MEMO, ROOT_MEMO
from interpreter.search_attributes import LABEL_ATTRIBUTES, PROJECT_ATTR, REVISION_ATTR, ROOT_ATTR, SEARCH_ATTRIBUTES
from interpreter.search_attributes import WORKFLOW_NAME_ATTR as NAME_ATTR
from tests.upstream import Reply, Upstream
from tests.workflow.engine import Engine, running_engine

ROOT_DIR = Path(__file__).parents[2]
SELF_SPAWN = """
name: self-spawn
steps:
  call:
    request: {method: POST, url: "{{ secrets.API }}/twice"}
    directives: [spawn]
"""
CHAIN = """
name: chain
steps:
  call:
    request: {method: POST, url: "{{ secrets.API }}/once"}
    directives: [spawn]
"""
SPAWN_HOLD = """
name: spawn-hold
steps:
  call:
    request: {method: POST, url: "{{ secrets.API }}/hold"}
    directives: [spawn]
"""
HOLD = """
name: hold
steps:
  hold:
    wait: {signal: release}
"""
EMPTY_INPUT = "e30"  # base64 of {}


def doc(text: str) -> Document:
    return Document.model_validate(yaml.safe_load(text))


def fresh_project() -> str:
    """A project of its own: the running-spawns count is per project, and other tests share the server."""
    return f"spawns-{secrets.token_hex(4)}"


@pytest.fixture
async def project_engine(client: Client, upstream: Upstream) -> AsyncIterator[tuple[Engine, str]]:
    project = fresh_project()
    catalog = MemoryCatalog([doc(SELF_SPAWN), doc(CHAIN), doc(SPAWN_HOLD), doc(HOLD)], project=project)
    async with running_engine(client, catalog=catalog) as engine:
        engine.secrets.project(project)["API"] = upstream.url
        engine.project = project
        yield engine, project


async def lineage_size(client: Client, root: str) -> int:
    """Runs of the lineage of ``root``: the root and every run spawned from it."""
    return (await client.count_workflows(lineage_query(root))).count + 1


async def open_in_lineage(client: Client, root: str) -> int:
    return (await client.count_workflows(f'{lineage_query(root)} AND ExecutionStatus = "Running"')).count


async def lineage_ids(client: Client, root: str) -> list[str]:
    return [root] + [execution.id async for execution in client.list_workflows(lineage_query(root))]


async def rejections(engine: Engine, run_ids: list[str]) -> list[str]:
    reasons: list[str] = []
    for run_id in run_ids:
        reasons += [e.data["reason"] for e in await engine.events(run_id) if e.type == "directive.rejected"]
    return reasons


async def test_a_self_spawning_upstream_times_two_reaches_the_lineage_limit_and_stops(
    project_engine: tuple[Engine, str], upstream: Upstream
) -> None:
    """Every call answers two spawns of the workflow that called it. Unbounded, that was
    249 runs after 15 s and still growing; now the lineage stops at 100 runs and stays."""
    engine, _ = project_engine
    spawn = ("Dispatched-Spawn", f"self-spawn; input={EMPTY_INPUT}")
    upstream.route("POST", "/twice", Reply(200, {}, headers=[spawn, spawn]))
    started = time.monotonic()
    root = await engine.start(SELF_SPAWN)

    grew_until = closed_at = started

    async def settled() -> int:
        nonlocal grew_until, closed_at
        await engine.finish(root)
        stable_since, last = time.monotonic(), -1
        while True:
            size, still_open = await lineage_size(engine.client, root), await open_in_lineage(engine.client, root)
            now = time.monotonic()
            if size != last:
                grew_until, last = now, size
            if size != last or still_open:
                stable_since = closed_at = now
            elif now - stable_since >= 1.0:
                return size
            await asyncio.sleep(0.1)

    size = await asyncio.wait_for(settled(), timeout=45)
    assert size <= limits.MAX_LINEAGE_RUNS
    await asyncio.sleep(3)  # and it stays there: nothing is left running to spawn more
    assert await lineage_size(engine.client, root) == size
    assert await open_in_lineage(engine.client, root) == 0

    run_ids = await lineage_ids(engine.client, root)
    assert len(run_ids) == size
    reasons = await rejections(engine, run_ids)
    assert reasons and all(reason.startswith("spawn_limit:") for reason in reasons), set(reasons)
    assert any(reason.startswith("spawn_limit: lineage:") for reason in reasons)
    calls = len(upstream.received("POST", "/twice"))
    assert calls == size  # one call per run: the limit held the runs, not the upstream
    collisions = look_ups = 0
    for run_id in run_ids:
        history = await engine.client.get_workflow_handle(run_id).fetch_history()
        collisions += sum(1 for e in history.events if e.HasField("start_child_workflow_execution_failed_event_attributes"))
        look_ups += sum(
            1 for e in history.events
            if e.HasField("activity_task_scheduled_event_attributes")
            and e.activity_task_scheduled_event_attributes.activity_type.name == "dispatched.resolve_workflow"
        )
    print(
        f"\nself-spawn x2: {size} runs; the last one started within {grew_until - started:.1f}s, all closed within "
        f"{closed_at - started:.1f}s; {len(reasons)} spawns rejected; {collisions} starts found their place taken; {look_ups} look-ups"
    )


async def test_a_spawn_chain_stops_at_depth_eight_and_each_run_records_its_root_and_depth(
    project_engine: tuple[Engine, str], upstream: Upstream
) -> None:
    engine, project = project_engine
    upstream.route("POST", "/once", Reply(200, {}, headers=[("Dispatched-Spawn", f"chain; input={EMPTY_INPUT}")]))
    root = await engine.start(CHAIN)

    async def whole_chain() -> None:
        while await lineage_size(engine.client, root) < limits.MAX_SPAWN_DEPTH + 1 or await open_in_lineage(
            engine.client, root
        ):
            await asyncio.sleep(0.1)

    await asyncio.wait_for(whole_chain(), timeout=30)
    await asyncio.sleep(1)
    assert await lineage_size(engine.client, root) == limits.MAX_SPAWN_DEPTH + 1  # the root and 8 below it

    depths: dict[int, str] = {}
    for run_id in (await lineage_ids(engine.client, root))[1:]:
        handle = engine.client.get_workflow_handle(run_id)
        described = await handle.describe()
        assert await described.memo_value(ROOT_MEMO) == root
        depth = await described.memo_value(DEPTH_MEMO)
        assert described.typed_search_attributes.get(ROOT_ATTR) == root
        assert described.typed_search_attributes.get(PROJECT_ATTR) == project
        started = (await handle.fetch_history()).events[0].workflow_execution_started_event_attributes
        [run_input] = await engine.client.data_converter.decode(started.input.payloads, [RunInput])  # encrypted
        assert run_input.lineage is not None and (run_input.lineage.root, run_input.lineage.depth) == (root, depth)
        assert run_id == lineage_run_id(run_input.lineage.key, run_input.lineage.slot)
        depths[depth] = run_id
    assert sorted(depths) == list(range(1, limits.MAX_SPAWN_DEPTH + 1))
    deepest = depths[limits.MAX_SPAWN_DEPTH]
    [reason] = await rejections(engine, [deepest])
    assert reason == (
        f"spawn_limit: depth: this run is 8 spawns from its root run {root!r}; a spawn chain is at most 8 deep"
    )
    assert await rejections(engine, [root, *[depths[d] for d in range(1, limits.MAX_SPAWN_DEPTH)]]) == []


async def test_a_projects_running_spawned_runs_are_capped(client: Client, upstream: Upstream) -> None:
    """With DISPATCHED_MAX_RUNNING_SPAWNS=2 the third spawned hold of the project is refused;
    once one of the two closes, a spawn is accepted again."""
    project = fresh_project()
    catalog = MemoryCatalog([doc(SPAWN_HOLD), doc(HOLD)], project=project)
    upstream.route("POST", "/hold", Reply(200, {}, headers=[("Dispatched-Spawn", f"hold; input={EMPTY_INPUT}")]))
    query = f'DispatchedProject = "{project}" AND DispatchedRoot IS NOT NULL AND ExecutionStatus = "Running"'

    async def running_spawns(expected: int) -> None:
        while (await client.count_workflows(query)).count != expected:
            await asyncio.sleep(0.05)

    async with running_engine(client, catalog=catalog, max_running_spawns=2) as engine:
        engine.secrets.project(project)["API"] = upstream.url
        engine.project = project
        holds: list[str] = []
        for expected in (1, 2):  # one at a time, so visibility has seen each before the next counts
            run_id = await engine.start(SPAWN_HOLD)
            assert (await engine.finish(run_id)).status == "completed"
            [applied] = [e.data for e in await engine.events(run_id) if e.type == "directive.applied"]
            holds.append(applied["run_id"])
            await asyncio.wait_for(running_spawns(expected), timeout=10)
        refused = await engine.start(SPAWN_HOLD)
        assert (await engine.finish(refused)).status == "completed"  # the step completes, the spawn does not
        assert await rejections(engine, [refused]) == [
            f"spawn_limit: running: project {project!r} has 2 spawned runs running, "
            "the most it may have at once (DISPATCHED_MAX_RUNNING_SPAWNS=2)"
        ]
        await engine.client.get_workflow_handle(holds[0]).terminate("test: make room")
        await asyncio.wait_for(running_spawns(1), timeout=10)
        again = await engine.start(SPAWN_HOLD)
        await engine.finish(again)
        assert await rejections(engine, [again]) == []
        holds += [e.data["run_id"] for e in await engine.events(again) if e.type == "directive.applied"]
        for hold in holds[1:]:
            await engine.client.get_workflow_handle(hold).terminate("test cleanup")


def test_every_search_attribute_is_registered_and_documented() -> None:
    """The dev server's flags, the tests' and the bench's list (SEARCH_ATTRIBUTES) and the
    production lines in README and docs/api.md name the same attributes; the workflow
    upserts only the two labels (adding the root there would break replays)."""
    kinds = {"KEYWORD": "Keyword", "INT": "Int"}
    expected = {f"{key.name}={kinds[key.indexed_value_type.name]}" for key in SEARCH_ATTRIBUTES}
    assert set(SEARCH_ATTRIBUTE_FLAGS) == expected
    assert ROOT_ATTR in SEARCH_ATTRIBUTES and LABEL_ATTRIBUTES == (NAME_ATTR, REVISION_ATTR)
    for page in ("README.md", "docs/api.md"):
        text = " ".join((ROOT_DIR / page).read_text().split())
        for flag in SEARCH_ATTRIBUTE_FLAGS:
            name, kind = flag.split("=")
            assert f"--name {name} --type {kind}" in text, (page, name)
