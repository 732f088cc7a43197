"""The built-in marketplace templates, ``@dispatched/<slug>``, seeded on the gateway's start.

They are the repository's examples (SPEC §7: present from the first start), listed with
their title, description and tags in ``examples/marketplace.toml``. Each document is
compiled with the same loader registration uses, so a template's secret names are the
ones its document really reads, and a broken example is refused rather than published.

Seeding uses :meth:`registry.Templates.publish_missing`: a template that exists is left
as it is, so whatever the operator did to a built-in is not overwritten by a restart,
and two gateways starting together on one database both succeed.

An installed package has no examples folder next to it; then the gateway starts without
the built-ins and says where it looked.
"""

from __future__ import annotations

import logging
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from contract.identifiers import slug_problem
from contract.problems import DocumentInvalid
from interpreter.loader import load_document
from registry import BUILTIN_OWNER, Registry, Template, template_id

log = logging.getLogger("dispatched.gateway")

MANIFEST = "marketplace.toml"


class ManifestError(Exception):
    """An entry of the manifest that cannot become a template; the message names it."""


def candidate_folders() -> list[Path]:
    """Where the examples may be: the repository's ``examples/`` beside the packages (a
    checkout or an editable install), else ``./examples`` (the Docker image copies it
    into its working directory, since ``pip install .`` leaves it out)."""
    return [Path(__file__).resolve().parents[1] / "examples", Path.cwd() / "examples"]


def examples_folder() -> Path | None:
    """The first of :func:`candidate_folders` that holds the manifest."""
    return next((folder for folder in candidate_folders() if (folder / MANIFEST).is_file()), None)


def _text(entry: dict[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ManifestError(f"{where}: {key!r} must be a non-empty string")
    return value.strip()


def builtin_template(folder: Path, slug: str, entry: dict[str, Any]) -> Template:
    """One manifest entry as a template: its document read, validated and compiled.

    Raises:
        ManifestError: for a bad slug, a missing field, or a document that does not load.
    """
    where = f"{folder / MANIFEST} [templates.{slug}]"
    if (problem := slug_problem(slug)) is not None:
        raise ManifestError(f"{where}: invalid slug: {problem}")
    path = folder / _text(entry, "file", where)
    tags = entry.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) and tag for tag in tags):
        raise ManifestError(f"{where}: 'tags' must be a list of non-empty strings")
    try:
        source = path.read_text(encoding="utf-8")
        loaded = load_document(source, source=str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{where}: cannot read {path}: {exc}") from exc
    except DocumentInvalid as exc:
        raise ManifestError(f"{where}: {exc}") from exc
    return Template(
        owner=BUILTIN_OWNER,
        slug=slug,
        title=_text(entry, "title", where),
        description=_text(entry, "description", where),
        tags=list(tags),
        secrets=list(loaded.compiled.secrets),
        format="json" if path.suffix.lower() == ".json" else "yaml",
        source=source,
        document_json=loaded.document.model_dump_json(exclude_unset=True),
        published_at=datetime.now(UTC),  # publish_missing stamps its own time
    )


def builtin_templates(folder: Path) -> list[Template]:
    """Every good entry of ``folder``'s manifest; a bad one is logged and left out, so one
    broken example does not keep the others (or the gateway) from starting."""
    try:
        manifest = tomllib.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        log.error("marketplace: cannot read %s: %s; no built-in templates seeded", folder / MANIFEST, exc)
        return []
    entries = manifest.get("templates")
    if not isinstance(entries, dict):
        log.error("marketplace: %s has no [templates.<slug>] tables; no built-in templates seeded", folder / MANIFEST)
        return []
    templates = []
    for slug, entry in entries.items():
        try:
            if not isinstance(entry, dict):
                raise ManifestError(f"{folder / MANIFEST}: templates.{slug} must be a table")
            templates.append(builtin_template(folder, slug, entry))
        except ManifestError as exc:
            log.error("marketplace: %s; %s not seeded", exc, template_id(BUILTIN_OWNER, slug))
    return templates


async def seed_marketplace(registry: Registry, folder: Path | None = None) -> list[str]:
    """Publish the built-in templates that the registry does not hold yet.

    Args:
        registry: the gateway's registry.
        folder: the examples folder with ``marketplace.toml``; default :func:`examples_folder`.

    Returns:
        The ids stored by this call (empty when every built-in exists already, or when
        there is no examples folder: that is logged as a warning, and the start goes on).
    """
    looked = [folder] if folder is not None else candidate_folders()
    folder = folder if folder is not None else examples_folder()
    if folder is None or not (folder / MANIFEST).is_file():
        log.warning("marketplace: no %s found (looked in %s); no built-in templates seeded",
                    MANIFEST, " and ".join(str(path) for path in looked))
        return []
    stored = await registry.templates.publish_missing(builtin_templates(folder))
    if stored:
        log.info("marketplace: seeded %s", ", ".join(stored))
    return stored
