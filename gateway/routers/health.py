"""``/healthz``: liveness only; no session, no Temporal call, so a load balancer's probe
stays cheap and says nothing about anyone's runs."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness")
async def healthz() -> Health:
    return Health()
