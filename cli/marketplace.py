"""``dispatched marketplace ...``: search, show, use, publish and withdraw templates.

A template is named ``@OWNER/SLUG`` (``@dispatched/async-checkout``). Using one copies
its document into the project; the secrets it needs that the project has not set are
*pending* until ``dispatched secrets set NAME``, and the output says which. A template
carries secret names only: nothing here ever sends or prints a secret's value.
"""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import quote

from cli.client import GatewayClient
from cli.errors import EXIT_USAGE, CliError
from cli.output import cell, print_json, print_table
from cli.workflow import pending_lines

API = "/api/marketplace"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``marketplace`` command group to the top-level parser."""
    group = commands.add_parser("marketplace", help="find, use and publish workflow templates")
    sub = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    search = sub.add_parser("search", help="templates whose slug, title, description or tags match TEXT")
    search.add_argument("text", nargs="?", default="", help="omit to list every template")
    _json_flag(search)
    search.set_defaults(handler=search_templates)

    show = sub.add_parser("show", help="a template, its secrets and its document")
    show.add_argument("template", metavar="@OWNER/SLUG")
    _json_flag(show)
    show.set_defaults(handler=show_template)

    use = sub.add_parser("use", help="copy a template into the project as a workflow")
    use.add_argument("template", metavar="@OWNER/SLUG")
    use.add_argument("--as", dest="name", metavar="NAME", help="the workflow's name (default: the slug)")
    _json_flag(use)
    use.set_defaults(handler=use_template)

    publish = sub.add_parser("publish", help="publish a workflow of the project as @PROJECT/SLUG (admin)")
    publish.add_argument("workflow")
    publish.add_argument("--slug", help="the template's slug (default: the workflow's name)")
    publish.add_argument("--title", help="default: the slug")
    publish.add_argument("--description", default="")
    publish.add_argument("--tag", dest="tags", action="append", default=[], metavar="TAG", help="repeat for more tags")
    _json_flag(publish)
    publish.set_defaults(handler=publish_template)

    withdraw = sub.add_parser("withdraw", help="remove a template of the project from the marketplace (admin)")
    withdraw.add_argument("template", metavar="@OWNER/SLUG")
    _json_flag(withdraw)
    withdraw.set_defaults(handler=withdraw_template)


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the gateway's JSON answer")


def template_path(ref: str, suffix: str = "") -> str:
    """``@owner/slug`` → its API path; anything else is a usage error before any request."""
    owner, _, slug = ref.removeprefix("@").partition("/")
    if not ref.startswith("@") or not owner or not slug or "/" in slug:
        raise CliError("bad_template", f"expected a template as @OWNER/SLUG (e.g. @dispatched/async-checkout), got {ref!r}",
                       exit_code=EXIT_USAGE)
    return f"{API}/@{quote(owner, safe='')}/{quote(slug, safe='')}{suffix}"


def search_templates(args: argparse.Namespace, client: GatewayClient) -> None:
    """``GET /api/marketplace?q=TEXT``."""
    answer = client.get_json(API, params={"q": args.text} if args.text else None)
    if args.json:
        print_json(answer)
        return
    rows = [[t.get("id"), t.get("title"), ", ".join(t.get("secrets") or []), ", ".join(t.get("tags") or [])]
            for t in answer]
    print_table(["ID", "TITLE", "SECRETS", "TAGS"], rows, empty="no templates match" if args.text else "no templates")


def show_template(args: argparse.Namespace, client: GatewayClient) -> None:
    """``GET /api/marketplace/@owner/slug``: its facts, then the document as published."""
    answer = client.get_json(template_path(args.template))
    if args.json:
        print_json(answer)
        return
    for label in ("id", "title", "publisher", "published_at", "tags", "secrets", "format"):
        value = answer.get(label)
        shown = ", ".join(value) if isinstance(value, list) else cell(value)
        print(f"{label.replace('_at', '').replace('_', ' '):<10} {shown or '-'}")
    if answer.get("description"):
        print()
        print(answer["description"])
    document = answer.get("document")
    if isinstance(document, str):
        print()
        print(document, end="" if document.endswith("\n") else "\n")


def use_template(args: argparse.Namespace, client: GatewayClient) -> None:
    """``POST /api/marketplace/@owner/slug/use``: the workflow, its revision, and each
    secret it uses with its status; a hint for every pending one."""
    body = {"name": args.name} if args.name else {}
    answer = client.request("POST", template_path(args.template, "/use"), json_body=body).json()
    if args.json:
        print_json(answer)
        return
    print(_use_line(answer))
    secrets: list[dict[str, Any]] = answer.get("secrets") or []
    if not secrets:
        print("it uses no secrets")
        return
    print()
    print_table(["SECRET", "STATUS"], [[s.get("name"), s.get("status")] for s in secrets], empty="")
    pending = [str(s.get("name")) for s in secrets if s.get("status") == "pending"]
    if pending:
        print()
        for line in pending_lines(pending, client.target.project):
            print(line)


def _use_line(answer: dict[str, Any]) -> str:
    workflow, revision, template = answer.get("workflow"), answer.get("revision"), answer.get("template")
    if not answer.get("created", True):
        return f"workflow {workflow} revision {revision} is already {template} (nothing changed)"
    what = "new revision of workflow" if answer.get("new_revision") else "created workflow"
    renamed = " (renamed; stored as JSON)" if answer.get("renamed") else ""
    return f"{what} {workflow} revision {revision} from {template}{renamed}"


def publish_template(args: argparse.Namespace, client: GatewayClient) -> None:
    """``POST /api/marketplace``: the current revision of WORKFLOW as ``@<project>/<slug>``."""
    body: dict[str, Any] = {"workflow": args.workflow, "description": args.description, "tags": args.tags}
    if args.slug:
        body["slug"] = args.slug
    if args.title:
        body["title"] = args.title
    answer = client.request("POST", API, json_body=body).json()
    if args.json:
        print_json(answer)
        return
    verb = "republished" if answer.get("replaced") else "published"
    secrets = ", ".join(answer.get("secrets") or []) or "none"
    print(f"{verb} {answer.get('id')} from workflow {args.workflow} (secret names it lists: {secrets})")


def withdraw_template(args: argparse.Namespace, client: GatewayClient) -> None:
    """``DELETE /api/marketplace/@owner/slug``; workflows made from it stay."""
    answer = client.request("DELETE", template_path(args.template)).json()
    if args.json:
        print_json(answer)
        return
    print(f"withdrew {answer.get('withdrawn', args.template)}")
