"""Dispatched's processes run on uvloop, and the gateway parses HTTP with httptools
(runtime/event_loops.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import uvloop
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from gateway.server import server_config
from runtime import event_loops
from tests.runtime.worker_log import messages_until_started


def test_run_runs_the_coroutine_on_a_uvloop_loop_and_returns_its_value() -> None:
    async def which_loop() -> type[asyncio.AbstractEventLoop]:
        return type(asyncio.get_running_loop())

    assert event_loops.run(which_loop()) is uvloop.Loop


def test_the_gateway_is_served_on_uvloop_with_httptools() -> None:
    config = server_config(FastAPI(), host="127.0.0.1", port=0)
    assert (config.loop, config.http) == ("uvloop", "httptools")  # named: never uvicorn's silent "auto"
    config.load()
    assert config.http_protocol_class is HttpToolsProtocol
    factory = config.get_loop_factory()
    assert factory is not None
    loop = factory()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


async def test_the_worker_process_runs_on_uvloop(temporal_env: WorkflowEnvironment, tmp_path: Path) -> None:
    messages = await messages_until_started(temporal_env, tmp_path)
    assert "event loop: uvloop" in messages, messages
