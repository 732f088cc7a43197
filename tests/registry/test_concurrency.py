"""Registry calls do not wait their turn behind each other (issue 13): reads run beside
a write in progress (SQLite in WAL mode, PostgreSQL through its pool), and on
PostgreSQL two writes run at once. Shown with a write held open on an event, not with
timings: the reads must finish while the write is still inside its transaction."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from registry.database import Database, Tx, open_database
from registry.migrations import upgrade
from tests.registry.conftest import new_postgres_database
from tests.registry.postgres import PostgresCluster


async def _opened(target: str) -> Database:
    db = await asyncio.to_thread(open_database, target)
    await upgrade(db)
    return db


async def test_reads_run_while_a_write_is_open(database: str) -> None:
    db = await _opened(database)
    release, inside = threading.Event(), threading.Event()

    def slow_write(tx: Tx) -> None:
        tx.execute("INSERT INTO projects (name, created_at) VALUES (?, ?)", ("held", "2026-01-01"))
        inside.set()
        assert release.wait(timeout=30), "the test never let the write finish"

    try:
        writing = asyncio.create_task(db.run(slow_write))
        assert await asyncio.to_thread(inside.wait, 30)
        reads = [db.read(lambda tx: tx.all("SELECT name FROM projects ORDER BY name")) for _ in range(8)]
        answers = await asyncio.wait_for(asyncio.gather(*reads), timeout=20)
        assert not writing.done()  # every read finished while the write was still open
        assert all(rows == [("default",)] for rows in answers)  # and none saw its uncommitted row
        release.set()
        await writing
        assert ("held",) in await db.read(lambda tx: tx.all("SELECT name FROM projects"))
    finally:
        release.set()
        db.close()


async def test_postgres_writes_do_not_queue_behind_each_other(postgres: PostgresCluster) -> None:
    """SQLite has one writer per file by design; PostgreSQL's pool gives each write its own
    connection, so two writes are inside their transactions at the same moment."""
    db = await _opened(new_postgres_database(postgres))
    both_inside = threading.Barrier(2, timeout=20)

    def write(name: str) -> Callable[[Tx], None]:
        def work(tx: Tx) -> None:
            tx.execute("INSERT INTO projects (name, created_at) VALUES (?, ?)", (name, "2026-01-01"))
            both_inside.wait()  # each waits for the other to be inside its own transaction

        return work

    try:
        await asyncio.wait_for(asyncio.gather(db.run(write("a")), db.run(write("b"))), timeout=30)
        names = {row[0] for row in await db.read(lambda tx: tx.all("SELECT name FROM projects"))}
        assert {"a", "b"} <= names
    finally:
        db.close()
