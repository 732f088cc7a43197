"""``python -m bench.profile``: where the CPU goes at saturation, with py-spy.

Starts what a bench run starts (dev server, upstreams, workers, gateway), drives one
variant at ``--callers`` concurrent callers, and records the gateway and the Dispatched
worker with ``py-spy record`` (``pip install py-spy``; it is a tool, not a dependency)
for the length of the series. Writes one flame graph (SVG) or speedscope JSON per process
to ``--out`` and prints the CPU seconds each process used, the dev server's included.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.processes import cpu_seconds
from bench.run import Options, everything
from bench.stats import Series, measure
from bench.variants import VARIANTS
from bench.workloads import Workload
from runtime.exits import end_process


def _server_pid(address: str) -> int | None:
    """The dev server's pid: the process listening on the address's port (via ss)."""
    port = address.rsplit(":", 1)[1]
    found = subprocess.run(["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True).stdout
    marker = "pid="
    return int(found.split(marker, 1)[1].split(",", 1)[0]) if marker in found else None


async def profile(variant: str, callers: int, runs: int, out: Path, fmt: str) -> None:
    spy = shutil.which("py-spy")
    if spy is None:
        raise SystemExit("py-spy is not installed: pip install py-spy")
    out.mkdir(parents=True, exist_ok=True)
    async with everything(Options(parked=0, large_steps=0)) as running:
        gateway_pid = running.gateway_pid
        targets = {"gateway": gateway_pid, "worker": running.dispatched_worker_pid}
        if variant.startswith("handwritten"):
            targets = {"hand-written worker": running.handwritten_worker_pid}
        workload = Workload("linear", 3)
        run_once = VARIANTS[variant](running.setup, workload)
        await measure(run_once, Series(workload.name, variant, callers, 3), runs=20, concurrency=callers, warmup=3)
        suffix = "svg" if fmt == "flamegraph" else "json"
        spies = [
            subprocess.Popen([spy, "record", "--pid", str(pid), "--rate", "200", "--format", fmt,
                              "--output", str(out / f"{name}.{suffix}"), "--nonblocking"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for name, pid in targets.items()
        ]
        server = _server_pid(running.address)
        pids = {**targets, **({"dev server": server} if server else {})}
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        series = Series(workload.name, variant, callers, 3)
        began = time.perf_counter()
        await measure(run_once, series, runs=runs, concurrency=callers, warmup=0)
        wall = time.perf_counter() - began
        used = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
        for process in spies:
            process.send_signal(2)  # SIGINT: py-spy writes its output and exits
        for process in spies:
            process.wait(timeout=60)
    row = series.summary()
    print(f"{variant} at {callers} callers: {row['runs']} runs in {wall:.1f} s, {row['runs_per_s']:.1f} runs/s, "
          f"p50 {row['p50_ms']:.1f} ms")
    for name, seconds in used.items():
        print(f"  {name:<20} {seconds:6.2f} CPU s  {1000 * seconds / max(row['runs'], 1):6.2f} CPU ms per run")
    print(f"profiles in {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--variant", default="gateway-sync", choices=sorted(VARIANTS))
    parser.add_argument("--callers", type=int, default=16)
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--format", default="flamegraph", choices=("flamegraph", "speedscope", "raw"))
    parser.add_argument("--out", type=Path, default=Path("bench/results/profile"))
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    asyncio.run(profile(args.variant, args.callers, args.runs, args.out, args.format))
    return 0


if __name__ == "__main__":
    end_process(main())  # not sys.exit: the SDK's threads can abort finalization (runtime/exits.py)
