"""``/api/tokens``: an admin makes, lists and revokes the project's tokens.

A token's value is in the creation answer only; the registry keeps its hash.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from gateway.deps import Admin, RegistryDep, require_session
from gateway.schemas import ErrorResponse, TokenCreate, TokenCreated, TokenSummary
from registry import TokenInfo

router = APIRouter(prefix="/api/tokens", tags=["tokens"], dependencies=[Depends(require_session)])

_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}, 404: {"model": ErrorResponse},
}


def _summary(info: TokenInfo) -> TokenSummary:
    return TokenSummary(
        id=info.id, role=info.role, label=info.label, created_at=info.created_at,
        last_used_at=info.last_used_at, revoked_at=info.revoked_at,
    )


@router.post(
    "", status_code=201, response_model=TokenCreated, responses={**_ERRORS, 422: {"model": ErrorResponse}},
    summary="Create a token (its value is shown once)",
)
async def create_token(body: TokenCreate, registry: RegistryDep, caller: Admin) -> TokenCreated:
    made = await registry.tokens.create(caller.project, body.role, body.label)
    return TokenCreated(id=made.info.id, token=made.token, role=made.info.role, label=made.info.label)


@router.get("", response_model=list[TokenSummary], responses=_ERRORS, summary="The project's tokens (no values)")
async def list_tokens(registry: RegistryDep, caller: Admin) -> list[TokenSummary]:
    return [_summary(info) for info in await registry.tokens.list(caller.project)]


@router.delete("/{token_id}", response_model=TokenSummary, responses=_ERRORS, summary="Revoke a token")
async def revoke_token(token_id: str, registry: RegistryDep, caller: Admin) -> TokenSummary:
    """A revoked token is refused (401) from then on; another project's token is 404."""
    return _summary(await registry.tokens.revoke(caller.project, token_id))
