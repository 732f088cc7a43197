"""The cost of encrypted history (docs/reliability.md): per payload, and per run.

``python -m bench.codec [--runs N] [--json PATH]`` measures

1. the codec alone: encrypt and decrypt of one payload of 1 KiB, 16 KiB, 256 KiB and
   1 MiB of JSON (the median of many calls, in µs), and the whole pydantic conversion of
   a run's input with and without the codec;
2. per run: a 3-step linear run on the 0 ms loopback upstream, started and answered
   through ``RunClient`` (the ``dispatched-api-sync`` variant, what the gateway's sync
   trigger does without HTTP), through a Dispatched worker and client with the codec,
   with a codec that changes nothing, and with none, interleaved run by run on one dev
   server so all see the same machine; each worker's CPU time per run; p50 and p95 of each, their difference, and the median of
   the paired differences; and how many payloads one run has Temporal store.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import time
import uuid
from collections.abc import Awaitable, Sequence
from pathlib import Path
from statistics import median
from typing import Any

import httpx
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from activities.secrets import MemorySecretStore
from bench import clients, processes
from bench.server import server_address, start_server
from bench.stats import percentile
from bench.upstream import start_upstreams
from bench.variants import VARIANTS, Setup, run_input
from bench.workloads import Workload
from contract.messages import RunResult
from interpreter.client import RunClient
from runtime.codec import ENCODING, EncryptionCodec, encrypting_converter
from runtime.exits import end_process
from runtime.payload_keys import PayloadKey
from runtime.worker import create_worker

BENCH_KEY = PayloadKey(base64.b64decode(clients.BENCH_PAYLOAD_KEY))
SIZES = {"1 KiB": 1024, "16 KiB": 16 * 1024, "256 KiB": 256 * 1024, "1 MiB": 1024 * 1024}
WORKLOAD = Workload("linear", 3)
# The workers compared: AES-GCM (what Dispatched runs), a codec that changes nothing (what
# the SDK's handing of payloads to any codec costs), no codec.
KINDS = {"dispatched": "codec", "dispatched-noop": "noop_codec", "dispatched-plain": "plain"}


async def _per_payload_us(size: int) -> dict[str, float]:
    """Median µs of one encrypt and one decrypt of a ``size``-byte JSON payload."""
    payload = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps({"x": "a" * (size - 10)}).encode())
    calls = max(20, min(2000, 20_000_000 // size))
    encrypt, decrypt = [], []
    for _ in range(calls):
        began = time.perf_counter_ns()
        [sealed] = await clients.BENCH_CODEC.encode([payload])
        between = time.perf_counter_ns()
        await clients.BENCH_CODEC.decode([sealed])
        encrypt.append((between - began) / 1000)
        decrypt.append((time.perf_counter_ns() - between) / 1000)
    return {"encrypt_us": median(encrypt), "decrypt_us": median(decrypt), "calls": calls}


async def _conversion_us(calls: int = 4000) -> dict[str, float]:
    """Median µs to convert a 3-step run's input to a payload and back, with and without
    the codec (alternating, after a warm-up, so both see the same machine)."""
    document = WORKLOAD.document("http://127.0.0.1:9/step")
    value = run_input(document)
    converters = {"plain": pydantic_data_converter, "codec": clients.converter("dispatched")}
    times: dict[str, list[float]] = {name: [] for name in converters}
    for index in range(calls + 200):
        for name, converter in converters.items():
            began = time.perf_counter_ns()
            encoded = await converter.encode([value])
            await converter.decode(encoded, [type(value)])
            if index >= 200:
                times[name].append((time.perf_counter_ns() - began) / 1000)
    figures = {f"run_input_round_trip_{name}_us": median(series) for name, series in times.items()}
    figures["run_input_bytes"] = len((await pydantic_data_converter.encode([value]))[0].data)
    return figures


async def _history_payloads(client: Client, queue: str, url: str) -> dict[str, int]:
    """How many payloads one 3-step run has Temporal store (each encrypted once and
    decrypted at least once), and their bytes."""
    runs = RunClient(client, task_queue=queue)
    run = run_input(WORKLOAD.document(url))
    await runs.start_and_wait_response(run, timeout=60)
    handle = client.get_workflow_handle(run.run_id, result_type=RunResult)
    await handle.result()
    found = [p for p in _payloads((await handle.fetch_history()).to_json_dict()) if p.get("metadata", {}).get("encoding")
             == base64.b64encode(ENCODING).decode()]
    return {"payloads_per_run": len(found), "payload_bytes_per_run": sum(len(base64.b64decode(p.get("data", ""))) for p in found)}


def _payloads(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        if isinstance(node.get("metadata"), dict) and "encoding" in node["metadata"]:
            return [node]
        return [p for value in node.values() for p in _payloads(value)]
    if isinstance(node, list):
        return [p for item in node for p in _payloads(item)]
    return []


class _CountingCodec(EncryptionCodec):
    """The bench key's codec, counting its calls and the time spent in them."""

    def __init__(self) -> None:
        super().__init__([BENCH_KEY])
        self.calls = {"encode": 0, "decode": 0}
        self.seconds = 0.0

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return await self._counted("encode", payloads, super().encode(payloads))

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return await self._counted("decode", payloads, super().decode(payloads))

    async def _counted(self, call: str, payloads: Sequence[Payload], work: Awaitable[list[Payload]]) -> list[Payload]:
        began = time.perf_counter()
        try:
            return await work
        finally:
            self.seconds += time.perf_counter() - began
            self.calls[call] += len(payloads)


