"""The spawn catalog over the registry: one read per look-up, the child's compiled form
kept by revision in the worker (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contract.document import Document
from contract.names import DEFAULT_PROJECT
from registry import Registry
from registry.database import Database
from runtime.registry_adapters import RegistryWorkflowCatalog
from runtime.settings import Settings

CHILD = {
    "name": "child", "version": 1,
    "steps": {"call": {"request": {"url": "{{ secrets.CHILD_URL }}/go"}}},
}


async def test_a_spawn_look_up_reads_once_and_compiles_a_revision_once(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    original = Database.read

    async def counted(self: Database, work: Callable[[Any], Any]) -> Any:
        reads.append(work.__qualname__.split(".<locals>")[0])
        return await original(self, work)

    monkeypatch.setattr(Database, "read", counted)
    registry = await Registry.open(Settings(database=database, data_dir=tmp_path, token="boot"))
    try:
        catalog = RegistryWorkflowCatalog(registry)
        assert await catalog.current(DEFAULT_PROJECT, "child") is None
        await registry.workflows.put(DEFAULT_PROJECT, Document.model_validate(CHILD), source="1", format="json")
        reads.clear()
        first = await catalog.current(DEFAULT_PROJECT, "child")
        assert first is not None and first.revision == 1 and first.pending_secrets == ["CHILD_URL"]
        assert reads == ["Workflows.trigger_view", "Workflows.document_json"]  # a miss: the stored document

        await registry.secrets.set(DEFAULT_PROJECT, "CHILD_URL", "http://127.0.0.1:9")
        reads.clear()
        again = await catalog.current(DEFAULT_PROJECT, "child")
        assert again is not None and again.pending_secrets == [] and again.document == first.document
        assert reads == ["Workflows.trigger_view"]  # the secret's change is seen; the compiled form is kept

        changed = {**CHILD, "version": 2}
        await registry.workflows.put(DEFAULT_PROJECT, Document.model_validate(changed), source="2", format="json")
        newer = await catalog.current(DEFAULT_PROJECT, "child")
        assert newer is not None and newer.revision == 2 and newer.document.version == 2
    finally:
        await registry.close()
