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
    GraphStep,
    RevisionSummary,
    SecretUse,
    WorkflowDeleted,
    WorkflowDetail,
    WorkflowGraph,
    WorkflowRegistered,
    WorkflowRevisionDetail,
    WorkflowSummary,
)
from interpreter.compiler import CompiledWorkflow, WaitStep
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


def graph_of(compiled: CompiledWorkflow) -> WorkflowGraph:
    """The DAG as a client draws it: each step's kind, edges (``after``), guard and layer.

    Layers are the longest path from a root, so every edge points to a later layer;
    walking the plan's topological order sees each step's ``after`` before the step.
    """
    layers: dict[str, int] = {}
    steps = []
    for step_id in compiled.graph.order:
        step = compiled.steps[step_id]
        layers[step_id] = 1 + max((layers[a] for a in step.after), default=-1)
        steps.append(GraphStep(
            id=step_id,
            kind=compiled.kind(step_id),
            after=list(step.after),
            when=compiled.document.steps[step_id].when,
            signals=list(step.signals) if isinstance(step, WaitStep) else [],
            layer=layers[step_id],
        ))
    return WorkflowGraph(steps=steps)


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
    used = compiled_revisions.get(caller.project, name, current.revision, lambda: current.document_json)
    pending = await pending_among(registry, caller.project, used.secrets)
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
        secrets=[SecretUse(name=secret, status=status) for secret, status in statuses(used.secrets, pending)],
        graph=graph_of(used),
    )


@router.get(
    "/{name}/revisions/{revision}",
    response_model=WorkflowRevisionDetail,
    responses=_ERRORS,
    summary="One revision: its source and DAG",
)
async def get_revision(
    name: str, revision: int, registry: RegistryDep, compiled_revisions: CompiledRevisionsDep, caller: Reader
) -> WorkflowRevisionDetail:
    """Any revision ever registered, also of a deleted workflow: a run keeps the revision
    it started with, and this is how to read it."""
    found = next((r for r in await registry.workflows.revisions(caller.project, name) if r.revision == revision), None)
    if found is None:
        raise ApiError(404, "workflow_not_found", f"no revision {revision} of workflow {name!r}")
    compiled = compiled_revisions.get(caller.project, name, found.revision, lambda: found.document_json)
    return WorkflowRevisionDetail(
        name=found.name, revision=found.revision, version=found.version, format=found.format,
        source=found.source, created_at=found.created_at, graph=graph_of(compiled),
    )


@router.delete("/{name}", response_model=WorkflowDeleted, responses=_ERRORS, summary="Delete a workflow")
async def delete_workflow(name: str, registry: RegistryDep, caller: Deployer) -> WorkflowDeleted:
    """New triggers get 404; runs already in flight keep their document."""
    await registry.workflows.delete(caller.project, name)
    return WorkflowDeleted(name=name)
