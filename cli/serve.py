"""``dispatched dev | worker | gateway``: the long-running processes.

Thin argparse front ends; the work lives in :mod:`cli.dev.stack` and
:mod:`runtime.processes`, imported lazily so ``dispatched run ...`` stays quick to start.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from runtime.settings import DEFAULT_DATA_DIR


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``dev``, ``worker`` and ``gateway`` to the top-level parser."""
    dev = commands.add_parser("dev", help="Temporal dev server, worker, gateway and examples on this machine")
    dev.add_argument("--port", type=int, default=4000, help="the gateway's port (default 4000)")
    dev.add_argument("--temporal-port", type=int, default=7233, help="Temporal's gRPC port (default 7233)")
    dev.add_argument("--ui-port", type=int, default=8233, help="the Temporal Web UI's port (default 8233)")
    dev.add_argument("--metrics-port", type=int, default=9464, help="the worker's metrics port (default 9464)")
    dev.add_argument("--data-dir", type=Path, default=Path(DEFAULT_DATA_DIR),
                     help=f"Temporal database, registry and token live here (default {DEFAULT_DATA_DIR})")
    dev.add_argument("--examples", type=Path, default=None,
                     help="deploy every *.yaml here (default: ./examples, else the project's examples/)")
    dev.set_defaults(handler=_dev, offline=True)

    worker = commands.add_parser("worker", help="run a worker (configuration from the environment)")
    worker.set_defaults(handler=_worker, offline=True)

    gateway = commands.add_parser("gateway", help="run the HTTP gateway (configuration from the environment)")
    gateway.add_argument("--host", default=None, help="address to bind (default DISPATCHED_HOST or 127.0.0.1)")
    gateway.add_argument("--port", type=int, default=None, help="port (default DISPATCHED_PORT or 4000)")
    gateway.set_defaults(handler=_gateway, offline=True)


def _dev(args: argparse.Namespace) -> None:
    from cli.dev.stack import DevOptions, run_dev

    run_dev(DevOptions(
        port=args.port, temporal_port=args.temporal_port, ui_port=args.ui_port, metrics_port=args.metrics_port,
        data_dir=args.data_dir, examples=args.examples if args.examples is not None else _default_examples(),
    ))


def _default_examples() -> Path | None:
    """./examples when it exists, else the examples folder of the project this CLI runs from."""
    for folder in (Path("examples"), Path(__file__).resolve().parents[1] / "examples"):
        if folder.is_dir():
            return folder
    return None


def _worker(args: argparse.Namespace) -> None:
    from cli.config import load_settings
    from runtime.processes import run_worker

    run_worker(load_settings())  # a bad variable is one line naming it, not pydantic's report


def _gateway(args: argparse.Namespace) -> None:
    from cli.config import load_settings
    from gateway.server import run_gateway

    run_gateway(host=args.host, port=args.port, settings=load_settings())
