"""The gateway's FastAPI application (SPEC §3).

``create_app`` wires settings, the registry and one Temporal client (made in
``lifespan`` unless the caller passes one, as ``dispatched dev`` and the tests do)
into the routers, and serves the console (``gateway/console``: its pages, their static
files, and the key its session cookies are sealed with). Nothing here is tied to a
request's lifetime except reading it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from temporalio.client import Client

from gateway.access_log import AccessLog
from gateway.console import pages as console
from gateway.console.sessions import SessionCodec
from gateway.errors import install_error_handlers
from gateway.marketplace_seed import seed_marketplace
from gateway.metrics import GatewayMetrics
from gateway.routers import codec, health, marketplace, projects, runs, secrets, tokens, triggers, workflows
from gateway.tracing import TraceRequests
from interpreter.client import RunClient
from interpreter.revisions import CompiledRevisions
from registry import Registry
from runtime.settings import Settings
from runtime.temporal import connect_temporal
from runtime.tracing import Tracing, no_tracing
from runtime.worker import build_worker


def create_app(settings: Settings, *, temporal_client: Client | None = None, tracing: Tracing | None = None) -> FastAPI:
    """The gateway app; serve it with uvicorn (``dispatched gateway`` does).

    ``tracing`` (runtime/tracing.py) makes the requests' spans and goes on the client
    made in ``lifespan``; a ``temporal_client`` passed in brings its own interceptors.
    """
    tracing = tracing or no_tracing()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        registry = await Registry.open(settings)
        try:
            await seed_marketplace(registry)  # the built-in templates, on first start
            client = temporal_client or await connect_temporal(settings, interceptors=tracing.interceptors)
            app.state.settings = settings
            app.state.registry = registry
            app.state.run_client = RunClient(client, task_queue=settings.task_queue)
            app.state.compiled_revisions = CompiledRevisions()
            app.state.console_sessions = await asyncio.to_thread(SessionCodec.for_settings, settings)
            async with contextlib.AsyncExitStack() as in_process:
                if settings.eager_start:  # eager start needs a worker on this very client
                    await in_process.enter_async_context(build_worker(client, settings, registry))
                yield
        finally:
            await registry.close()

    app = FastAPI(
        title="Dispatched",
        summary="Durable HTTP-triggered workflows on Temporal",
        version="0.1.0",
        lifespan=lifespan,
        # FastAPI's own OpenTelemetry follows the global provider and records query
        # strings; the gateway's spans are gateway/tracing.py's, its metrics /metrics.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.metrics = GatewayMetrics()  # made with the app: counted from the first request on
    install_error_handlers(app)
    app.add_middleware(AccessLog)  # one JSON line per request, no query string or header
    app.add_middleware(TraceRequests, tracer=tracing.tracer)  # outermost: the span covers the whole request
    for module in (health, triggers, runs, workflows, secrets, projects, tokens, marketplace, codec):
        app.include_router(module.router)
    # The console (SPEC §8): its pages, and the stylesheet and scripts they load. Those
    # files are the same for everyone and hold no data, so they need no session.
    app.include_router(console.router)
    app.mount("/static", StaticFiles(directory=console.STATIC_DIR), name="static")
    return app
