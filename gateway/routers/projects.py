"""``/api/projects``: the operator makes projects; anyone may see the ones they reach."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from gateway.deps import Operator, Reader, RegistryDep, require_session
from gateway.schemas import ErrorResponse, ProjectCreate, ProjectSummary

router = APIRouter(prefix="/api/projects", tags=["projects"], dependencies=[Depends(require_session)])

_ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}}


@router.post(
    "",
    status_code=201,
    response_model=ProjectSummary,
    responses={**_ERRORS, 409: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
    summary="Create a project (operator token)",
)
async def create_project(body: ProjectCreate, registry: RegistryDep, caller: Operator) -> ProjectSummary:
    """409 when it exists; 422 when the name is not a slug."""
    info = await registry.projects.create(body.name)
    return ProjectSummary(name=info.name, created_at=info.created_at)


@router.get("", response_model=list[ProjectSummary], responses=_ERRORS, summary="Projects")
async def list_projects(registry: RegistryDep, caller: Reader) -> list[ProjectSummary]:
    """Every project for the operator; a project token sees its own project only."""
    projects = await registry.projects.list()
    if not caller.access.is_operator:
        projects = [p for p in projects if p.name == caller.project]
    return [ProjectSummary(name=p.name, created_at=p.created_at) for p in projects]
