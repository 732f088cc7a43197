"""The one Temporal dev server of a bench run, started as the tests start theirs.

``DYNAMIC_CONFIG`` is what the bench passes with ``--dynamic-config-value``: the same
settings `dispatched dev` and the tests use (``cli.dev.temporal_server``, which says why).
"""

from __future__ import annotations

from collections.abc import Mapping

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from cli.dev.temporal_server import DEV_SERVER_DYNAMIC_CONFIG, temporal_binary
from interpreter.search_attributes import SEARCH_ATTRIBUTES

DYNAMIC_CONFIG: Mapping[str, str] = DEV_SERVER_DYNAMIC_CONFIG


async def start_server(dynamic_config: Mapping[str, str] | None = None) -> WorkflowEnvironment:
    """Start the in-memory dev server with ``dynamic_config`` (default :data:`DYNAMIC_CONFIG`)."""
    settings = DYNAMIC_CONFIG if dynamic_config is None else dynamic_config
    extra: list[str] = []
    for key, value in settings.items():
        extra += ["--dynamic-config-value", f"{key}={value}"]
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        data_converter=pydantic_data_converter,
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_log_level="error",
        dev_server_extra_args=extra,
    )


def server_address(env: WorkflowEnvironment) -> str:
    """``host:port`` of the dev server, for the worker and gateway subprocesses."""
    return env.client.service_client.config.target_host
