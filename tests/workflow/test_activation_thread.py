"""The worker runs the workflow's activations on its event loop's thread (runtime/activations.py):
the SDK's thread-pool hand-off cost 0.15-0.3 ms per workflow task (bench/README.md)."""

from __future__ import annotations

import threading
from typing import Any

from temporalio import client as temporal_client
from temporalio.client import Client
from temporalio.worker import ExecuteWorkflowInput, Interceptor, WorkflowInboundInterceptor, WorkflowInterceptorClassInput

from tests.upstream import Reply, Upstream
from tests.workflow.engine import running_engine

# The threads the workflow ran its code on (the worker runs without the sandbox, so this
# module's state is the one the test reads).
workflow_threads: list[int] = []


class _RecordThread(WorkflowInboundInterceptor):
    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        workflow_threads.append(threading.get_ident())
        result = await super().execute_workflow(input)  # resumed in later activations
        workflow_threads.append(threading.get_ident())
        return result


class _ThreadRecorder(temporal_client.Interceptor, Interceptor):
    """On the client, so the worker built on it takes its workflow interceptor."""

    def workflow_interceptor_class(self, input: WorkflowInterceptorClassInput) -> type[WorkflowInboundInterceptor]:
        return _RecordThread


DOCUMENT = """
name: thread-check
steps:
  call:
    request:
      url: "{{ secrets.API }}/x"
"""


async def test_activations_run_on_the_thread_of_the_workers_event_loop(client: Client, upstream: Upstream) -> None:
    upstream.route("GET", "/x", Reply(200, {"ok": True}))
    recorded = Client(
        client.service_client, namespace=client.namespace, data_converter=client.data_converter, interceptors=[_ThreadRecorder()]
    )
    workflow_threads.clear()
    async with running_engine(recorded, secrets={"API": upstream.url}) as engine:
        run_id = await engine.start(DOCUMENT)
        state = await engine.finish(run_id)
    assert state.status == "completed"
    # The first activation and the last (after the step's activity): both on this thread.
    assert workflow_threads == [threading.get_ident()] * 2
