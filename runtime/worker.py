"""A Temporal worker that runs the generic workflow and the engine's activities.

:func:`create_worker` wires the interpreter's workflow to the activities; it is the one
place the two meet (they never import each other). :func:`build_worker` does the same
over the registry, as ``dispatched worker`` and ``dispatched dev`` run it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.catalog import CatalogActivities, MemoryCatalog, WorkflowCatalog
from activities.http import HttpActivities
from activities.network import NetworkPolicy
from activities.secrets import SecretStore
from contract.limits import DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RUNNING_SPAWNS
from interpreter.workflow import DispatchedRun
from registry import Registry
from runtime.activations import EventLoopActivations
from runtime.registry_adapters import RegistryWorkflowCatalog, cached_secret_store
from runtime.settings import DEFAULT_MAX_CACHED_RUNS, Settings
from runtime.tracing import client_tracer


class DispatchedWorker(Worker):
    """A worker that also owns the activities' shared HTTP client and closes it on shutdown
    (both ``async with`` and ``run()`` end in ``run()``), and whatever else is put in
    :attr:`closing` (the secret cache's change feed)."""

    def __init__(self, client: Client, *, http: HttpActivities, **options: Any) -> None:
        super().__init__(client, **options)
        self.http = http
        self.closing: list[Callable[[], Awaitable[None]]] = []

    async def run(self) -> None:
        try:
            await super().run()
        finally:
            await self.http.aclose()
            for close in self.closing:
                await close()


STICKY_QUEUE_TIMEOUT = timedelta(seconds=3)

# The engine's one workflow runs without the SDK's sandbox. The sandbox isolates and
# restricts the modules it imports itself, once per run; the engine's modules had to be
# passed through it (re-importing them cost ~19 ms of CPU per run started), and code
# passed through is never checked: a `datetime.now()` in the interpreter ran unhindered
# inside the sandbox (tried: bench/README.md, *The workflow sandbox*). So it guarded none
# of our code while its per-activation set-up cost ~2-4 ms of a 3-step run. What holds the
# workflow to determinism instead: tests/workflow/determinism.py checks from the source
# that every module the workflow reaches imports only pure modules and reads the time only
# as workflow.now(), and every recorded history replays both with this runner and in the
# SDK's default sandbox (tests/workflow/test_replay.py).
WORKFLOW_RUNNER = UnsandboxedWorkflowRunner()


def create_worker(
    client: Client,
    *,
    task_queue: str,
    secrets: SecretStore,
    catalog: WorkflowCatalog | None = None,
    max_body_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    allow_hosts: Sequence[str] = (),
    max_running_spawns: int = DEFAULT_MAX_RUNNING_SPAWNS,
    max_cached_runs: int = DEFAULT_MAX_CACHED_RUNS,
    tuning: Mapping[str, Any] | None = None,
) -> DispatchedWorker:
    """Build the worker; ``client`` must use the pydantic data converter.

    ``max_cached_runs`` (``DISPATCHED_MAX_CACHED_RUNS``) bounds the runs kept in memory
    between their tasks (``DEFAULT_MAX_CACHED_RUNS``).
    ``tuning`` passes Temporal worker options through as they are (poller counts, task
    slots, cache size): what the bench tries (bench/README.md says what helped).

    ``catalog`` answers which revision a ``Dispatched-Spawn`` starts; without one, only
    an empty in-memory catalog exists and every spawn is rejected as unknown.
    ``allow_hosts`` (``DISPATCHED_ALLOW_HOSTS``) opens private or loopback hosts, addresses
    or CIDRs to request steps; the Temporal server's own ports stay closed whatever it says.
    ``max_running_spawns`` (``DISPATCHED_MAX_RUNNING_SPAWNS``) caps a project's spawned runs
    running at once; the resolve look-up reports it with its counts (``contract.limits``).
    """
    network = NetworkPolicy.from_allow_hosts(allow_hosts, temporal_address=client.service_client.config.target_host)
    # The attempts' spans go where the client's tracing interceptor sends its own.
    http = HttpActivities(secrets=secrets, max_body_bytes=max_body_bytes, network=network, tracer=client_tracer(client))
    lookups = CatalogActivities(catalog or MemoryCatalog(), max_running_spawns=max_running_spawns)
    return DispatchedWorker(
        client,
        http=http,
        task_queue=task_queue,
        workflows=[DispatchedRun],
        activities=[http.request, lookups.resolve_workflow, lookups.run_is_open],
        # A worker that died holds its runs' next workflow task on its sticky queue until
        # this passes (SDK default 10 s); 3 s lets another worker take over sooner, at the
        # cost of an occasional full replay when a live worker is merely slow.
        sticky_queue_schedule_to_start_timeout=STICKY_QUEUE_TIMEOUT,
        workflow_runner=WORKFLOW_RUNNER,
        # Activations run on the worker's event loop, not a pool thread (runtime/activations.py).
        **({"max_cached_workflows": max_cached_runs, "workflow_task_executor": EventLoopActivations()} | dict(tuning or {})),
    )


def build_worker(client: Client, settings: Settings, registry: Registry) -> DispatchedWorker:
    """The engine's worker over the registry: its secrets (cached, ``runtime/secret_cache.py``)
    and its catalog."""
    secrets = cached_secret_store(registry, ttl=settings.secret_cache_seconds)
    worker = create_worker(
        client,
        task_queue=settings.task_queue,
        secrets=secrets,
        catalog=RegistryWorkflowCatalog(registry),
        max_body_bytes=settings.max_response_bytes,
        allow_hosts=settings.allow_hosts,
        max_running_spawns=settings.max_running_spawns,
        max_cached_runs=settings.max_cached_runs,
    )
    worker.closing.append(secrets.aclose)
    return worker
