"""``dispatched run ...``: start, show, signal, cancel, list runs and read their events."""

from __future__ import annotations

import argparse
import sys
from typing import Any
from urllib.parse import quote

from cli.client import GatewayClient
from cli.events import as_event_list, follow_events, format_event
from cli.inputs import parse_data
from cli.output import cell, print_body, print_json, print_table
from contract.limits import DEFAULT_WAIT_SECONDS


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``run`` command group to the top-level parser."""
    group = commands.add_parser("run", help="start and inspect runs")
    sub = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    start = sub.add_parser("start", help="trigger a workflow; prints the response body")
    start.add_argument("name", help="the workflow's name")
    start.add_argument("--data", help="the trigger body: JSON, or @file (@- for stdin)")
    start.add_argument("--async", dest="run_async", action="store_true", help="print only the run id at once")
    start.add_argument("--wait", type=int, default=DEFAULT_WAIT_SECONDS, metavar="SECONDS",
                       help=f"how long a synchronous start waits for the answer (default {DEFAULT_WAIT_SECONDS})")
    start.add_argument("--idempotency-key", help="repeat-safe key: the same key returns the same run")
    start.set_defaults(handler=start_run)

    show = sub.add_parser("show", help="the run's status and its steps' states")
    show.add_argument("run")
    show.add_argument("--json", action="store_true", help="print the gateway's JSON answer")
    show.set_defaults(handler=show_run)

    signal = sub.add_parser("signal", help="send a signal to a run")
    signal.add_argument("run")
    signal.add_argument("signal_name", metavar="NAME")
    signal.add_argument("--data", help="the signal payload: JSON, or @file (@- for stdin)")
    signal.set_defaults(handler=signal_run)

    cancel = sub.add_parser("cancel", help="cancel a run")
    cancel.add_argument("run")
    cancel.set_defaults(handler=cancel_run)

    events = sub.add_parser("events", help="the run's event log")
    events.add_argument("run")
    events.add_argument("--follow", "-f", action="store_true", help="keep streaming until the run ends")
    events.add_argument("--json", action="store_true", help="JSON (one object per line with --follow)")
    events.set_defaults(handler=run_events)

    listing = sub.add_parser("list", help="recent runs")
    listing.add_argument("--workflow", help="only runs of this workflow")
    listing.add_argument("--status", help="only runs in this status (running, completed, failed, ...)")
    listing.add_argument("--limit", type=int, help="at most this many runs")
    listing.add_argument("--json", action="store_true", help="print the gateway's JSON answer")
    listing.set_defaults(handler=list_runs)


def _run_path(run_id: str, suffix: str = "") -> str:
    return f"/api/runs/{quote(run_id, safe='')}{suffix}"


def start_run(args: argparse.Namespace, client: GatewayClient) -> None:
    """Trigger ``POST /workflows/{name}``; print the answer (or only the run id with --async)."""
    data = parse_data(args.data)
    headers = {"Prefer": "respond-async" if args.run_async else f"wait={args.wait}"}
    if args.idempotency_key:
        headers["Idempotency-Key"] = args.idempotency_key
    body: dict[str, Any] = {} if args.data is None else {"json_body": data}
    response = client.request(
        "POST", f"/workflows/{quote(args.name, safe='')}", headers=headers,
        timeout=max(args.wait, 0) + 30, **body,
    )
    run_id = response.headers.get("Dispatched-Run-Id")
    if args.run_async:
        answer = response.json()
        print(answer.get("run_id") if isinstance(answer, dict) else run_id)
        return
    if response.status_code == 202:
        print(f"note: run {run_id} has not answered within {args.wait}s; it keeps running "
              f"(see `dispatched run show {run_id}`)", file=sys.stderr)
    print_body(response.content, response.headers.get("content-type", ""))


def show_run(args: argparse.Namespace, client: GatewayClient) -> None:
    """``GET /api/runs/{id}``: a header block, then one row per step."""
    run = client.get_json(_run_path(args.run))
    if args.json:
        print_json(run)
        return
    workflow = str(run.get("workflow"))
    numbers = [f"{key} {run[key]}" for key in ("version", "revision") if run.get(key) is not None]
    if numbers:
        workflow += f" ({', '.join(numbers)})"
    for label, value in [
        ("run", run.get("run_id")), ("workflow", workflow), ("status", run.get("status")),
        ("error", run.get("error")), ("started", run.get("started_at")), ("closed", run.get("closed_at")),
    ]:
        print(f"{label:<9} {cell(value)}")
    print()
    steps = run.get("steps") or {}
    rows = [
        [step_id, s.get("status"), s.get("attempts"), s.get("started_at"), s.get("finished_at"), s.get("error")]
        for step_id, s in steps.items()
    ]
    print_table(["STEP", "STATUS", "ATTEMPTS", "STARTED", "FINISHED", "ERROR"], rows, empty="no steps")


def signal_run(args: argparse.Namespace, client: GatewayClient) -> None:
    """``POST /api/runs/{id}/signal/{name}`` with the ``--data`` payload (null without it)."""
    payload = parse_data(args.data)
    client.request("POST", _run_path(args.run, f"/signal/{quote(args.signal_name, safe='')}"), json_body=payload)
    print(f"sent {args.signal_name} to {args.run}")


def cancel_run(args: argparse.Namespace, client: GatewayClient) -> None:
    """``POST /api/runs/{id}/cancel``."""
    client.request("POST", _run_path(args.run, "/cancel"))
    print(f"cancel requested for {args.run}")


def run_events(args: argparse.Namespace, client: GatewayClient) -> None:
    """Print the event log; with ``--follow`` stream it until the run ends."""
    if args.follow:
        follow_events(client, args.run, as_json=args.json)
        return
    answer = client.get_json(_run_path(args.run, "/events"))
    if args.json:
        print_json(answer)
        return
    events = as_event_list(answer)
    if not events:
        print("no events")
    for event in events:
        print(format_event(event))


def list_runs(args: argparse.Namespace, client: GatewayClient) -> None:
    """``GET /api/runs``, filtered by workflow and status."""
    params = {k: str(v) for k, v in
              {"workflow": args.workflow, "status": args.status, "limit": args.limit}.items() if v}
    answer = client.get_json("/api/runs", params=params)
    if args.json:
        print_json(answer)
        return
    runs = answer.get("runs", []) if isinstance(answer, dict) else answer
    rows = [[r.get("run_id"), r.get("workflow"), r.get("revision"), r.get("status"),
             r.get("started_at"), r.get("closed_at")] for r in runs]
    print_table(["RUN", "WORKFLOW", "REVISION", "STATUS", "STARTED", "CLOSED"], rows, empty="no runs")
