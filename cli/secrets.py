"""``dispatched secrets ...``: set, list and unset secrets. Values are write-only.

A value given on the command line lands in shell history, so ``VALUE`` is optional:
without it the value is read from stdin, with no echo on a terminal.
"""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import quote

from cli.client import GatewayClient
from cli.inputs import read_secret_value
from cli.output import print_json, print_table


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``secrets`` command group to the top-level parser."""
    group = commands.add_parser("secrets", help="manage secrets (values are never shown)")
    sub = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    set_ = sub.add_parser("set", help="create or replace a secret")
    set_.add_argument("name")
    set_.add_argument("value", nargs="?", help="omit to read it from stdin (no echo on a terminal)")
    set_.set_defaults(handler=set_secret)

    listing = sub.add_parser("list", help="secret names (never values)")
    listing.add_argument("--json", action="store_true", help="print the gateway's JSON answer")
    listing.set_defaults(handler=list_secrets)

    unset = sub.add_parser("unset", help="delete a secret")
    unset.add_argument("name")
    unset.set_defaults(handler=unset_secret)


def set_secret(args: argparse.Namespace, client: GatewayClient) -> None:
    """``PUT /api/secrets/{NAME}`` with ``{"value": ...}``; never prints the value."""
    value = args.value if args.value is not None else read_secret_value(args.name)
    client.request("PUT", f"/api/secrets/{quote(args.name, safe='')}", json_body={"value": value})
    print(f"set {args.name}")


def list_secrets(args: argparse.Namespace, client: GatewayClient) -> None:
    """``GET /api/secrets``: each secret's status, the workflows using it, when it was set."""
    answer = client.get_json("/api/secrets")
    if args.json:
        print_json(answer)
        return
    secrets = answer.get("secrets", []) if isinstance(answer, dict) else answer
    print_table(["NAME", "STATUS", "USED BY", "UPDATED"], secret_rows(secrets), empty="no secrets")


def secret_rows(secrets: list[Any]) -> list[list[Any]]:
    """The list's rows. ``USED BY`` joins the workflow names with commas and no spaces, so
    every column stays one word for ``awk``; a pending secret was never set: ``-``."""
    rows = []
    for s in secrets:
        if not isinstance(s, dict):
            s = {"name": s}
        used_by = ",".join(str(name) for name in s.get("used_by") or [])
        rows.append([s.get("name"), s.get("status"), used_by, s.get("updated_at")])
    return rows


def unset_secret(args: argparse.Namespace, client: GatewayClient) -> None:
    """``DELETE /api/secrets/{NAME}``."""
    client.request("DELETE", f"/api/secrets/{quote(args.name, safe='')}")
    print(f"unset {args.name}")
