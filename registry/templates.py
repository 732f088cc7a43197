"""Marketplace templates (SPEC §7): published copies of workflow documents.

A template is ``@<owner>/<slug>``: the owner is the publishing project, or
``dispatched`` for the built-ins. It keeps the document as published (source and the
validated JSON), a title, a description, tags, and the *names* of the secrets the
document uses — never a value. Publishing the same slug again replaces it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from registry.database import Database, Tx, now_text, parse_time
from registry.errors import TemplateNotFound

BUILTIN_OWNER = "dispatched"


def template_id(owner: str, slug: str) -> str:
    """``@owner/slug``: how templates are named in the API, the CLI and the console."""
    return f"@{owner}/{slug}"


@dataclass(frozen=True)
class Template:
    owner: str
    slug: str
    title: str
    description: str
    tags: list[str]
    secrets: list[str]
    format: str
    source: str
    document_json: str
    published_at: datetime

    @property
    def id(self) -> str:
        return template_id(self.owner, self.slug)


_COLUMNS = "owner, slug, title, description, tags, secrets, format, source, document, published_at"


def _template(row: tuple[Any, ...]) -> Template:
    owner, slug, title, description, tags, secrets, fmt, source, document, published_at = row
    return Template(owner, slug, title, description, json.loads(tags), json.loads(secrets), fmt, source, document,
                    parse_time(published_at))


class Templates:
    """Data access for the ``templates`` table."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def publish(self, template: Template) -> Template:
        """Store ``template``, replacing one with the same owner and slug."""
        now = now_text()

        def work(tx: Tx) -> Template:
            tx.execute(
                f"INSERT INTO templates ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (owner, slug) DO UPDATE SET title = excluded.title, description = excluded.description, "
                "tags = excluded.tags, secrets = excluded.secrets, format = excluded.format, source = excluded.source, "
                "document = excluded.document, published_at = excluded.published_at",
                (template.owner, template.slug, template.title, template.description, json.dumps(template.tags),
                 json.dumps(template.secrets), template.format, template.source, template.document_json, now),
            )
            row = tx.one(f"SELECT {_COLUMNS} FROM templates WHERE owner = ? AND slug = ?", (template.owner, template.slug))
            assert row is not None
            return _template(row)

        return await self._db.run(work)

    async def publish_missing(self, templates: list[Template]) -> list[str]:
        """Store each template that does not exist yet (the built-ins on first start);
        the ids stored. One that exists is left as it is."""
        now = now_text()

        def work(tx: Tx) -> list[str]:
            stored = []
            for t in templates:
                changed = tx.execute(
                    f"INSERT INTO templates ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (owner, slug) DO NOTHING",
                    (t.owner, t.slug, t.title, t.description, json.dumps(t.tags), json.dumps(t.secrets), t.format,
                     t.source, t.document_json, now),
                )
                if changed:
                    stored.append(t.id)
            return stored

        return await self._db.run(work)

    async def get(self, owner: str, slug: str) -> Template:
        """Raises :class:`TemplateNotFound` for an unknown one."""
        row = await self._db.read(
            lambda tx: tx.one(f"SELECT {_COLUMNS} FROM templates WHERE owner = ? AND slug = ?", (owner, slug))
        )
        if row is None:
            raise TemplateNotFound(template_id(owner, slug))
        return _template(row)

    async def search(self, text: str = "") -> list[Template]:
        """Templates whose slug, title, description or tags contain ``text``
        (case-insensitive), by owner then slug; every template for an empty ``text``."""
        rows = await self._db.read(lambda tx: tx.all(f"SELECT {_COLUMNS} FROM templates ORDER BY owner, slug"))
        needle = text.strip().lower()
        found = [_template(row) for row in rows]
        if not needle:
            return found
        return [t for t in found if needle in " ".join([t.slug, t.title, t.description, *t.tags]).lower()]

    async def withdraw(self, owner: str, slug: str) -> None:
        """Raises :class:`TemplateNotFound` for an unknown one."""
        changed = await self._db.run(
            lambda tx: tx.execute("DELETE FROM templates WHERE owner = ? AND slug = ?", (owner, slug))
        )
        if not changed:
            raise TemplateNotFound(template_id(owner, slug))
