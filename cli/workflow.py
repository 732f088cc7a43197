"""``dispatched workflow ...``: deploy, validate (locally), list and show workflows."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from cli.client import GatewayClient, format_problem
from cli.errors import CliError
from cli.output import cell, print_json, print_table


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``workflow`` command group to the top-level parser."""
    group = commands.add_parser("workflow", help="deploy and inspect workflow documents")
    sub = group.add_subparsers(dest="action", required=True, metavar="ACTION")

    deploy = sub.add_parser("deploy", help="register a new revision of a YAML or JSON document")
    deploy.add_argument("file", type=Path)
    deploy.add_argument("--json", action="store_true", help="print the gateway's JSON answer")
    deploy.set_defaults(handler=deploy_workflow)

    validate = sub.add_parser("validate", help="check a document locally, without a gateway")
    validate.add_argument("file", type=Path)
    validate.add_argument("--json", action="store_true", help="problems and warnings as JSON")
    validate.set_defaults(handler=validate_workflow, offline=True)

    listing = sub.add_parser("list", help="registered workflows")
    listing.add_argument("--json", action="store_true", help="print the gateway's JSON answer")
    listing.set_defaults(handler=list_workflows)

    show = sub.add_parser("show", help="a workflow's current revision and its source")
    show.add_argument("name")
    show.add_argument("--json", action="store_true", help="print the gateway's JSON answer")
    show.set_defaults(handler=show_workflow)


def read_source(path: Path) -> str:
    """The document's text, or a CliError naming the file."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise CliError("bad_file", f"cannot read {path}: {reason}") from exc


def document_name(path: Path, text: str) -> str:
    """The ``name`` field of a YAML/JSON document (the deploy URL needs it before the gateway parses it)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise CliError("invalid_document", f"{path} is not valid YAML or JSON{where}") from exc
    name = data.get("name") if isinstance(data, dict) else None
    if not isinstance(name, str) or not name:
        raise CliError("invalid_document", f"{path} has no top-level 'name'")
    return name


def deploy_workflow(args: argparse.Namespace, client: GatewayClient) -> None:
    """``PUT /api/workflows/{name}`` with the file's text; prints the new revision and warnings."""
    text = read_source(args.file)
    name = document_name(args.file, text)
    content_type = "application/json" if args.file.suffix.lower() == ".json" else "application/yaml"
    answer = client.request(
        "PUT", f"/api/workflows/{quote(name, safe='')}", content=text.encode("utf-8"),
        headers={"Content-Type": content_type},
    ).json()
    if args.json:
        print_json(answer)
        return
    print(f"deployed {answer.get('name', name)} revision {answer.get('revision')} (version {answer.get('version')})")
    for line in pending_lines(answer.get("pending_secrets") or [], client.target.project):
        print(line)
    for warning in answer.get("warnings") or []:
        print(_warning_line(warning), file=sys.stderr)


def pending_lines(pending: list[str], project: str | None) -> list[str]:
    """A line per secret the workflow uses that is not set yet (SPEC §7): runs of it are
    refused (409 secrets_pending) until each is set, so say how, ready to copy, with the
    ``--project`` the deploy went to."""
    where = f" --project {project}" if project else ""
    return [f"pending secret {name}: set it with `dispatched secrets set {name}{where}`" for name in pending]


def _warning_line(warning: Any) -> str:
    text = format_problem(warning) if isinstance(warning, dict) else str(warning)
    return text if text.startswith("warning") else f"warning: {text}"


def validate_workflow(args: argparse.Namespace, client: GatewayClient | None = None) -> None:
    """Validate with the same loader the gateway uses; problems as errors, warnings as notes."""
    from contract.problems import DocumentInvalid
    from interpreter.loader import load_document

    text = read_source(args.file)
    try:
        loaded = load_document(text, source=str(args.file))
    except DocumentInvalid as exc:
        if args.json:
            print_json({"valid": False, "problems": [p.to_dict() for p in exc.problems], "warnings": []})
        raise CliError(
            "invalid_document", f"{args.file} has {len(exc.problems)} problem(s)",
            details=[str(p) for p in exc.problems],
        ) from exc
    if args.json:
        print_json({"valid": True, "name": loaded.document.name, "problems": [],
                    "warnings": [w.to_dict() for w in loaded.warnings]})
        return
    document = loaded.document
    print(f"{args.file}: valid ({document.name}, version {document.version}, {len(document.steps)} steps)")
    for warning in loaded.warnings:
        print(_warning_line(str(warning)), file=sys.stderr)


def list_workflows(args: argparse.Namespace, client: GatewayClient) -> None:
    """``GET /api/workflows``."""
    answer = client.get_json("/api/workflows")
    if args.json:
        print_json(answer)
        return
    workflows = answer.get("workflows", []) if isinstance(answer, dict) else answer
    rows = [[w.get("name"), w.get("revision"), w.get("version"), w.get("updated_at")] for w in workflows]
    print_table(["NAME", "REVISION", "VERSION", "UPDATED"], rows, empty="no workflows")


def show_workflow(args: argparse.Namespace, client: GatewayClient) -> None:
    """``GET /api/workflows/{name}``: the current revision's facts, then its source."""
    answer = client.get_json(f"/api/workflows/{quote(args.name, safe='')}")
    if args.json:
        print_json(answer)
        return
    for label in ("name", "revision", "version", "updated_at", "created_at"):
        if label in answer:
            print(f"{label.replace('_at', ''):<9} {cell(answer[label])}")
    revisions = answer.get("revisions")
    if isinstance(revisions, list) and revisions:
        numbers = [str(r.get("revision", r)) if isinstance(r, dict) else str(r) for r in revisions]
        print(f"{'revisions':<9} {', '.join(numbers)}")
    source = answer.get("source")
    if isinstance(source, str):
        print()
        print(source, end="" if source.endswith("\n") else "\n")
