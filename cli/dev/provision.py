"""What ``dispatched dev`` does through the gateway once it is up: secrets and examples.

It uses the public HTTP API (the CLI's client), like a user would, so ``dev`` exercises
the same paths as production. Secrets the user set are never overwritten; the ones
``dev`` set itself are remembered in ``<data-dir>/dev.json`` and refreshed when the demo
upstream had to move to another port.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

from cli.client import GatewayClient
from cli.config import GatewayTarget
from cli.dev.demo_upstream import PREFIXES, DemoUpstream

STATE_FILE = "dev.json"


@dataclass
class DevState:
    """What ``dev`` remembers between runs: the demo's port and the secrets it owns."""

    demo_port: int | None = None
    managed_secrets: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, data_dir: Path) -> DevState:
        try:
            raw = json.loads((data_dir / STATE_FILE).read_text())
            return cls(demo_port=raw.get("demo_port"), managed_secrets=list(raw.get("managed_secrets", [])))
        except (OSError, ValueError, AttributeError):
            return cls()

    def save(self, data_dir: Path) -> None:
        (data_dir / STATE_FILE).write_text(json.dumps(asdict(self), indent=2) + "\n")


def point_secrets_at_demo(url: str, token: str, demo: DemoUpstream, data_dir: Path) -> list[str]:
    """Set the examples' secrets to the demo's URLs and tokens where the user has not set them.

    Returns the names set now. URL secrets ``dev`` set on an earlier run are re-pointed
    at the demo's current address (its port may have changed); tokens are kept.
    """
    state = DevState.load(data_dir)
    with GatewayClient(GatewayTarget(url, token)) as client:
        answer = client.get_json("/api/secrets")
        listed = answer.get("secrets", []) if isinstance(answer, dict) else answer
        # A pending placeholder (a workflow uses it, nobody set it) is not the user's value.
        existing = {s.get("name") for s in listed if isinstance(s, dict) and s.get("status") != "pending"}
        written = []
        for name, value in demo.secret_values().items():
            refresh = name in state.managed_secrets and name in PREFIXES
            if name in existing and not refresh:
                continue
            client.request("PUT", f"/api/secrets/{quote(name)}", json_body={"value": value})
            written.append(name)
    state.managed_secrets = sorted(set(state.managed_secrets) | set(written))
    state.demo_port = int(demo.url.rsplit(":", 1)[1])
    state.save(data_dir)
    return written


def example_files(folder: Path) -> list[Path]:
    """Every ``*.yaml``/``*.yml``, plus each ``*.json`` that has no YAML twin of the same stem."""
    yamls = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    stems = {p.stem for p in yamls}
    return yamls + sorted(p for p in folder.glob("*.json") if p.stem not in stems)


def deploy_examples(url: str, token: str, folder: Path) -> list[str]:
    """Deploy the examples whose source differs from the registered one; returns their names.

    Unchanged files are skipped so restarting ``dev`` does not pile up identical revisions.
    """
    from cli.errors import CliError
    from cli.workflow import document_name

    deployed = []
    with GatewayClient(GatewayTarget(url, token)) as client:
        for path in example_files(folder):
            text = path.read_text(encoding="utf-8")
            name = document_name(path, text)
            try:
                current = client.get_json(f"/api/workflows/{quote(name)}")
            except CliError:
                current = {}
            if isinstance(current, dict) and current.get("source") == text:
                continue
            content_type = "application/json" if path.suffix == ".json" else "application/yaml"
            client.request("PUT", f"/api/workflows/{quote(name)}", content=text.encode(),
                           headers={"Content-Type": content_type})
            deployed.append(name)
    return deployed
