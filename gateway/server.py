"""The gateway's process, ``dispatched gateway``: uvicorn serving :func:`gateway.app.create_app`.

Configuration comes from the environment through :class:`~runtime.settings.Settings`
(SPEC §4); ``--host``/``--port`` override it. uvicorn handles SIGTERM and Ctrl-C.

Logging is :mod:`runtime.logs` (stderr, ``DISPATCHED_LOG_LEVEL``): the gateway says where
it listens and when it stopped. uvicorn's loggers share that one handler (no
``log_config`` of uvicorn's own) but stay at WARNING, and its access log stays off:
its lines carry query strings, and tokens must never reach a log. The gateway's own
access log (gateway/access_log.py) logs each request without them.
"""

from __future__ import annotations

import asyncio
import logging
import socket

import uvicorn
from fastapi import FastAPI

from gateway.app import create_app
from runtime import event_loops
from runtime.exits import exit_at_once
from runtime.logs import setup_logging
from runtime.namespace import NamespaceNotReady, prepare_namespace
from runtime.payload_keys import PayloadKeyError
from runtime.settings import Settings
from runtime.temporal import connect_temporal
from runtime.tracing import GATEWAY_SERVICE, Tracing, setup_tracing

logger = logging.getLogger("dispatched.gateway")


class _Server(uvicorn.Server):
    """uvicorn's server, logging once it really listens (lifespan done, bound) and once it stopped.

    The stop is logged from ``shutdown``: after a SIGTERM or Ctrl-C uvicorn re-raises the
    signal when it is done, so ``run()`` never returns to say it. For the same reason the
    spans still buffered for OTLP are sent from there (``tracing.shutdown``).
    """

    def __init__(self, config: uvicorn.Config, *, tracing: Tracing) -> None:
        super().__init__(config)
        self.tracing = tracing

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            logger.info("gateway started on http://%s:%d", self.config.host, self._bound_port())

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets=sockets)
        await asyncio.to_thread(self.tracing.shutdown)  # blocking: the exporter's last send
        logger.info("gateway stopped")

    def _bound_port(self) -> int:
        """The listening port (``--port 0`` asks the kernel for one)."""
        for server in self.servers:
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return self.config.port


async def _check_namespace(settings: Settings) -> None:
    await prepare_namespace(await connect_temporal(settings), logger)


def server_config(app: FastAPI, *, host: str, port: int) -> uvicorn.Config:
    """uvicorn's settings for the gateway: its own access log (gateway/access_log.py)
    instead of uvicorn's, and uvloop with httptools (runtime/event_loops.py)."""
    return uvicorn.Config(
        app, host=host, port=port, log_config=None, log_level="warning", access_log=False, lifespan="on",
        loop=event_loops.UVICORN_LOOP, http=event_loops.UVICORN_HTTP,
    )


def run_gateway(*, host: str | None = None, port: int | None = None, settings: Settings | None = None) -> None:
    """Serve the gateway until stopped; exit status 1 when it could not start."""
    settings = settings or Settings()
    setup_logging(settings.log_level)
    try:
        # Before serving: a namespace without the runs' search attributes would make
        # every trigger a 500 (runtime/namespace.py).
        asyncio.run(_check_namespace(settings))
    except (NamespaceNotReady, PayloadKeyError) as exc:  # a bad DISPATCHED_PAYLOAD_KEY: one line, exit 1
        exit_at_once(f"error: gateway: {exc}")  # the client's native threads are alive
    tracing = setup_tracing(settings, service_name=GATEWAY_SERVICE)  # OTLP only when configured
    app = create_app(settings, tracing=tracing)
    server = _Server(server_config(app, host=host or settings.host, port=port or settings.port), tracing=tracing)
    server.run()
    if not server.started:
        raise SystemExit(1)  # lifespan failed (Temporal or the registry unreachable); uvicorn said why
