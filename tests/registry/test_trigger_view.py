"""The trigger's one registry read (``Workflows.trigger_view``) on SQLite and PostgreSQL:
the current revision and the project's set secret names, always as they are now."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from contract.document import Document
from contract.names import DEFAULT_PROJECT
from registry import Registry, WorkflowNotFound
from runtime.settings import Settings

P = DEFAULT_PROJECT
SHOP = "shop"


def doc(status: int = 201) -> Document:
    return Document.model_validate({"name": "orders", "version": 1, "steps": {"answer": {"respond": {"status": status}}}})


@pytest.fixture
async def registry(database: str, tmp_path: Path) -> AsyncIterator[Registry]:
    reg = await Registry.open(Settings(database=database, data_dir=tmp_path, token="boot-token"))
    try:
        await reg.projects.create(SHOP)
        yield reg
    finally:
        await reg.close()


async def test_the_view_follows_the_current_revision_and_the_set_secrets(registry: Registry) -> None:
    assert await registry.workflows.trigger_view(P, "orders") is None
    await registry.workflows.put(P, doc(201), source="a", format="json")
    view = await registry.workflows.trigger_view(P, "orders")
    assert view is not None and (view.name, view.revision, view.set_secrets) == ("orders", 1, frozenset())
    assert view.pending(["B_URL", "A_URL"]) == ["A_URL", "B_URL"]

    await registry.secrets.set(P, "A_URL", "http://127.0.0.1:1")
    await registry.secrets.set(P, "B_URL", "http://127.0.0.1:2")
    await registry.secrets.set(SHOP, "C_URL", "http://127.0.0.1:3")  # another project's: not listed
    await registry.workflows.put(P, doc(202), source="b", format="json")
    view = await registry.workflows.trigger_view(P, "orders")
    assert view is not None and view.revision == 2 and view.set_secrets == {"A_URL", "B_URL"}
    assert view.pending(["A_URL", "C_URL"]) == ["C_URL"]

    await registry.secrets.delete(P, "A_URL")
    view = await registry.workflows.trigger_view(P, "orders")
    assert view is not None and view.set_secrets == {"B_URL"}


async def test_no_view_of_a_deleted_workflow_nor_of_another_projects(registry: Registry) -> None:
    await registry.workflows.put(P, doc(), source="a", format="json")
    assert await registry.workflows.trigger_view(SHOP, "orders") is None
    await registry.workflows.delete(P, "orders")
    assert await registry.workflows.trigger_view(P, "orders") is None


async def test_document_json_reads_one_stored_revision(registry: Registry) -> None:
    await registry.workflows.put(P, doc(201), source="a", format="json")
    await registry.workflows.put(P, doc(202), source="b", format="json")
    first = Document.model_validate_json(await registry.workflows.document_json(P, "orders", 1))
    assert first.steps["answer"].respond is not None and first.steps["answer"].respond.status == 201
    with pytest.raises(WorkflowNotFound):
        await registry.workflows.document_json(P, "orders", 3)
    with pytest.raises(WorkflowNotFound):
        await registry.workflows.document_json(SHOP, "orders", 1)
