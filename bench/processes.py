"""The bench's subprocesses: workers (one per kind, so each RSS is its own) and the
gateway (the production ``dispatched gateway`` process)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench.clients import payload_env

ROOT = Path(__file__).resolve().parent.parent
BENCH_TOKEN = "bench-session-token"


def rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MiB, from /proc (psutil is not installed)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_worker(address: str, task_queue: str, kind: str, tuning: dict[str, Any] | None = None) -> subprocess.Popen[str]:
    """Start a worker subprocess (``dispatched`` or ``handwritten``); returns once it polls."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.worker_process", address, task_queue, kind, json.dumps(tuning or {})],
        stdout=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, **payload_env()},
    )
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        process.kill()
        raise RuntimeError(f"the {kind} worker did not start (exit {process.wait()})")
    return process


def start_handwritten_http(address: str, task_queue: str) -> tuple[subprocess.Popen[str], str]:
    """Start the hand-written workflow's HTTP front (bench/handwritten_http.py); returns
    it and its URL once it listens."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.handwritten_http", address, task_queue], stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.strip():
        process.kill()
        raise RuntimeError(f"the hand-written HTTP front did not start (exit {process.wait()})")
    return process, f"http://127.0.0.1:{json.loads(line)['port']}"


def stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM, then SIGKILL after 15 s; the pipe is closed either way."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gateway(
    address: str, task_queue: str, data_dir: Path, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], str]:
    """Start ``dispatched gateway`` on a free loopback port; returns it and its URL once
    healthy. ``extra_env`` adds settings (the eager-start gateway's)."""
    port = _free_port()
    env = {
        **os.environ,
        "TEMPORAL_ADDRESS": address,
        "DISPATCHED_TASK_QUEUE": task_queue,
        "DISPATCHED_DATA_DIR": str(data_dir),
        "DISPATCHED_DATABASE": str(data_dir / "dispatched.db"),
        "DISPATCHED_TOKEN": BENCH_TOKEN,
        "DISPATCHED_LOG_LEVEL": "WARNING",  # the table on stdout, not the gateway's start line
        **payload_env(),  # the bench's workers' key (bench/clients.py)
        **(extra_env or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "cli", "gateway", "--port", str(port)], env=env, cwd=ROOT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the gateway exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop(process)
    raise RuntimeError("the gateway did not become healthy within 30 s")
