"""Compiled workflows kept by ``(project, workflow, revision)``, so a trigger never
validates or compiles a stored document again.

A registered revision is immutable, so what it compiles to never changes: the first
trigger of a revision (or its registration, through :meth:`CompiledRevisions.keep`)
compiles it, every later one reads the result. One cache per registry (the gateway
keeps one on its app): two registries may each hold a revision 1 of the same name.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable

from contract.document import Document
from interpreter.compiler import CompiledWorkflow, compile_document

DEFAULT_CAPACITY = 1024


class CompiledRevisions:
    """A bounded least-recently-used map ``(project, name, revision) -> CompiledWorkflow``."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[tuple[str, str, int], CompiledWorkflow] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def keep(self, project: str, name: str, revision: int, compiled: CompiledWorkflow) -> None:
        """Remember ``compiled`` as revision ``revision`` of ``name`` (registration has it)."""
        key = (project, name, revision)
        self._entries[key] = compiled
        self._entries.move_to_end(key)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def get(self, project: str, name: str, revision: int, stored_json: Callable[[], str]) -> CompiledWorkflow:
        """The compiled revision; ``stored_json`` gives the stored document on a miss."""
        found = self.cached(project, name, revision)
        if found is None:
            found = self._compile(project, name, revision, stored_json())
        return found

    async def load(
        self, project: str, name: str, revision: int, stored_json: Callable[[], Awaitable[str]]
    ) -> CompiledWorkflow:
        """Like :meth:`get` for a caller that has only the revision's number: on a miss
        ``stored_json`` reads the stored document (a registry read), so a hit reads nothing."""
        found = self.cached(project, name, revision)
        if found is None:
            found = self._compile(project, name, revision, await stored_json())
        return found

    def cached(self, project: str, name: str, revision: int) -> CompiledWorkflow | None:
        """The compiled revision if it is kept here (marked recently used), else None."""
        key = (project, name, revision)
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def _compile(self, project: str, name: str, revision: int, stored_json: str) -> CompiledWorkflow:
        compiled = compile_document(Document.model_validate_json(stored_json))
        self.keep(project, name, revision, compiled)
        return compiled
