"""``RunClient`` acts in the caller's project only (SPEC §6): another project's run is
:class:`RunNotFound` for every read and action, exactly like one that does not exist;
``list_runs`` filters through the visibility query; and a run from before projects
(neither the ``DispatchedProject`` attribute nor a ``project`` memo) is the default
project's."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from contract.errors import RunNotFound
from contract.messages import RunInput, RunResult
from contract.names import DEFAULT_PROJECT, WORKFLOW_TYPE
from interpreter.client import RunClient
from interpreter.search_attributes import PROJECT_ATTR, REVISION_ATTR, WORKFLOW_NAME_ATTR
from tests.workflow.engine import Engine

SHOP, ACME = "shop", "acme"


def hold(name: str) -> str:
    """A run that answers at once (a respond step), then waits for ``release``."""
    return f"""
name: {name}
steps:
  answer: {{respond: {{body: {{ok: true}}}}}}
  hold: {{after: [answer], wait: {{signal: release}}}}
"""


async def start_legacy(engine: Engine, run: RunInput, *, memo_project: str | None = None) -> str:
    """Start ``run`` as the client did before projects: no project attribute, and no
    ``project`` in the memo unless ``memo_project`` is given."""
    memo: dict[str, Any] = {"workflow": run.workflow, "revision": run.revision, "version": run.document.version}
    if memo_project is not None:
        memo["project"] = memo_project
    await engine.client.start_workflow(
        WORKFLOW_TYPE, run, id=run.run_id, task_queue=engine.task_queue, result_type=RunResult, memo=memo,
        search_attributes=TypedSearchAttributes(
            [SearchAttributePair(WORKFLOW_NAME_ATTR, run.workflow), SearchAttributePair(REVISION_ATTR, run.revision)]
        ),
    )
    return run.run_id


async def listed(engine: Engine, project: str, workflow: str, expected: set[str]) -> set[str]:
    """The run ids ``list_runs`` gives ``project`` for ``workflow``, once visibility has
    caught up with ``expected`` (visibility is eventually consistent)."""
    found: set[str] = set()
    for _ in range(100):
        found = {r.run_id for r in await engine.runs.list_runs(project=project, workflow=workflow)}
        if found >= expected:
            return found
        await asyncio.sleep(0.05)
    return found


async def test_list_runs_gives_each_project_its_own_runs(engine: Engine) -> None:
    name = f"listed-{uuid.uuid4().hex[:8]}"  # only this test's runs
    document = hold(name)
    shop = await engine.start(document, project=SHOP)
    acme = await engine.start(document, project=ACME)
    default = await engine.start(document)
    legacy = await start_legacy(engine, engine.run_input(document))

    assert await listed(engine, SHOP, name, {shop}) == {shop}
    assert await listed(engine, ACME, name, {acme}) == {acme}
    # The default project's, and the one from before projects (no attribute at all).
    assert await listed(engine, DEFAULT_PROJECT, name, {default, legacy}) == {default, legacy}
    assert await listed(engine, "other", name, set()) == set()
    # The workflow did not label the old run with a project on its own (replay safety).
    await engine.until_step(legacy, "hold", "waiting")
    described = await engine.client.get_workflow_handle(legacy).describe()
    assert described.typed_search_attributes.get(PROJECT_ATTR) is None
    assert described.typed_search_attributes.get(WORKFLOW_NAME_ATTR) == name


def _calls(runs: RunClient, run_id: str, project: str) -> dict[str, Callable[[], Awaitable[Any]]]:
    return {
        "state": lambda: runs.state(run_id, project=project),
        "events": lambda: runs.events(run_id, project=project),
        "wait_response": lambda: runs.wait_response(run_id, project=project, timeout=5),
        "signal": lambda: runs.signal(run_id, "release", {}, project=project),
        "cancel": lambda: runs.cancel(run_id, project=project),
    }


async def test_another_projects_run_is_not_found_for_every_read_and_action(engine: Engine) -> None:
    run_id = await engine.start(hold("private"), project=SHOP)
    await engine.until_step(run_id, "hold", "waiting", project=SHOP)
    missing = f"run_missing{uuid.uuid4().hex}"
    for what, call in _calls(engine.runs, run_id, ACME).items():
        with pytest.raises(RunNotFound) as found:
            await call()
        with pytest.raises(RunNotFound) as absent:
            await _calls(engine.runs, missing, ACME)[what]()
        assert str(found.value).replace(run_id, "ID") == str(absent.value).replace(missing, "ID"), what
    for project in (DEFAULT_PROJECT, "shop2"):  # no prefix or default fallback either
        with pytest.raises(RunNotFound):
            await engine.runs.state(run_id, project=project)

    # Nothing reached it; in its own project every call works.
    state = await engine.state(run_id, project=SHOP)
    assert state.status == "running" and state.steps["hold"].status == "waiting"
    own = _calls(engine.runs, run_id, SHOP)
    assert (await own["wait_response"]()).body == {"ok": True}  # type: ignore[union-attr]
    assert any(e.type == "run.started" for e in (await own["events"]()).events)
    await own["signal"]()
    assert (await engine.finish(run_id, project=SHOP)).status == "completed"


async def test_cancel_in_its_own_project_only(engine: Engine) -> None:
    run_id = await engine.start(hold("cancel-me"), project=ACME)
    await engine.until_step(run_id, "hold", "waiting", project=ACME)
    with pytest.raises(RunNotFound):
        await engine.cancel(run_id, project=SHOP)
    assert (await engine.state(run_id, project=ACME)).status == "running"
    await engine.cancel(run_id, project=ACME)
    assert (await engine.finish(run_id, project=ACME)).status == "cancelled"


async def test_a_run_from_before_projects_is_the_default_projects(engine: Engine) -> None:
    legacy = await start_legacy(engine, engine.run_input(hold("old")))
    await engine.until_step(legacy, "hold", "waiting")  # default project
    with pytest.raises(RunNotFound):
        await engine.state(legacy, project=SHOP)
    await engine.signal(legacy, "release", {})
    assert (await engine.finish(legacy)).status == "completed"


async def test_the_memo_names_the_project_when_the_attribute_is_missing(engine: Engine) -> None:
    run = engine.run_input(hold("memo-only"), project=SHOP)
    run_id = await start_legacy(engine, run, memo_project=SHOP)
    await engine.until_step(run_id, "hold", "waiting", project=SHOP)
    with pytest.raises(RunNotFound):
        await engine.state(run_id)  # not the default project's
    await engine.cancel(run_id, project=SHOP)
    assert (await engine.finish(run_id, project=SHOP)).status == "cancelled"


async def test_a_workflow_of_another_type_is_no_run(engine: Engine) -> None:
    """Not a DispatchedRun: the API does not reach it, even from the default project."""
    other = f"run_other{uuid.uuid4().hex}"
    handle = await engine.client.start_workflow("SomethingElse", id=other, task_queue=f"nobody-{uuid.uuid4()}")
    try:
        for call in _calls(engine.runs, other, DEFAULT_PROJECT).values():
            with pytest.raises(RunNotFound):
                await call()
    finally:
        await handle.terminate("test cleanup")
