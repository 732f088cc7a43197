"""The hand-written workflow behind a hand-written HTTP endpoint: what the gateway's sync
trigger is compared with when the HTTP hop is counted on both sides.

``python -m bench.handwritten_http ADDRESS TASK_QUEUE`` serves one route with FastAPI
and uvicorn (as a user would write it: no session check, no registry, no middleware of
its own): ``POST /run`` takes a :class:`~bench.baseline.HandwrittenInput` as JSON, runs
the hand-written workflow to its end on one shared Temporal client (plain payloads, like
the hand-written worker) and answers with its result. It prints its port once it
listens, and ends when the bench that started it is gone.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import threading
import uuid
from typing import Any

import uvicorn
from fastapi import FastAPI
from temporalio.client import Client

from bench.baseline import WORKFLOW_NAME, HandwrittenInput
from bench.clients import converter
from bench.upstream import exit_with_parent


def create_app(client: Client, task_queue: str) -> FastAPI:
    app = FastAPI()

    @app.post("/run")
    async def run(input: HandwrittenInput) -> Any:
        return await client.execute_workflow(WORKFLOW_NAME, input, id=f"hwh-{uuid.uuid4().hex}", task_queue=task_queue)

    return app


async def serve(address: str, task_queue: str) -> None:
    client = await Client.connect(address, data_converter=converter("handwritten"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(create_app(client, task_queue), log_config=None, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.02)
    print(json.dumps({"port": sock.getsockname()[1]}), flush=True)
    await task


if __name__ == "__main__":
    threading.Thread(target=exit_with_parent, daemon=True).start()
    asyncio.run(serve(sys.argv[1], sys.argv[2]))
