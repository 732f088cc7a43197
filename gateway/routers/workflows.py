"""``/api/workflows``: register revisions, list, show and delete workflows."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends

from gateway.deps import CompiledRevisionsDep, Deployer, Reader, RegistryDep, TextBody, require_session
from gateway.errors import ApiError
from gateway.pending import pending_among, statuses
from gateway.schemas import (
    ErrorResponse,
    RevisionSummary,
    SecretUse,
    WorkflowDeleted,
    WorkflowDetail,
    WorkflowRegistered,
    WorkflowSummary,
)
from interpreter.loader import load_document

router = APIRouter(prefix="/api/workflows", tags=["workflows"], dependencies=[Depends(require_session)])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}, 404: {"model": ErrorResponse},
}


def source_format(text: str) -> str:
    """``json`` when the text is a JSON object (as the loader decides), else ``yaml``."""
    try:
        return "json" if isinstance(json.loads(text), dict) else "yaml"
    except ValueError:
        return "yaml"


@router.put(
    "/{name}",
    response_model=WorkflowRegistered,
    responses={**_ERRORS, 400: {"model": ErrorResponse}, 413: {"model": ErrorResponse},
               422: {"model": ErrorResponse, "description": "invalid document; error.problems lists each, located"}},
    summary="Register a new revision",
)
async def put_workflow(
    name: str, text: TextBody, registry: RegistryDep, compiled: CompiledRevisionsDep, caller: Deployer
) -> WorkflowRegistered:
    """The body is the document, YAML or JSON (told apart by its text). An identical
    source is not stored again (``created: false``)."""
    loaded = load_document(text, source=f"workflow {name!r}")
    if loaded.document.name != name:
        raise ApiError(
            422, "name_mismatch",
            f"the document is named {loaded.document.name!r} but was sent to /api/workflows/{name}",
        )
    result = await registry.workflows.put(caller.project, loaded.document, source=text, format=source_format(text))
    if result.created:
        compiled.keep(caller.project, name, result.revision.revision, loaded.compiled)
    return WorkflowRegistered(
        name=name,
        revision=result.revision.revision,
        version=result.revision.version,
        created=result.created,
        warnings=[warning.to_dict() for warning in loaded.warnings],
        pending_secrets=await pending_among(registry, caller.project, loaded.compiled.secrets),
    )


@router.get("", response_model=list[WorkflowSummary], summary="Registered workflows")
async def list_workflows(registry: RegistryDep, caller: Reader) -> list[WorkflowSummary]:
    return [
        WorkflowSummary(name=w.name, revision=w.revision, version=w.version, updated_at=w.updated_at)
        for w in await registry.workflows.list(caller.project)
    ]


@router.get("/{name}", response_model=WorkflowDetail, responses=_ERRORS, summary="A workflow and its revisions")
async def get_workflow(
    name: str, registry: RegistryDep, compiled_revisions: CompiledRevisionsDep, caller: Reader
) -> WorkflowDetail:
    current = await registry.workflows.require(caller.project, name)
    revisions = await registry.workflows.revisions(caller.project, name)
    used = compiled_revisions.get(caller.project, name, current.revision, lambda: current.document_json).secrets
    pending = await pending_among(registry, caller.project, used)
    return WorkflowDetail(
        name=current.name,
        revision=current.revision,
        version=current.version,
        format=current.format,
        source=current.source,
        created_at=current.created_at,
        revisions=[
            RevisionSummary(revision=r.revision, version=r.version, format=r.format, created_at=r.created_at)
            for r in revisions
        ],
        secrets=[SecretUse(name=secret, status=status) for secret, status in statuses(used, pending)],
    )


@router.delete("/{name}", response_model=WorkflowDeleted, responses=_ERRORS, summary="Delete a workflow")
async def delete_workflow(name: str, registry: RegistryDep, caller: Deployer) -> WorkflowDeleted:
    """New triggers get 404; runs already in flight keep their document."""
    await registry.workflows.delete(caller.project, name)
    return WorkflowDeleted(name=name)
