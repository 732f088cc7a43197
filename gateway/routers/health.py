"""``/healthz`` and ``/metrics``: no session needed. The probe stays cheap (no Temporal
call) and says nothing about anyone's runs; the metrics are names and counts only —
workflow and project names and outcomes, never a payload, a secret or a run id
(gateway/metrics.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from gateway.metrics import GatewayMetrics
from gateway.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness")
async def healthz() -> Health:
    return Health()


@router.get("/metrics", response_class=Response, summary="Prometheus metrics", responses={200: {"content": {"text/plain": {}}}})
async def metrics(request: Request) -> Response:
    gathered: GatewayMetrics = request.app.state.metrics
    return Response(gathered.text(), media_type=CONTENT_TYPE_LATEST)
