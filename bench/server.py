"""The one Temporal dev server of a bench run, started as the tests start theirs.

``DYNAMIC_CONFIG`` is what the bench passes with ``--dynamic-config-value``; each entry
says why. Any single-shard server (the dev server, `dispatched dev`) needs the same
settings for the same figures.
"""

from __future__ import annotations

from collections.abc import Mapping

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from gateway.temporal_server import temporal_binary
from interpreter.names import SEARCH_ATTRIBUTES

DYNAMIC_CONFIG: Mapping[str, str] = {
    # The history service reads its transfer queue (the tasks that dispatch workflow
    # and activity tasks to matching) at most 20 times a second by default, so past a
    # short burst every workflow task waits up to 50 ms to be dispatched: 3 request
    # steps took ~200 ms instead of ~95 ms. The timer queue (durable timers, wait
    # timeouts, Dispatched-Delay) has the same limit.
    "history.transferProcessorMaxPollRPS": "10000",
    "history.timerProcessorMaxPollRPS": "10000",
}


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
