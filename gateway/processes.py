"""The production processes: ``dispatched worker`` and ``dispatched gateway``.

Both read their configuration from the environment through
:class:`~gateway.settings.Settings` (SPEC §4), so the same commands run under
``dispatched dev`` (which sets the environment for its children) and in production
(one container per process). Each process stops cleanly on SIGTERM or Ctrl-C: the
worker finishes its current tasks' bookkeeping, uvicorn closes its connections.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import TYPE_CHECKING

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

if TYPE_CHECKING:
    from gateway.registry import Registry
    from gateway.settings import Settings

CONNECT_ATTEMPTS = 30


async def connect_temporal(settings: Settings) -> Client:
    """Connect with the pydantic data converter, retrying while the server starts up."""
    for attempt in range(1, CONNECT_ATTEMPTS + 1):
        try:
            return await Client.connect(
                settings.temporal_address, namespace=settings.temporal_namespace,
                data_converter=pydantic_data_converter,
            )
        except RuntimeError:
            if attempt == CONNECT_ATTEMPTS:
                raise
            await asyncio.sleep(1.0)
    raise AssertionError("unreachable")


def build_worker(client: Client, settings: Settings, registry: Registry) -> Worker:
    """The engine's worker over the registry: its secrets and its catalog."""
    from gateway.registry_adapters import RegistrySecretStore, RegistryWorkflowCatalog
    from interpreter.worker import create_worker

    return create_worker(
        client,
        task_queue=settings.task_queue,
        secrets=RegistrySecretStore(registry),
        catalog=RegistryWorkflowCatalog(registry),
        max_body_bytes=settings.max_response_bytes,
        allow_hosts=settings.allow_hosts,
    )


async def serve_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Run a worker on ``settings.task_queue`` until ``stop`` is set."""
    from gateway.registry import Registry

    client = await connect_temporal(settings)
    registry = await Registry.open(settings)
    try:
        async with build_worker(client, settings, registry):
            await stop.wait()
    finally:
        await registry.close()


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


def run_worker(settings: Settings | None = None) -> None:
    """``dispatched worker``: the blocking entry point."""
    from gateway.settings import Settings

    async def main() -> None:
        stop = asyncio.Event()
        _stop_on_signals(stop)
        await serve_worker(settings or Settings(), stop)

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    except Exception as exc:  # one line, not a traceback, for the common startup failures
        print(f"error: worker: {type(exc).__name__}: {exc}", file=sys.stderr)
        raise SystemExit(1) from exc


def run_gateway(*, host: str | None = None, port: int | None = None, settings: Settings | None = None) -> None:
    """``dispatched gateway``: uvicorn serving :func:`gateway.app.create_app` (it handles signals)."""
    import uvicorn

    from gateway.app import create_app
    from gateway.settings import Settings

    settings = settings or Settings()
    config = uvicorn.Config(
        create_app(settings), host=host or settings.host, port=port or settings.port,
        log_level="warning", access_log=False, lifespan="on",
    )
    server = uvicorn.Server(config)
    server.run()
    if not server.started:
        raise SystemExit(1)  # lifespan failed (Temporal or the registry unreachable); uvicorn said why
