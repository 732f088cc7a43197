"""``dispatched dev``: everything on one machine, as one process tree.

Starts, in order: the Temporal dev server (SQLite file and Web UI in the data dir), the
gateway, the worker (both as ``dispatched gateway|worker`` subprocesses, exactly what
runs in production), and the demo upstream (a thread). Then it points the examples'
secrets at the demo (only those not already set), deploys ``examples/*.yaml`` and prints
where everything is. Ctrl-C or SIGTERM stops the children in reverse order; a child
that dies on its own stops the rest, so nothing is left half-running.

Everything durable lives in the data dir (``temporal.db``, ``dispatched.db``, the
secrets key, the token), so stopping and starting ``dev`` again on the same dir carries
on every waiting run. The demo upstream tries to keep its port across restarts, and the
URL secrets ``dev`` set itself are refreshed when the port does change, so a resumed
run's next request still finds its service.
"""

from __future__ import annotations

import os
import secrets
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import httpx

from cli.config import TOKEN_FILE, URL_FILE, load_settings
from cli.dev.children import child_popen_kwargs, stop
from cli.dev.demo_upstream import DemoUpstream
from cli.dev.provision import DevState, deploy_examples, point_secrets_at_demo
from cli.dev.temporal_server import DevServerConfig, TemporalServerError, port_is_free, start_dev_server
from runtime.settings import DEFAULT_DATA_DIR
from runtime.tracing import traces_endpoint

LOOPBACK_HOSTS = "127.0.0.0/8,::1,localhost"


class DevError(RuntimeError):
    """``dispatched dev`` could not start (a port in use, a child that died).

    ``details`` are extra lines (the tail of a child's log) printed under the error.
    """

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or []


@dataclass(frozen=True)
class DevOptions:
    """The ``dispatched dev`` flags."""

    port: int = 4000
    temporal_port: int = 7233
    ui_port: int = 8233
    metrics_port: int = 9464
    data_dir: Path = Path(DEFAULT_DATA_DIR)
    examples: Path | None = None
    host: str = "127.0.0.1"


def session_token(data_dir: Path) -> str:
    """``DISPATCHED_TOKEN`` when set; else the token saved in the data dir, made on first use."""
    given = load_settings().token
    if given is not None:
        return given.get_secret_value()
    path = data_dir / TOKEN_FILE
    if path.is_file() and path.read_text().strip():
        return path.read_text().strip()
    token = f"dsp_{secrets.token_urlsafe(24)}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(token + "\n")
    return token


def temporal_config(options: DevOptions) -> DevServerConfig:
    """The dev server ``dispatched dev`` starts: its ports, its database in the data dir, and
    its Web UI decoding payloads through the gateway's codec endpoint."""
    return DevServerConfig(db_file=options.data_dir / "temporal.db", port=options.temporal_port,
                           ui_port=options.ui_port, ip=options.host,
                           ui_codec_endpoint=f"http://{options.host}:{options.port}/codec")


def web_ui_origins(options: DevOptions) -> list[str]:
    """The origins the dev Web UI's pages have: the address ``dev`` prints, and on 127.0.0.1
    also ``localhost`` (a browser treats the two as different origins)."""
    origins = [temporal_config(options).ui_url]
    if options.host == "127.0.0.1":
        origins.append(f"http://localhost:{options.ui_port}")
    return origins


def registry_database(data_dir: Path) -> str:
    """A ``postgresql://`` ``DISPATCHED_DATABASE`` from the environment when there is one
    (a shared registry; the soak test runs ``dev`` so); else the data dir's SQLite file."""
    given = os.environ.get("DISPATCHED_DATABASE", "").strip()
    return given if given.startswith(("postgresql://", "postgres://")) else str(data_dir / "dispatched.db")


def child_env(options: DevOptions, token: str) -> dict[str, str]:
    """The environment of the gateway and worker: Settings reads every value from here."""
    data_dir = options.data_dir.resolve()
    env = dict(os.environ)
    env.update({
        "TEMPORAL_ADDRESS": f"{options.host}:{options.temporal_port}",
        "DISPATCHED_DATA_DIR": str(data_dir),
        "DISPATCHED_DATABASE": registry_database(data_dir),
        "DISPATCHED_TOKEN": token,
        "DISPATCHED_HOST": options.host,
        "DISPATCHED_PORT": str(options.port),
        "DISPATCHED_URL": f"http://{options.host}:{options.port}",
        "DISPATCHED_ALLOW_HOSTS": LOOPBACK_HOSTS,
        "DISPATCHED_METRICS_PORT": str(options.metrics_port),
        "DISPATCHED_TEMPORAL_UI_URL": temporal_config(options).ui_url,  # the console links each run there
        # The dev Web UI decodes payloads through the gateway's /codec: its pages' origins may
        # call it, and from loopback without a token, which the Web UI has no way to send.
        "DISPATCHED_CODEC_CORS_ORIGINS": ",".join(web_ui_origins(options)),
        "DISPATCHED_CODEC_OPEN_TO_LOOPBACK": "true",
    })
    return env


