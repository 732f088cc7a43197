"""Projects: the slug every workflow, secret, token, idempotency key and template of
one team lives under (SPEC §6). ``default`` always exists (migration 2 makes it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contract.identifiers import slug_problem
from registry.database import Database, Tx, now_text, parse_time
from registry.errors import InvalidProjectName, ProjectExists, ProjectNotFound
from registry.templates import BUILTIN_OWNER


@dataclass(frozen=True)
class ProjectInfo:
    name: str
    created_at: datetime


class Projects:
    """Data access for the ``projects`` table.

    A project, once made, is never removed (SPEC §6 has no way to), so a name seen to exist
    exists for good, in every gateway process: :meth:`exists` remembers the names it found
    and asks the database only about the others. That takes the project check off the
    hot path of every operator-token request (``Dispatched-Project``, or ``default``).
    If projects ever become deletable, this memo must go with them.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._seen: set[str] = set()

    async def create(self, name: str) -> ProjectInfo:
        """Make a project.

        Raises:
            InvalidProjectName: ``name`` is not a slug.
            ProjectExists: there is one of that name already.
        """
        if (problem := slug_problem(name)) is not None:
            raise InvalidProjectName(name, problem)
        if name == BUILTIN_OWNER:
            raise InvalidProjectName(name, "reserved: the built-in templates are published as @dispatched")
        now = now_text()

        def work(tx: Tx) -> int:
            return tx.execute("INSERT INTO projects (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", (name, now))

        if not await self._db.run(work):
            raise ProjectExists(name)
        return ProjectInfo(name, parse_time(now))

    async def list(self) -> list[ProjectInfo]:
        rows = await self._db.read(lambda tx: tx.all("SELECT name, created_at FROM projects ORDER BY name"))
        return [ProjectInfo(name, parse_time(at)) for name, at in rows]

    async def exists(self, name: str) -> bool:
        if name in self._seen:
            return True
        row = await self._db.read(lambda tx: tx.one("SELECT 1 FROM projects WHERE name = ?", (name,)))
        if row is not None:
            self._seen.add(name)
        return row is not None

    async def require(self, name: str) -> None:
        """Raises :class:`ProjectNotFound` unless ``name`` exists."""
        if not await self.exists(name):
            raise ProjectNotFound(name)
