"""``python -m bench.registry``: gateway-sync triggers at 16 concurrent callers with the
registry on PostgreSQL (or SQLite), the production gateway and worker processes.

The main bench's worker reads no registry (its secrets are in memory), so it cannot
show what the registry costs a run. Here both processes are ``dispatched gateway`` and
``dispatched worker`` as production runs them, on one registry: the gateway reads the
token, the workflow and the secrets per trigger, and the worker looks up two secrets per
request step (a 3-step line against the 0 ms upstream: six look-ups per run). So a
series compares registry access paths:

* ``--code DIR`` runs another checkout's gateway and worker (a ``git worktree`` of an
  older commit: the "before" of bench/README.md) with this environment's packages;
* ``--cache-seconds`` sets ``DISPATCHED_SECRET_CACHE_SECONDS`` (``0``: no cache; code
  from before the cache ignores it).

``--registry postgres`` starts a throwaway PostgreSQL cluster (the tests' own,
``tests/registry/postgres.py``: the bench is a development tool beside the tests).
Each series prints one JSON line of figures (p50/p95/p99 ms, runs/s).

``--lookups N`` measures the worker's secret look-up itself instead, in this process:
``N`` look-ups from 1 and from 16 tasks through the registry (``RegistrySecretStore``)
and through the cache (``cached_secret_store``), on the chosen registry.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from bench.processes import BENCH_TOKEN, ROOT, stop
from bench.server import server_address, start_server
from bench.stats import Series, measure
from bench.upstream import start_upstreams
from runtime.exits import end_process

WORKFLOW = "bench-registry-linear-3"

# Runs ``python -m cli`` from the checkout at sys.argv[1], not from this one: the venv's
# editable install puts its own finder first on sys.meta_path, so it is taken out.
_LAUNCH_FROM = """\
import runpy, sys
code = sys.argv.pop(1)
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in getattr(f, "__name__", type(f).__name__).lower()]
sys.path.insert(0, code)
import cli
assert cli.__file__.startswith(code), f"cli came from {cli.__file__}, not {code}"
sys.argv[0] = "dispatched"
runpy.run_module("cli", run_name="__main__", alter_sys=True)
"""


def document(url_secret: str = "BENCH_URL", token_secret: str = "BENCH_TOKEN") -> dict[str, Any]:
    """Three request steps in a line, each naming two secrets."""
    steps: dict[str, Any] = {}
    previous: str | None = None
    for i in (1, 2, 3):
        sid = f"s{i}"
        step: dict[str, Any] = {"request": {
            "method": "POST", "url": f"{{{{ secrets.{url_secret} }}}}/step",
            "headers": {"authorization": f"Bearer {{{{ secrets.{token_secret} }}}}"},
            "body": {"previous": f"{{{{ steps.{previous}.response.status }}}}" if previous else 0},
        }}
        if previous:
            step["after"] = [previous]
        steps[sid] = step
        previous = sid
    return {"name": WORKFLOW, "version": 1, "steps": steps,
            "response": {"status": 200, "body": "{{ steps.s3.response.body }}"}}


@contextmanager
def postgres_database() -> Iterator[str]:
    """A throwaway cluster with an empty database; yields its URL."""
    from tests.registry.postgres import PostgresCluster

    cluster = PostgresCluster().start()
    try:
        yield cluster.create_database("bench")
    finally:
        cluster.stop()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command(code: Path | None, *args: str) -> list[str]:
    if code is None:
        return [sys.executable, "-m", "cli", *args]
    return [sys.executable, "-c", _LAUNCH_FROM, str(code), *args]


def _spawn(code: Path | None, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(_command(code, *args), env=env, cwd=code or ROOT, text=True)


async def _healthy(url: str, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"the gateway exited with {process.returncode}")
            try:
                if (await http.get(f"{url}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"the gateway did not become healthy within {timeout:.0f} s")


async def run_series(args: argparse.Namespace, database: str, address: str, upstream: str) -> list[dict[str, Any]]:
    """Start gateway and worker on ``database``, deploy, then ``args.repeat`` series."""
    with tempfile.TemporaryDirectory(prefix="dispatched-bench-registry-") as data_dir:
        port = _free_port()
        env = {
            **os.environ,
            "TEMPORAL_ADDRESS": address,
            "DISPATCHED_TASK_QUEUE": f"bench-registry-{uuid.uuid4().hex[:8]}",
            "DISPATCHED_DATA_DIR": data_dir,
            "DISPATCHED_DATABASE": database,
            "DISPATCHED_TOKEN": BENCH_TOKEN,
            "DISPATCHED_PORT": str(port),
            "DISPATCHED_LOG_LEVEL": "WARNING",
            "DISPATCHED_ALLOW_HOSTS": "127.0.0.1",
            "DISPATCHED_METRICS_PORT": "0",
            "DISPATCHED_SECRET_CACHE_SECONDS": str(args.cache_seconds),
        }
        url = f"http://127.0.0.1:{port}"
        started = [_spawn(args.code, env, "gateway", "--port", str(port))]
        try:
            await _healthy(url, started[0])
            started.append(_spawn(args.code, env, "worker"))
            limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
            async with httpx.AsyncClient(base_url=url, limits=limits, timeout=90,
                                         headers={"Dispatched-Session": BENCH_TOKEN}) as gw:
                for name, value in (("BENCH_URL", upstream), ("BENCH_TOKEN", "bench-upstream-token")):
                    (await gw.put(f"/api/secrets/{name}", content=value)).raise_for_status()
                (await gw.put(f"/api/workflows/{WORKFLOW}", json=document())).raise_for_status()

                async def once() -> None:
                    answer = await gw.post(f"/workflows/{WORKFLOW}", json={})
                    if answer.status_code != 200:
                        raise RuntimeError(f"trigger answered {answer.status_code}: {answer.text[:200]}")

                await asyncio.wait_for(once(), 60)  # the worker is up and polling
                rows = []
                for i in range(args.repeat):
                    series = Series(WORKFLOW, args.label, args.concurrency, 3)
                    await measure(once, series, runs=args.runs, concurrency=args.concurrency, warmup=args.warmup)
                    row = {**series.summary(), "registry": args.registry, "series": i + 1,
                           "cache_seconds": args.cache_seconds, "code": str(args.code or "this checkout")}
                    print(json.dumps(row), flush=True)
                    rows.append(row)
                return rows
        finally:
            for process in reversed(started):
                stop(process)


async def main_async(args: argparse.Namespace) -> list[dict[str, Any]]:
    server = await start_server()
    upstreams = start_upstreams((0,))
    try:
        address = server_address(server)
        if args.registry == "postgres":
            with postgres_database() as database:
                return await run_series(args, database, address, upstreams.urls[0])
        with tempfile.TemporaryDirectory(prefix="dispatched-bench-sqlite-") as sqlite_dir:
            return await run_series(args, str(Path(sqlite_dir) / "dispatched.db"), address, upstreams.urls[0])
    finally:
        upstreams.stop()
        await server.shutdown()


@dataclass(frozen=True)
class _LookupSettings:
    """What ``Registry.open`` reads (``registry.RegistrySettings``)."""

    database: str
    secret_key_file: Path
    secret_key: SecretStr | None = None
    token: SecretStr | None = None


async def lookup_figures(database: str, count: int) -> list[dict[str, Any]]:
    """Mean µs per secret look-up, registry vs cache, from 1 and 16 concurrent tasks."""
    from registry import Registry
    from runtime.registry_adapters import RegistrySecretStore, cached_secret_store

    with tempfile.TemporaryDirectory(prefix="dispatched-bench-lookups-") as key_dir:
        registry = await Registry.open(_LookupSettings(database, Path(key_dir) / "secret.key"))
        cache = cached_secret_store(registry, ttl=60)
        try:
            await registry.secrets.set("default", "BENCH_TOKEN", "bench-upstream-token")
            deadline = time.monotonic() + 10
            while not cache.live and time.monotonic() < deadline:  # the LISTEN connection is up
                await cache.get("default", "BENCH_TOKEN")
                await asyncio.sleep(0.01)
            rows = []
            for store_name, store in (("registry", RegistrySecretStore(registry)), ("cache", cache)):
                for tasks in (1, 16):
                    each = max(count // tasks, 1)

                    async def look_up(store: Any = store, each: int = each) -> None:
                        for _ in range(each):
                            assert await store.get("default", "BENCH_TOKEN") == "bench-upstream-token"

                    await look_up()  # warm: pool connections, the cache entry
                    began = time.perf_counter()
                    await asyncio.gather(*(look_up() for _ in range(tasks)))
                    elapsed = time.perf_counter() - began
                    row = {"lookups": each * tasks, "via": store_name, "tasks": tasks,
                           "us_per_lookup": round(1e6 * elapsed / (each * tasks), 1),
                           "lookups_per_s": round(each * tasks / elapsed)}
                    print(json.dumps(row), flush=True)
                    rows.append(row)
            return rows
        finally:
            await cache.aclose()
            await registry.close()


# The registry half of lookup_figures, for another checkout's registry (``--code``): it
# runs in a process of its own with that checkout first on the path, as _LAUNCH_FROM does.
_OLD_LOOKUPS = """\
import asyncio, json, sys, tempfile, time
from pathlib import Path
code, database, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in getattr(f, "__name__", type(f).__name__).lower()]
sys.path.insert(0, code)
import registry
assert registry.__file__.startswith(code), registry.__file__
from registry import Registry