class DevStack:
    """The running children, stopped in reverse order of starting."""

    def __init__(self, options: DevOptions) -> None:
        self.options = options
        self.logs = options.data_dir / "logs"
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.demo: DemoUpstream | None = None
        self.stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://{self.options.host}:{self.options.port}"

    def start(self, token: str) -> None:
        """Start Temporal, the gateway (until healthy), the worker and the demo upstream."""
        opts = self.options
        if not port_is_free(opts.host, opts.port):
            raise DevError(f"port {opts.port} is in use: is another `dispatched dev` running? (or pass --port)")
        self.logs.mkdir(parents=True, exist_ok=True)
        temporal = temporal_config(opts)
        self.children.append(("temporal", start_dev_server(temporal, log_file=self.logs / "temporal.log")))
        env = child_env(opts, token)
        # The gateway first: it creates the registry schema and the secrets key before the
        # worker opens the same files, so the two never race to create them.
        self._spawn("gateway", env)
        self._wait_healthy(timeout=60)
        self._spawn("worker", env)
        # The demo thread starts after the last fork: children are forked from one thread.
        self.demo = DemoUpstream(host=opts.host, port=_saved_port(opts.data_dir)).start()

    def _spawn(self, command: str, env: dict[str, str]) -> None:
        with (self.logs / f"{command}.log").open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "cli", command], env=env,
                stdout=log, stderr=subprocess.STDOUT, **child_popen_kwargs(),
            )
        self.children.append((command, process))

    def _wait_healthy(self, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_children()
            if self.stopping.is_set():
                raise DevError("interrupted while starting")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise DevError(f"the gateway did not answer on {self.url} within {timeout:.0f}s (see {self.logs}/gateway.log)")

    def check_children(self) -> None:
        """Raise DevError when a child exited on its own."""
        for name, process in self.children:
            if process.poll() is not None and not self.stopping.is_set():
                log = self.logs / f"{name}.log"
                raise DevError(f"the {name} exited with status {process.returncode}; the end of {log}:",
                               _tail(log))

    def stop(self) -> None:
        """Stop everything: worker, gateway, Temporal (reverse order), then the demo."""
        self.stopping.set()
        for _name, process in reversed(self.children):
            stop(process, grace=15)
        if self.demo is not None:
            self.demo.stop()


def _tail(path: Path, lines: int = 15) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return ["(no log)"]


def _saved_port(data_dir: Path) -> int:
    """The demo's port from the last run when it is still free, so its URLs stay valid."""
    port = DevState.load(data_dir).demo_port
    return port if port and port_is_free("127.0.0.1", port) else 0


def _banner(stack: DevStack, token: str, ui_url: str, deployed: list[str]) -> str:
    opts = stack.options
    if opts.examples is None:
        examples = "none (no examples folder)"
    else:
        examples = f"{opts.examples}  ({'deployed: ' + ', '.join(deployed) if deployed else 'already up to date'})"
    return "\n".join([
        "dispatched dev is running",
        f"  gateway  {stack.url}",
        f"  Web UI   {ui_url}",
        f"  metrics  {stack.url}/metrics (gateway), http://{opts.host}:{opts.metrics_port}/metrics (worker)",
        f"  traces   {_traces_line()}",
        f"  token    {token}",
        f"  demo     {stack.demo.url if stack.demo else '-'}  (the examples' upstream services)",
        f"  data     {opts.data_dir}  (Temporal and registry databases, logs/)",
        f"  examples {examples}",
        *_second_terminal_hint(stack, token),
        "Ctrl-C stops everything.",
    ])


def _traces_line() -> str:
    """Where the children send spans: they read the same environment (runtime/tracing.py)."""
    endpoint = load_settings().otlp_endpoint
    if endpoint is None:
        return "not exported (set OTEL_EXPORTER_OTLP_ENDPOINT to send them over OTLP)"
    return f"OTLP to {traces_endpoint(endpoint)}"


def _second_terminal_hint(stack: DevStack, token: str) -> list[str]:
    """How to use ``dispatched`` from another terminal, where the venv is not active.

    The bin dir is this interpreter's (``dispatched`` is installed next to it), so the
    lines are right wherever the project's venv lives; copied as printed, they work.
    """
    bin_dir = Path(sys.executable).parent
    on_path = f'export PATH="{bin_dir}:$PATH"'
    activate = bin_dir / "activate"
    if sys.prefix != sys.base_prefix and activate.is_file():  # a venv: its activate script is the usual way
        on_path = f"source {shlex.quote(str(activate))}   (or: {on_path})"
    data_dir = stack.options.data_dir.resolve()
    if data_dir == Path(DEFAULT_DATA_DIR).resolve():
        finding = ["In this directory it then finds the gateway and token by itself; elsewhere:"]
    else:  # --data-dir: the CLI looks in ./.dispatched unless told
        finding = ["It then finds the gateway and token with:",
                   f"  export DISPATCHED_DATA_DIR={shlex.quote(str(data_dir))}", "or:"]
    return [
        "From another terminal, put the CLI on PATH first:",
        f"  {on_path}",
        *finding,
        f"  export DISPATCHED_URL={stack.url} DISPATCHED_TOKEN={token}",
    ]


def run_dev(options: DevOptions) -> None:
    """Start the stack, set it up, print where it is and wait for Ctrl-C / SIGTERM."""
    from cli.errors import CliError

    options.data_dir.mkdir(parents=True, exist_ok=True)
    token = session_token(options.data_dir)
    stack = DevStack(options)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stack.stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        stack.start(token)
        assert stack.demo is not None
        point_secrets_at_demo(stack.url, token, stack.demo, options.data_dir)
        deployed = deploy_examples(stack.url, token, options.examples) if options.examples is not None else []
        (options.data_dir / URL_FILE).write_text(stack.url + "\n")
        print(_banner(stack, token, temporal_config(options).ui_url, deployed), flush=True)
        while not stack.stopping.wait(0.5):
            stack.check_children()
        print("stopping...", flush=True)
    except (DevError, TemporalServerError) as exc:
        if stack.stopping.is_set() and not isinstance(exc, TemporalServerError):
            return  # Ctrl-C during startup: stop quietly
        raise CliError("dev", str(exc), details=getattr(exc, "details", [])) from exc
    finally:
        stack.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
