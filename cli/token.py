"""``dispatched token ...``: make, list and revoke the project's tokens (SPEC §6, ``admin``).

A token's value is in the creation answer only (the registry keeps its hash), so
``token create`` prints it alone on stdout, where ``TOKEN=$(dispatched token create ...)``
catches it, and says on stderr that it will not be shown again. ``token list`` shows ids,
roles and times, never a value.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any
from urllib.parse import quote

from cli.client import GatewayClient
from cli.output import print_json, print_table
from contract.roles import ROLES


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``token`` command group to the top-level parser."""
    group = commands.add_parser("token", help="make, list and revoke the project's tokens (admin)")
    sub = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = sub.add_parser("create", help="make a token; its value is printed once")
    create.add_argument("--role", required=True, choices=ROLES,
                        help="read < run < deploy < admin; each may do what the one before may, and more")
    create.add_argument("--label", default="", metavar="TEXT", help="what the token is for")
    create.add_argument("--json", action="store_true", help="print the gateway's JSON answer (with the value)")
    create.set_defaults(handler=create_token)

    listing = sub.add_parser("list", help="the project's tokens (never their values)")
    listing.add_argument("--json", action="store_true", help="print the gateway's JSON answer")
    listing.set_defaults(handler=list_tokens)

    revoke = sub.add_parser("revoke", help="revoke a token by its id (tok_...); it is refused from then on")
    revoke.add_argument("id")
    revoke.set_defaults(handler=revoke_token)


def create_token(args: argparse.Namespace, client: GatewayClient) -> None:
    """``POST /api/tokens {"role", "label"}``: the value on stdout, the warning on stderr."""
    answer = client.request("POST", "/api/tokens", json_body={"role": args.role, "label": args.label}).json()
    if args.json:
        print_json(answer)
    else:
        print(answer["token"])
    print(created_note(answer), file=sys.stderr)


def created_note(answer: dict[str, Any]) -> str:
    """The stderr line after a new token: which one it is, and that its value is shown once."""
    return (f"note: token {answer.get('id')} ({answer.get('role')}) made; "
            "its value is not shown again, so keep it now")


def token_rows(tokens: list[dict[str, Any]]) -> list[list[Any]]:
    """One row per token for the list table: no value is in the answer, none in the table."""
    return [[t.get("id"), t.get("role"), t.get("label"), t.get("created_at"), t.get("last_used_at"),
             t.get("revoked_at")] for t in tokens]


def list_tokens(args: argparse.Namespace, client: GatewayClient) -> None:
    """``GET /api/tokens``."""
    answer = client.get_json("/api/tokens")
    if args.json:
        print_json(answer)
        return
    print_table(["ID", "ROLE", "LABEL", "CREATED", "LAST USED", "REVOKED"], token_rows(answer), empty="no tokens")


def revoke_token(args: argparse.Namespace, client: GatewayClient) -> None:
    """``DELETE /api/tokens/{id}``; revoking twice is no error."""
    client.request("DELETE", f"/api/tokens/{quote(args.id, safe='')}")
    print(f"revoked {args.id}")
