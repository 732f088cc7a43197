"""The worker process, ``dispatched worker``, and the shutdown both long-running processes share.

It reads its configuration from the environment through
:class:`~runtime.settings.Settings` (SPEC §4), so the same command runs under
``dispatched dev`` (which sets the environment for its children) and in production
(one container per process). It stops cleanly on SIGTERM or Ctrl-C: the worker
finishes its current tasks' bookkeeping. It logs (:mod:`runtime.logs`, to stderr)
that it started, where, and that it stopped, so ``worker.log`` says whether it ran. The
gateway's process is :func:`gateway.server.run_gateway` (uvicorn handles its signals).
"""

from __future__ import annotations

import asyncio
import logging
import signal

from registry import Registry
from runtime import event_loops
from runtime.exits import exit_at_once
from runtime.heap import freeze_startup_heap
from runtime.logs import setup_logging
from runtime.namespace import NamespaceNotReady, prepare_namespace
from runtime.settings import Settings
from runtime.telemetry import metrics_runtime
from runtime.temporal import connect_temporal
from runtime.tracing import WORKER_SERVICE, setup_tracing
from runtime.worker import build_worker

logger = logging.getLogger("dispatched.worker")


async def serve_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Run a worker on ``settings.task_queue`` until ``stop`` is set."""
    runtime = metrics_runtime(settings.host, settings.metrics_port) if settings.metrics_port else None
    tracing = setup_tracing(settings, service_name=WORKER_SERVICE)  # OTLP only when configured
    client = await connect_temporal(settings, runtime=runtime, interceptors=tracing.interceptors)
    await prepare_namespace(client, logger)
    if runtime is not None:
        logger.info("worker metrics on http://%s:%d/metrics", settings.host, settings.metrics_port)
    registry = await Registry.open(settings)
    try:
        async with build_worker(client, settings, registry):
            freeze_startup_heap()  # built: the heap so far lives as long as the process
            # The address and namespace the client really uses: a Temporal profile may set them.
            logger.debug("event loop: %s", type(asyncio.get_running_loop()).__module__)
            logger.info("worker started: task queue %s, namespace %s, Temporal %s",
                        settings.task_queue, client.namespace, client.service_client.config.target_host)
            await stop.wait()
        logger.info("worker stopped")
    finally:
        await registry.close()
        await asyncio.to_thread(tracing.shutdown)  # the spans still buffered for OTLP


def stop_on_signals(stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGINT or SIGTERM (the running loop's handlers)."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def _serve_until_signalled(settings: Settings) -> None:
    """The worker's main coroutine: signal handlers belong to the loop :func:`runtime.event_loops.run` made."""
    stop = asyncio.Event()
    stop_on_signals(stop)
    await serve_worker(settings, stop)


def run_worker(settings: Settings | None = None) -> None:
    """``dispatched worker``: the blocking entry point."""
    try:
        settings = settings or Settings()
        setup_logging(settings.log_level)
        event_loops.run(_serve_until_signalled(settings))
    except KeyboardInterrupt:
        pass
    except NamespaceNotReady as exc:
        exit_at_once(f"error: worker: {exc}")
    except Exception as exc:  # one line, not a traceback, for the common startup failures
        exit_at_once(f"error: worker: {type(exc).__name__}: {exc}")

