"""``dispatched project ...``: make and list projects (SPEC §6).

Only the operator token (``DISPATCHED_TOKEN``) creates projects; the gateway says so
with ``403 forbidden`` to anyone else, and the CLI passes that on as is. Listing is open
to every token: the operator sees every project, a project token its own.
"""

from __future__ import annotations

import argparse

from cli.client import GatewayClient
from cli.output import print_json, print_table


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``project`` command group to the top-level parser."""
    group = commands.add_parser("project", help="create and list projects (creating needs the operator token)")
    sub = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    create = sub.add_parser("create", help="make a project (a slug: lowercase letters, digits, '-', '_')")
    create.add_argument("name")
    create.add_argument("--json", action="store_true", help="print the gateway's JSON answer")
    create.set_defaults(handler=create_project)

    listing = sub.add_parser("list", help="the projects this token reaches")
    listing.add_argument("--json", action="store_true", help="print the gateway's JSON answer")
    listing.set_defaults(handler=list_projects)


def create_project(args: argparse.Namespace, client: GatewayClient) -> None:
    """``POST /api/projects {"name"}``; an existing name is ``project_exists``, a bad one names the rule."""
    answer = client.request("POST", "/api/projects", json_body={"name": args.name}).json()
    if args.json:
        print_json(answer)
        return
    print(f"created project {answer.get('name', args.name)}")


def list_projects(args: argparse.Namespace, client: GatewayClient) -> None:
    """``GET /api/projects``."""
    answer = client.get_json("/api/projects")
    if args.json:
        print_json(answer)
        return
    rows = [[p.get("name"), p.get("created_at")] for p in answer]
    print_table(["NAME", "CREATED"], rows, empty="no projects")
