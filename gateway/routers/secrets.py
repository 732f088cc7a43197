"""``/api/secrets``: write-only values; names and times are all that come back."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request

from contract.headers import JSON_MEDIA_TYPE, media_type
from gateway.deps import CompiledRevisionsDep, Deployer, Reader, RegistryDep, TextBody, require_session
from gateway.errors import ApiError
from gateway.pending import secret_states
from gateway.schemas import ErrorResponse, SecretDeleted, SecretListed, SecretSummary
from registry import check_secret_name

router = APIRouter(prefix="/api/secrets", tags=["secrets"], dependencies=[Depends(require_session)])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}, 404: {"model": ErrorResponse},
}


def secret_value(content_type: str, text: str) -> str:
    """``{"value": "..."}`` when sent as JSON, else the raw text minus one trailing
    newline (what ``echo value | curl --data-binary @-`` adds)."""
    if media_type(content_type) == JSON_MEDIA_TYPE:  # exactly: a *+json body is a raw value
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not (isinstance(data, dict) and set(data) == {"value"} and isinstance(data["value"], str)):
            raise ApiError(400, "invalid_body", 'a JSON secret body must be {"value": "<string>"}')
        return data["value"]
    return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text


@router.put(
    "/{name}",
    response_model=SecretSummary,
    responses={**_ERRORS, 400: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
    summary="Set a secret",
)
async def put_secret(
    name: str, request: Request, text: TextBody, registry: RegistryDep, caller: Deployer
) -> SecretSummary:
    """Create or replace the secret (a pending one becomes set); the answer never contains the value."""
    check_secret_name(name)
    info = await registry.secrets.set(caller.project, name, secret_value(request.headers.get("content-type", ""), text))
    return SecretSummary(name=info.name, updated_at=info.updated_at)


@router.get("", response_model=list[SecretListed], responses=_ERRORS, summary="Secrets: set and pending")
async def list_secrets(registry: RegistryDep, revisions: CompiledRevisionsDep, caller: Reader) -> list[SecretListed]:
    """Every secret set in the project and every one a current workflow uses but nobody
    set (``pending``), with the workflows using each; never a value."""
    return [
        SecretListed(name=s.name, status=s.status, used_by=s.used_by, updated_at=s.updated_at)
        for s in await secret_states(registry, revisions, caller.project)
    ]


@router.delete("/{name}", response_model=SecretDeleted, responses=_ERRORS, summary="Delete a secret")
async def delete_secret(name: str, registry: RegistryDep, caller: Deployer) -> SecretDeleted:
    """A secret a current workflow still uses becomes pending again."""
    await registry.secrets.delete(caller.project, name)
    return SecretDeleted(name=name)
