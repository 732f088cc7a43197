"""Secret values never reach Temporal history, events, state or error messages."""

from __future__ import annotations

import asyncio
import json

from temporalio.testing import WorkflowEnvironment

from cli.dev.temporal_server import temporal_binary
from tests.payload_key import decoded_history_json
from tests.upstream import Received, Reply, Upstream
from tests.workflow.engine import Engine

CANARY_PATH = "canary-path-5b1e0c"
CANARY_TOKEN = "canary-token-9d8e7f"

DOC = """
name: canary
steps:
  ok:
    request:
      method: POST
      url: "{{ secrets.API }}/echo"
      headers: {authorization: "Bearer {{ secrets.TOKEN }}"}
      query: {t: "{{ secrets.TOKEN }}"}
      body: {token: "{{ secrets.TOKEN }}", nested: ["{{ secrets.TOKEN }}"]}
  bad:
    after: [ok]
    request:
      url: "{{ secrets.API }}/fail?k={{ secrets.TOKEN }}"
      retry: {max_attempts: 2, initial_interval: 50ms}
"""


def _echo(request: Received) -> Reply:
    """An upstream that repeats everything it was sent, secrets included."""
    return Reply(200, {"headers": request.headers, "body": request.body.decode(), "query": request.query},
                 headers=[("X-Echo", request.headers.get("authorization", ""))])


async def test_canary_secret_is_absent_from_history_events_and_errors(
    engine: Engine, upstream: Upstream, temporal_env: WorkflowEnvironment
) -> None:
    engine.secrets.values.update(API=f"{upstream.url}/{CANARY_PATH}", TOKEN=CANARY_TOKEN)
    upstream.route("POST", f"/{CANARY_PATH}/echo", _echo)
    upstream.route("GET", f"/{CANARY_PATH}/fail", lambda r: Reply(500, f"failed {r.path} {r.query} {r.headers}"))

    run_id = await engine.start(DOC)
    state = await engine.finish(run_id)

    # The secrets did go on the wire.
    sent = upstream.received("POST", f"/{CANARY_PATH}/echo")[0]
    assert sent.headers["authorization"] == f"Bearer {CANARY_TOKEN}"
    assert sent.json() == {"token": CANARY_TOKEN, "nested": [CANARY_TOKEN]}
    assert len(upstream.received("GET", f"/{CANARY_PATH}/fail")) == 2
    assert state.status == "failed"

    events = (await engine.runs.events(run_id, project=engine.project)).model_dump_json()
    shown = await _temporal_workflow_show(temporal_env, run_id)
    assert "answered 500" in shown  # the failure itself is recorded ...
    for text in (shown, events, state.model_dump_json()):
        assert CANARY_TOKEN not in text  # ... but never a secret value
        assert CANARY_PATH not in text


async def _temporal_workflow_show(env: WorkflowEnvironment, run_id: str) -> str:
    """The history as the real `temporal` CLI prints it, its payloads decrypted to text."""
    address = env.client.service_client.config.target_host
    process = await asyncio.create_subprocess_exec(
        temporal_binary(), "workflow", "show", "--workflow-id", run_id, "--address", address, "--output", "json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    text = out.decode()
    json.loads(text)  # it is the full JSON history, not an error message
    return decoded_history_json(text)  # payloads and failures are encrypted: read them in clear
