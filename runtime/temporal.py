"""Connecting to Temporal: one function for the gateway, the worker and ``dispatched dev``.

The connection comes from ``temporalio.envconfig``: a profile in Temporal's config
file (``TEMPORAL_CONFIG_FILE``, ``TEMPORAL_PROFILE``) and the ``TEMPORAL_*`` variables
(``TEMPORAL_ADDRESS``, ``TEMPORAL_NAMESPACE``, ``TEMPORAL_API_KEY``, ``TEMPORAL_TLS*``),
the same ones the ``temporal`` CLI reads. An address or namespace given to
:class:`~runtime.settings.Settings` explicitly (a flag, or a test building its own)
wins over a profile; neither given anywhere means ``localhost:7233`` and ``default``.
Every client carries the pydantic data converter, which the workflow's messages need,
with the payload codec that encrypts what goes into Temporal's history (runtime/codec.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from temporalio.client import Client, Interceptor
from temporalio.converter import PayloadCodec
from temporalio.envconfig import ClientConfig
from temporalio.runtime import Runtime

from runtime.codec import encrypting_converter, payload_codec
from runtime.settings import Settings

CONNECT_ATTEMPTS = 30
_RETRY_PAUSE_SECONDS = 1.0


def connect_options(settings: Settings, *, codec: PayloadCodec | None = None) -> dict[str, Any]:
    """Keyword arguments of ``Client.connect`` for ``settings`` (see the module docstring).

    ``codec`` is the payload codec to use; by default the one of ``settings``' payload
    keys, so a bad key fails here, at start, with :class:`~runtime.payload_keys.PayloadKeyError`.
    """
    options: dict[str, Any] = dict(ClientConfig.load_client_connect_config())
    if "temporal_address" in settings.model_fields_set or not options.get("target_host"):
        options["target_host"] = settings.temporal_address
    if "temporal_namespace" in settings.model_fields_set or not options.get("namespace"):
        options["namespace"] = settings.temporal_namespace
    options["data_converter"] = encrypting_converter(codec or payload_codec(settings))
    return options


async def connect_temporal(
    settings: Settings,
    *,
    attempts: int = CONNECT_ATTEMPTS,
    runtime: Runtime | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Client:
    """Connect, retrying while the server starts up (a worker and a dev server started
    together race); the last failure is raised once ``attempts`` are spent. ``runtime``
    is the SDK runtime to use (the worker's exports metrics, runtime/telemetry.py);
    ``interceptors`` go on the client, and so on every worker built from it (the
    tracing interceptor, runtime/tracing.py)."""
    options = connect_options(settings)
    if runtime is not None:
        options["runtime"] = runtime
    if interceptors:
        options["interceptors"] = list(interceptors)
    for attempt in range(1, attempts + 1):
        try:
            return await Client.connect(**options)
        except RuntimeError:
            if attempt == attempts:
                raise
            await asyncio.sleep(_RETRY_PAUSE_SECONDS)
    raise AssertionError("unreachable")
