"""The gateway's FastAPI application (SPEC §3).

``create_app`` wires settings, the registry and one Temporal client (made in
``lifespan`` unless the caller passes one, as ``dispatched dev`` and the tests do)
into the routers. Nothing here is tied to a request's lifetime except reading it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from temporalio.client import Client

from gateway.errors import install_error_handlers
from gateway.marketplace_seed import seed_marketplace
from gateway.routers import health, marketplace, projects, runs, secrets, tokens, triggers, workflows
from interpreter.client import RunClient
from interpreter.revisions import CompiledRevisions
from registry import Registry
from runtime.settings import Settings
from runtime.temporal import connect_temporal


def create_app(settings: Settings, *, temporal_client: Client | None = None) -> FastAPI:
    """The gateway app; serve it with uvicorn (``dispatched gateway`` does)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        registry = await Registry.open(settings)
        try:
            await seed_marketplace(registry)  # the built-in templates, on first start
            client = temporal_client or await connect_temporal(settings)
            app.state.settings = settings
            app.state.registry = registry
            app.state.run_client = RunClient(client, task_queue=settings.task_queue)
            app.state.compiled_revisions = CompiledRevisions()
            yield
        finally:
            await registry.close()

    app = FastAPI(
        title="Dispatched",
        summary="Durable HTTP-triggered workflows on Temporal",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    for module in (health, triggers, runs, workflows, secrets, projects, tokens, marketplace):
        app.include_router(module.router)
    return app