async def _codec_in_a_run(env_client: Client, url: str, runs: int = 50) -> dict[str, float]:
    """Client and worker in this process, with a counting codec: the payloads one 3-step
    run encrypts and decrypts (client and worker together) and the time that takes."""
    codec = _CountingCodec()
    client = Client(env_client.service_client, namespace=env_client.namespace, data_converter=encrypting_converter(codec))
    queue = f"bench-counted-{uuid.uuid4().hex[:8]}"
    document = WORKLOAD.document(url)
    async with create_worker(client, task_queue=queue, secrets=MemorySecretStore({}), allow_hosts=["127.0.0.1"]):
        starter = RunClient(client, task_queue=queue)
        for index in range(runs + 3):
            if index == 3:  # after a warm-up
                codec.calls, codec.seconds = {"encode": 0, "decode": 0}, 0.0
            run = run_input(document)
            await starter.start_and_wait_response(run, timeout=60)
            await client.get_workflow_handle(run.run_id, result_type=RunResult).result()
    return {"encrypts_per_run": codec.calls["encode"] / runs, "decrypts_per_run": codec.calls["decode"] / runs,
            "codec_ms_per_run": 1000 * codec.seconds / runs}


async def _per_run(runs: int, warmup: int) -> dict[str, Any]:
    """p50/p95 of the 3-step run with the codec and without, interleaved."""
    env = await start_server()
    upstreams = start_upstreams((0,))
    address = server_address(env)
    queues = {kind: f"bench-{kind}-{uuid.uuid4().hex[:8]}" for kind in KINDS}
    workers = [processes.start_worker(address, queue, kind) for kind, queue in queues.items()]
    try:
        async with httpx.AsyncClient(timeout=60) as http:
            once = {
                kind: VARIANTS["dispatched-api-sync"](
                    Setup(clients.on_connection(env.client, kind), queue, queue, upstreams.urls, http), WORKLOAD)
                for kind, queue in queues.items()
            }
            counted: dict[str, float] = {}
            counted |= await _history_payloads(clients.on_connection(env.client, "dispatched"), queues["dispatched"],
                                              upstreams.urls[0] + "/step")
            counted |= await _codec_in_a_run(env.client, upstreams.urls[0] + "/step")
            latencies: dict[str, list[float]] = {kind: [] for kind in once}
            cpu: dict[str, float] = {}
            for index in range(warmup + runs):
                if index == warmup:
                    cpu = {kind: processes.cpu_seconds(worker.pid) for kind, worker in zip(queues, workers, strict=True)}
                order = list(once)[index % len(once):] + list(once)[:index % len(once)]  # each kind first in turn
                for kind in order:
                    began = time.perf_counter()
                    await once[kind]()
                    if index >= warmup:
                        latencies[kind].append(1000 * (time.perf_counter() - began))
            cpu = {kind: processes.cpu_seconds(worker.pid) - cpu[kind] for kind, worker in zip(queues, workers, strict=True)}
    finally:
        for worker in workers:
            processes.stop(worker)
        upstreams.stop()
        await env.shutdown()
    figures: dict[str, Any] = {"runs": runs, **counted}
    for kind, name in KINDS.items():
        series = latencies[kind]
        figures[f"{name}_p50_ms"], figures[f"{name}_p95_ms"] = percentile(series, 50), percentile(series, 95)
        # CPU time is what the codec costs and what a busy machine does not inflate: the
        # workers do the same work but for their codec.
        figures[f"{name}_worker_cpu_ms_per_run"] = 1000 * cpu[kind] / runs
    figures["p50_cost_ms"] = figures["codec_p50_ms"] - figures["plain_p50_ms"]
    # Each codec run has a plain run next to it in time: the median of those differences
    # is less at the mercy of a busy machine than the difference of two medians.
    paired = [c - p for c, p in zip(latencies["dispatched"], latencies["dispatched-plain"], strict=True)]
    figures["paired_median_cost_ms"] = median(paired)
    return figures


async def measure(runs: int, warmup: int) -> dict[str, Any]:
    per_payload = {label: await _per_payload_us(size) for label, size in SIZES.items()}
    return {"per_payload": per_payload, "conversion": await _conversion_us(), "per_run": await _per_run(runs, warmup)}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.codec", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="runs of each kind (default 200)")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    options = parser.parse_args()
    figures = asyncio.run(measure(options.runs, options.warmup))
    text = json.dumps(figures, indent=2)
    print(text)
    if options.json:
        options.json.write_text(text + "\n")
    end_process(0)  # the figures are out; not sys.exit (runtime/exits.py)


if __name__ == "__main__":
    main()
