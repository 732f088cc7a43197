"""``dispatched worker`` as a real subprocess, so a test can SIGKILL it mid-request.

The worker reads its configuration from the environment exactly as in production
(SPEC §4): the Temporal address, its own task queue, a throwaway registry in the test's
temporary directory and a loopback allow-list for the test upstreams.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from temporalio.client import Client

from tests.payload_key import TEST_PAYLOAD_KEY

DISPATCHED = str(Path(sys.executable).parent / "dispatched")


def temporal_address(client: Client) -> str:
    """The ``host:port`` the session's Temporal client talks to."""
    return client.service_client.config.target_host


class WorkerProcess:
    """One ``dispatched worker`` child; ``kill()`` is SIGKILL, no goodbye to Temporal."""

    def __init__(self, *, address: str, task_queue: str, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log = data_dir / "worker.log"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DISPATCHED_", "TEMPORAL_"))},
            "TEMPORAL_ADDRESS": address,
            "DISPATCHED_TASK_QUEUE": task_queue,
            "DISPATCHED_DATA_DIR": str(data_dir),
            "DISPATCHED_DATABASE": str(data_dir / "dispatched.db"),
            "DISPATCHED_ALLOW_HOSTS": "127.0.0.1",
            "DISPATCHED_PAYLOAD_KEY": TEST_PAYLOAD_KEY,  # the session client's key: it encrypts the runs' input
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [DISPATCHED, "worker"], env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def kill(self) -> float:
        """SIGKILL the worker; returns the monotonic time of the kill."""
        assert self.process is not None and self.process.poll() is None, self.tail()
        at = time.monotonic()
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        return at

    def stop(self) -> None:
        """SIGTERM and wait (SIGKILL after a grace period); safe to call twice."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no worker log)"