class S:
    secret_key = None
    token = None
    def __init__(self, key_dir):
        self.database, self.secret_key_file = database, Path(key_dir) / "secret.key"

async def main():
    with tempfile.TemporaryDirectory() as key_dir:
        reg = await Registry.open(S(key_dir))
        try:
            await reg.secrets.set("default", "BENCH_TOKEN", "bench-upstream-token")
            for tasks in (1, 16):
                each = max(count // tasks, 1)
                async def look_up():
                    for _ in range(each):
                        assert await reg.secrets.get("default", "BENCH_TOKEN") == "bench-upstream-token"
                await look_up()
                began = time.perf_counter()
                await asyncio.gather(*(look_up() for _ in range(tasks)))
                elapsed = time.perf_counter() - began
                print(json.dumps({"lookups": each * tasks, "via": "registry", "tasks": tasks, "code": code,
                                  "us_per_lookup": round(1e6 * elapsed / (each * tasks), 1),
                                  "lookups_per_s": round(each * tasks / elapsed)}), flush=True)
        finally:
            await reg.close()

asyncio.run(main())
"""


async def lookups_async(args: argparse.Namespace) -> list[dict[str, Any]]:
    async def on(database: str) -> list[dict[str, Any]]:
        if args.code is None:
            return await lookup_figures(database, args.lookups)
        done = await asyncio.to_thread(
            subprocess.run, [sys.executable, "-c", _OLD_LOOKUPS, str(args.code), database, str(args.lookups)],
            cwd=args.code, capture_output=True, text=True, check=True,
        )
        print(done.stdout, end="", flush=True)
        return [json.loads(line) for line in done.stdout.splitlines()]

    if args.registry == "postgres":
        with postgres_database() as database:
            return await on(database)
    with tempfile.TemporaryDirectory(prefix="dispatched-bench-sqlite-") as sqlite_dir:
        return await on(str(Path(sqlite_dir) / "dispatched.db"))


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.registry", description=__doc__.split("\n\n")[0])
    parser.add_argument("--registry", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--code", type=Path, default=None,
                        help="run the gateway and worker of this checkout instead (e.g. a git worktree of an older commit)")
    parser.add_argument("--cache-seconds", type=float, default=5.0, help="DISPATCHED_SECRET_CACHE_SECONDS (0: off)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--runs", type=int, default=160, help="measured runs per series (default 160)")
    parser.add_argument("--warmup", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=2, help="series in a row on the same stack (default 2)")
    parser.add_argument("--label", default="gateway-sync", help="the variant name in the figures")
    parser.add_argument("--lookups", type=int, default=0,
                        help="instead: time this many secret look-ups, registry vs cache (no gateway, no worker)")
    args = parser.parse_args(argv)
    if args.code is not None:
        args.code = args.code.resolve()
        if not (args.code / "cli" / "__init__.py").is_file():
            parser.error(f"--code {args.code}: no cli/ package there (a checkout of this repository?)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    asyncio.run(lookups_async(args) if args.lookups else main_async(args))
    return 0


if __name__ == "__main__":
    end_process(main())  # the figures are out; not sys.exit (runtime/exits.py)
