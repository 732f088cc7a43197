"""Rotating the payload key on the real dev server: a run started under the old key waits,
is picked up by a worker that lacks that key (its workflow task fails naming the key id,
the run itself does not), and finishes once a worker has the new key first and the old
one after it; its history then holds payloads of both keys."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence

import yaml
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.worker import Worker

from activities.secrets import MemorySecretStore
from contract.document import Document
from contract.messages import RunInput, TriggerData
from interpreter.client import RunClient
from runtime.codec import KEY_ID, EncryptionCodec, encrypting_converter
from runtime.payload_keys import KEY_BYTES, PayloadKey
from runtime.worker import create_worker
from tests.upstream import Reply, Upstream

OLD, NEW = PayloadKey(b"O" * KEY_BYTES), PayloadKey(b"N" * KEY_BYTES)
DOCUMENT = """
name: rotation
steps:
  hold: {wait: {signal: go, timeout: 5m}}
  tell:
    after: [hold]
    request:
      method: POST
      url: "{{ secrets.API }}/tell"
      body: {who: "{{ trigger.body.who }}", said: "{{ steps.hold.signal.body.said }}"}
"""


def _client(session: Client, keys: Sequence[PayloadKey]) -> Client:
    """A client on the session's connection with its own keys (a process configured so)."""
    return Client(session.service_client, namespace=session.namespace,
                  data_converter=encrypting_converter(EncryptionCodec(keys)))


def _worker(client: Client, queue: str, upstream: Upstream) -> Worker:
    return create_worker(client, task_queue=queue, secrets=MemorySecretStore({"API": upstream.url}),
                         allow_hosts=["127.0.0.1"])


async def _until(check: Callable[[], Awaitable[bool]], timeout: float = 60) -> None:
    async def poll() -> None:
        while not await check():
            await asyncio.sleep(0.1)

    await asyncio.wait_for(poll(), timeout)


async def test_old_key_runs_stay_readable_after_rotation(client: Client, upstream: Upstream) -> None:
    upstream.route("POST", "/tell", Reply(200, {}))
    queue = f"rotation-{uuid.uuid4()}"
    old, new_only, rotated = _client(client, [OLD]), _client(client, [NEW]), _client(client, [NEW, OLD])
    document = Document.model_validate(yaml.safe_load(DOCUMENT))
    run = RunInput(run_id=RunClient.new_run_id(), workflow="rotation", revision=1, document=document,
                   trigger=TriggerData(body={"who": "old-key caller"}))
    await RunClient(old, task_queue=queue).start(run)  # encrypted with OLD
    handle = rotated.get_workflow_handle(run.run_id)

    async def task_failed_naming_old() -> bool:
        for event in (await handle.fetch_history()).events:
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:  # its message is encrypted too
                failure = await rotated.data_converter.decode_failure(event.workflow_task_failed_event_attributes.failure)
                if OLD.key_id in str(failure):
                    return True
        return False

    async with _worker(new_only, queue, upstream):  # forgot the old key: its task fails, the run waits
        await _until(task_failed_naming_old)
    status = (await handle.describe()).status
    assert status is not None and status.name == "RUNNING"

    async with _worker(rotated, queue, upstream):
        runs = RunClient(rotated, task_queue=queue)

        async def waiting() -> bool:
            return (await runs.state(run.run_id, project="default")).steps["hold"].status == "waiting"

        await _until(waiting)
        await runs.signal(run.run_id, "go", {"said": "after rotation"}, project="default")
        await _until(lambda: _closed(runs, run.run_id))
    assert upstream.received("POST", "/tell")[0].json() == {"who": "old-key caller", "said": "after rotation"}

    history = await handle.fetch_history()
    ids = {p.metadata[KEY_ID].decode() for e in history.events for p in _event_payloads(e) if KEY_ID in p.metadata}
    assert ids == {OLD.key_id, NEW.key_id}  # the start under the old key, the rest under the new


async def _closed(runs: RunClient, run_id: str) -> bool:
    return (await runs.state(run_id, project="default")).status == "completed"


def _event_payloads(event: HistoryEvent) -> list[Payload]:
    """The payloads of the events this test's run records (input, signal, results)."""
    started = event.workflow_execution_started_event_attributes
    signalled = event.workflow_execution_signaled_event_attributes
    completed = event.activity_task_completed_event_attributes
    return [*started.input.payloads, *signalled.input.payloads, *completed.result.payloads]
