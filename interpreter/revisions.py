"""Compiled workflows kept by ``(project, workflow, revision)``, so a trigger never
validates or compiles a stored document again.

A registered revision is immutable, so what it compiles to never changes: the first
trigger of a revision (or its registration, through :meth:`CompiledRevisions.keep`)
compiles it, every later one reads the result. One cache per registry (the gateway
keeps one on its app): two registries may each hold a revision 1 of the same name.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

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
        key = (project, name, revision)
        found = self._entries.get(key)
        if found is None:
            found = compile_document(Document.model_validate_json(stored_json()))
            self.keep(project, name, revision, found)
        else:
            self._entries.move_to_end(key)
        return found
