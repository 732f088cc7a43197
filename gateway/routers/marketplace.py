"""``/api/marketplace``: search, show, use, publish and withdraw templates (SPEC §7).

A template is ``@<owner>/<slug>``: a published copy of a workflow document with a title,
a description, tags and the *names* of the secrets the document uses. Secret values
never travel with a template in either direction: publishing copies the document, not
the project's secrets, and using one leaves every secret the copy needs that the project
has not set as a pending placeholder (derived, see :mod:`gateway.pending`).

Nothing is half-made: ``use`` and ``publish`` check everything (the template, the name,
the document) before their single registry write, so a refused request stores nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, NamedTuple

from fastapi import APIRouter, Depends

from contract.identifiers import slug_problem
from gateway.deps import Admin, CompiledRevisionsDep, Deployer, Reader, RegistryDep, require_session
from gateway.errors import ApiError
from gateway.pending import pending_among, statuses
from gateway.schemas import (
    ErrorResponse,
    SecretUse,
    TemplateDetail,
    TemplatePublish,
    TemplatePublished,
    TemplateSummary,
    TemplateUse,
    TemplateUsed,
    TemplateWithdrawn,
)
from interpreter.loader import LoadedDocument, load_document
from interpreter.source import read_source
from registry import BUILTIN_OWNER, Template, TemplateNotFound

router = APIRouter(prefix="/api/marketplace", tags=["marketplace"], dependencies=[Depends(require_session)])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}, 404: {"model": ErrorResponse},
}
_INVALID: dict[int | str, dict[str, Any]] = {422: {"model": ErrorResponse}}
MAX_TAG_CHARS = 40


def owner_of(segment: str, slug: str) -> str:
    """The owner named by the path's ``@owner`` segment (FastAPI cannot put a literal
    ``@`` before a path parameter, so the segment is taken whole and checked here);
    a segment without the ``@`` names no template."""
    if not segment.startswith("@") or len(segment) < 2:
        raise ApiError(404, "template_not_found", f"no template {segment}/{slug}: template ids are @owner/slug")
    return segment[1:]


def summary(template: Template) -> TemplateSummary:
    return TemplateSummary(
        id=template.id, title=template.title, description=template.description, tags=template.tags,
        secrets=template.secrets, publisher=template.owner, published_at=template.published_at,
    )


def check_slug(value: str, what: str) -> str:
    """``value`` if it may name a workflow (or a template), else 422 naming the rule."""
    if (problem := slug_problem(value)) is not None:
        raise ApiError(422, f"invalid_{what.replace(' ', '_')}", f"invalid {what} {value!r}: {problem}")
    return value


def clean_tags(tags: list[str]) -> list[str]:
    """Tags trimmed, without repeats (in the order given); an empty or over-long one is 422."""
    cleaned: list[str] = []
    for tag in tags:
        text = tag.strip()
        if not text or len(text) > MAX_TAG_CHARS:
            raise ApiError(422, "invalid_tag", f"invalid tag {tag!r}: use 1 to {MAX_TAG_CHARS} characters")
        if text not in cleaned:
            cleaned.append(text)
    return cleaned


class Copy(NamedTuple):
    """The template's document as it will be stored for the project."""

    source: str
    format: str
    loaded: LoadedDocument
    renamed: bool


def copy_as(template: Template, name: str) -> Copy:
    """The template's document as workflow ``name``.

    The template's own source is kept when the name is unchanged. Otherwise the parsed
    source (what the author wrote, no defaults filled in) gets the new ``name`` and is
    stored as JSON: rewriting a name inside YAML text is not safe in general, and a
    document whose ``name`` differs from its workflow's would not register.
    Loading here also validates the document against today's rules before anything is stored.
    """
    loaded = load_document(template.source, source=template.id)
    if loaded.document.name == name:
        return Copy(template.source, template.format, loaded, renamed=False)
    data = read_source(template.source).data
    assert isinstance(data, dict)  # the document just loaded from this very text
    text = json.dumps({**data, "name": name}, indent=2, ensure_ascii=False) + "\n"
    return Copy(text, "json", load_document(text, source=f"{template.id} as {name!r}"), renamed=True)


@router.get("", response_model=list[TemplateSummary], responses=_ERRORS, summary="Search the marketplace")
async def search_templates(registry: RegistryDep, caller: Reader, q: str = "") -> list[TemplateSummary]:
    """Templates whose slug, title, description or tags contain ``q`` (case-insensitive);
    every template without ``q``."""
    return [summary(t) for t in await registry.templates.search(q)]


