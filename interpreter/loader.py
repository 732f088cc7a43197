"""Load a workflow document from text: parse, validate, plan, or say everything wrong.

The stages, each in its own module (as jmespath arranges its own):

1. :mod:`interpreter.source` turns YAML or JSON text into plain data plus a map of
   where every key and item starts;
2. :mod:`interpreter.validation` checks the shape with the pydantic model and then the
   meaning (graph, expressions, references), collecting every problem;
3. :mod:`interpreter.compiler` compiles the accepted document (typed steps, parsed
   expressions and templates, the graph from :mod:`interpreter.graph`), once: the
   gateway, ``dispatched workflow validate`` and the workflow share the result.

Every problem is placed at its line and column before it is reported, and all errors
are raised together as one :class:`~contract.problems.DocumentInvalid`.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from contract.document import Document
from contract.problems import DocumentInvalid, Problem, sort_problems
from interpreter.compiler import CompiledWorkflow, compile_document
from interpreter.graph import Plan
from interpreter.source import read_source
from interpreter.validation import check_data


@dataclass(frozen=True)
class LoadedDocument:
    """An accepted document: compiled (model, typed steps, graph) and its warnings (located)."""

    compiled: CompiledWorkflow
    warnings: list[Problem]

    @property
    def document(self) -> Document:
        return self.compiled.document

    @property
    def plan(self) -> Plan:
        return self.compiled.graph


def _normalize(data: Mapping[str, Any]) -> None:
    """Trim each step's ``when``, so ``when: |`` (a trailing newline) and the one-line
    JSON form give equal models."""
    steps = data.get("steps")
    if not isinstance(steps, Mapping):
        return
    for step in steps.values():
        if isinstance(step, dict) and isinstance(step.get("when"), str):
            step["when"] = step["when"].strip()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a document loads; on again afterwards.

    A load allocates tens of thousands of short-lived containers (the parsed data, the
    model, the views, the compiled steps) and frees nearly all of them by reference
    count, so the ~40 young-generation collections a 1,000-step load set off only walk
    objects still in use (~1.5 ms of ~17), and the survivors they promote set off a full
    collection every third or fourth load (20+ ms on a small heap, more on the
    gateway's). A cycle a load leaves behind is collected by the first collection after
    it, as any other. If the collector was already off (someone else's choice), it stays
    off; two threads loading at once may see it back on before the second finishes,
    which only costs that load the collections it would have had anyway.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def load_document(text: str | bytes, *, source: str = "document") -> LoadedDocument:
    """Parse and validate a YAML or JSON workflow document.

    Args:
        text: the document; bytes are read as UTF-8. JSON when the text is a JSON
            object, YAML otherwise.
        source: what to call the document in the error message (a file name, say).

    Raises:
        DocumentInvalid: listing every error found, each with its path, line and column.
    """
    with _collector_paused():
        return _load(text, source)


def _load(text: str | bytes, source: str) -> LoadedDocument:
    parsed = read_source(text)
    problems = list(parsed.problems)
    checked = None
    if parsed.data is not None:
        _normalize(parsed.data)
        checked = check_data(parsed.data)
        problems += [parsed.source_map.place(problem) for problem in checked.problems]
    errors = [problem for problem in problems if problem.is_error]
    if errors or checked is None or checked.document is None:
        raise DocumentInvalid(errors, source=source)
    warnings = sort_problems(problem for problem in problems if not problem.is_error)
    return LoadedDocument(compile_document(checked.document, graph=checked.plan), warnings)
