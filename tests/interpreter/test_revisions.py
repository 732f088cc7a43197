"""Compiled revisions: a stored revision is compiled once, then read."""

from __future__ import annotations

from interpreter.loader import load_document
from interpreter.revisions import CompiledRevisions

DOC = 'name: wf\nsteps:\n  a:\n    request: {url: "http://x/{{ run.id }}"}\n'


class StoredJson:
    """The registry's stored document; counts how often it had to be read and compiled."""

    def __init__(self) -> None:
        self.reads = 0

    def __call__(self) -> str:
        self.reads += 1
        return load_document(DOC).document.model_dump_json(exclude_unset=True)


def test_a_miss_compiles_the_stored_document_once() -> None:
    cache, stored = CompiledRevisions(), StoredJson()
    first = cache.get("p", "wf", 1, stored)
    second = cache.get("p", "wf", 1, stored)
    assert stored.reads == 1 and first is second
    assert list(first.steps) == ["a"]


def test_registration_keeps_what_it_compiled() -> None:
    cache, stored = CompiledRevisions(), StoredJson()
    loaded = load_document(DOC)
    cache.keep("p", "wf", 3, loaded.compiled)
    assert cache.get("p", "wf", 3, stored) is loaded.compiled
    assert stored.reads == 0


def test_revisions_are_told_apart() -> None:
    cache, stored = CompiledRevisions(), StoredJson()
    cache.get("p", "wf", 1, stored)
    cache.get("p", "wf", 2, stored)
    cache.get("p", "other", 1, stored)
    cache.get("q", "wf", 1, stored)  # another project's revision 1 of the same name
    assert stored.reads == 4 and len(cache) == 4


def test_the_least_recently_used_revision_goes_first() -> None:
    cache, stored = CompiledRevisions(capacity=2), StoredJson()
    cache.get("p", "wf", 1, stored)
    cache.get("p", "wf", 2, stored)
    cache.get("p", "wf", 1, stored)  # 1 is now the most recent
    cache.get("p", "wf", 3, stored)  # evicts 2
    assert len(cache) == 2 and stored.reads == 3
    cache.get("p", "wf", 1, stored)
    assert stored.reads == 3
    cache.get("p", "wf", 2, stored)
    assert stored.reads == 4


async def test_load_reads_the_stored_document_only_on_a_miss() -> None:
    cache, stored = CompiledRevisions(), StoredJson()

    async def read() -> str:  # a registry read, as the trigger and the spawn catalog make it
        return stored()

    first = await cache.load("p", "wf", 1, read)
    assert await cache.load("p", "wf", 1, read) is first and cache.get("p", "wf", 1, stored) is first
    assert stored.reads == 1
    assert cache.cached("p", "wf", 2) is None