@router.get("/{owner}/{slug}", response_model=TemplateDetail, responses=_ERRORS, summary="A template and its document")
async def show_template(owner: str, slug: str, registry: RegistryDep, caller: Reader) -> TemplateDetail:
    template = await registry.templates.get(owner_of(owner, slug), slug)
    return TemplateDetail(**summary(template).model_dump(), format=template.format, document=template.source)


@router.post(
    "/{owner}/{slug}/use",
    status_code=201,
    response_model=TemplateUsed,
    responses={**_ERRORS, **_INVALID},
    summary="Copy a template into the project as a workflow",
)
async def use_template(
    owner: str, slug: str, registry: RegistryDep, compiled_revisions: CompiledRevisionsDep, caller: Deployer,
    body: TemplateUse | None = None,
) -> TemplateUsed:
    """Registers the document as workflow ``name`` (default: the slug); a workflow of that
    name gets a new revision. Every secret it uses that the project has not set is
    listed ``pending``; triggers are refused until it is set."""
    template = await registry.templates.get(owner_of(owner, slug), slug)
    name = check_slug(body.name if body is not None and body.name is not None else template.slug, "workflow name")
    copy = copy_as(template, name)
    existed = await registry.workflows.current(caller.project, name) is not None
    result = await registry.workflows.put(caller.project, copy.loaded.document, source=copy.source, format=copy.format)
    if result.created:
        compiled_revisions.keep(caller.project, name, result.revision.revision, copy.loaded.compiled)
    used = copy.loaded.compiled.secrets
    pending = await pending_among(registry, caller.project, used)
    return TemplateUsed(
        workflow=name,
        revision=result.revision.revision,
        template=template.id,
        created=result.created,
        new_revision=existed and result.created,
        renamed=copy.renamed,
        secrets=[SecretUse(name=secret, status=status) for secret, status in statuses(used, pending)],
    )


@router.post(
    "",
    status_code=201,
    response_model=TemplatePublished,
    responses={**_ERRORS, **_INVALID},
    summary="Publish one of the project's workflows as @project/slug",
)
async def publish_template(
    body: TemplatePublish, registry: RegistryDep, compiled_revisions: CompiledRevisionsDep, caller: Admin
) -> TemplatePublished:
    """Publishes the workflow's current revision, source as written, with the names of the
    secrets it uses (never their values); the same slug again replaces the template."""
    slug = check_slug(body.slug if body.slug is not None else body.workflow, "slug")
    if caller.project == BUILTIN_OWNER and not caller.access.is_operator:
        raise ApiError(403, "forbidden", f"templates @{BUILTIN_OWNER}/... are the built-ins; only the operator token may publish them")
    tags = clean_tags(body.tags)
    current = await registry.workflows.require(caller.project, body.workflow)
    compiled = compiled_revisions.get(caller.project, current.name, current.revision, lambda: current.document_json)
    try:
        await registry.templates.get(caller.project, slug)
        replaced = True
    except TemplateNotFound:
        replaced = False
    stored = await registry.templates.publish(Template(
        owner=caller.project, slug=slug, title=(body.title or "").strip() or slug,
        description=body.description.strip(), tags=tags, secrets=list(compiled.secrets), format=current.format,
        source=current.source, document_json=current.document_json, published_at=datetime.now(UTC),  # the registry stamps its own
    ))
    return TemplatePublished(**summary(stored).model_dump(), replaced=replaced)


@router.delete(
    "/{owner}/{slug}", response_model=TemplateWithdrawn, responses=_ERRORS, summary="Withdraw a template"
)
async def withdraw_template(owner: str, slug: str, registry: RegistryDep, caller: Admin) -> TemplateWithdrawn:
    """An admin of the owner project may withdraw its templates; the built-ins and
    other projects' templates only the operator token. Workflows made from it stay."""
    template = await registry.templates.get(owner_of(owner, slug), slug)  # unknown: 404, whoever asks
    if not caller.access.is_operator:
        if template.owner == BUILTIN_OWNER:
            raise ApiError(403, "forbidden", f"the built-in templates @{BUILTIN_OWNER}/... can be withdrawn by the operator token only")
        if template.owner != caller.project:
            raise ApiError(403, "forbidden", f"withdrawing {template.id} needs the 'admin' role of project {template.owner!r}")
    await registry.templates.withdraw(template.owner, template.slug)
    return TemplateWithdrawn(withdrawn=template.id)
