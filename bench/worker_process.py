"""A bench worker as a subprocess of its own, so its RSS is its own.

``python -m bench.worker_process ADDRESS TASK_QUEUE KIND [TUNING_JSON]`` runs the
Dispatched worker (``KIND=dispatched``) or the hand-written one (``handwritten``) until
SIGTERM, printing ``ready`` once it polls. ``TUNING_JSON`` is passed to the worker as
keyword options (poller counts, cache size...).
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import threading
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from activities.secrets import MemorySecretStore
from bench.baseline import HandwrittenWorkflow, HttpCaller
from bench.clients import converter
from bench.upstream import exit_with_parent
from runtime import event_loops
from runtime.heap import freeze_startup_heap
from runtime.worker import create_worker


def build(client: Client, task_queue: str, kind: str, tuning: dict[str, Any]) -> tuple[Worker, HttpCaller | None]:
    """The worker of ``kind`` on ``task_queue`` with ``tuning`` applied."""
    if kind.startswith("dispatched"):  # dispatched, and bench.codec's -plain and -noop
        dispatched = create_worker(client, task_queue=task_queue, secrets=MemorySecretStore({}), tuning=tuning,
                                   allow_hosts=["127.0.0.1"])  # the upstreams are on loopback
        return dispatched, None
    caller = HttpCaller()
    worker = Worker(
        client, task_queue=task_queue, workflows=[HandwrittenWorkflow], activities=[caller.call], **tuning
    )
    return worker, caller


async def serve(address: str, task_queue: str, kind: str, tuning: dict[str, Any]) -> None:
    client = await Client.connect(address, data_converter=converter(kind))  # bench/clients.py
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    threading.Thread(target=exit_with_parent, daemon=True).start()
    worker, caller = build(client, task_queue, kind, tuning)
    try:
        async with worker:
            if kind.startswith("dispatched"):
                freeze_startup_heap()  # as `dispatched worker` does (runtime/processes.py)
            print("ready", flush=True)
            await stop.wait()
    finally:
        if caller is not None:
            await caller.aclose()


if __name__ == "__main__":
    address, queue, kind = sys.argv[1:4]
    tuning = json.loads(sys.argv[4]) if len(sys.argv) > 4 else {}
    if kind.startswith("dispatched"):
        event_loops.run(serve(address, queue, kind, tuning))  # as `dispatched worker` runs (runtime/processes.py)
    else:
        asyncio.run(serve(address, queue, kind, tuning))  # the hand-written worker, as a user starts it
