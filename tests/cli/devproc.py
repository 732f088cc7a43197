"""Run the real ``dispatched dev`` as a subprocess on free ports for tests."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

from tests.cli.conftest import DISPATCHED, EXAMPLES


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children_of(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class DevProcess:
    """``dispatched dev`` on its own ports and data dir; ``env`` is what a user's shell would have."""

    def __init__(self, data_dir: Path, *, ports: tuple[int, int, int] | None = None) -> None:
        self.data_dir = data_dir
        self.port, self.temporal_port, self.ui_port = ports or (free_port(), free_port(), free_port())
        self.metrics_port = free_port()  # two dev stacks on one machine must not share the worker's
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("DISPATCHED_", "TEMPORAL_"))}
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self.process: subprocess.Popen[str] | None = None
        self._pump_thread = threading.Thread()

    def start(self, *, timeout: float = 60) -> str:
        """Start and wait for the banner; returns it."""
        self.process = subprocess.Popen(
            [DISPATCHED, "dev", "--port", str(self.port), "--temporal-port", str(self.temporal_port),
             "--ui-port", str(self.ui_port), "--metrics-port", str(self.metrics_port),
             "--data-dir", str(self.data_dir), "--examples", str(EXAMPLES)],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        self._pump_thread = threading.Thread(target=self._pump, args=(self.process,), daemon=True)
        self._pump_thread.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                assert self.process.poll() is None, "dev exited:\n" + "".join(self.output)
                continue
            if line.startswith("Ctrl-C stops everything."):
                return "".join(self.output)
        raise AssertionError("dev did not start:\n" + "".join(self.output))

    def _pump(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        with process.stdout:
            for line in process.stdout:
                self.output.append(line)
                self.lines.put(line)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The CLI as a user in another terminal runs it: URL and token found in the data dir."""
        env = {**self.env, "DISPATCHED_DATA_DIR": str(self.data_dir)}
        return subprocess.run([DISPATCHED, *args], env=env, capture_output=True, text=True, timeout=60)

    def ok(self, *args: str) -> str:
        result = self.cli(*args)
        assert result.returncode == 0, f"dispatched {' '.join(args)}: {result.stderr}"
        return result.stdout

    def stop(self, *, timeout: float = 30) -> tuple[int, set[int]]:
        """SIGTERM dev; returns its exit status and the descendants it had."""
        assert self.process is not None
        descendants = children_of(self.process.pid)
        self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(timeout=timeout)
        self._pump_thread.join(timeout=5)
        return status, descendants

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            for pid in children_of(self.process.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.process.kill()
            self.process.wait()
        if self.process is not None:
            self._pump_thread.join(timeout=5)
