"""The registry as the worker sees it: a :class:`~activities.secrets.SecretStore` and a
:class:`~activities.catalog.WorkflowCatalog`, both per project.

The worker process opens its own :class:`~registry.Registry` (same
``DISPATCHED_DATABASE`` and secrets key as the gateway) and hands these to
``create_worker``; values are decrypted per request, inside the activity.
:func:`cached_secret_store` puts the worker's secret cache (:mod:`runtime.secret_cache`)
in front, fed by the registry's change feed (:mod:`registry.secret_changes`).
"""

from __future__ import annotations

from activities.catalog import CurrentWorkflow
from interpreter.revisions import CompiledRevisions
from registry import Registry
from registry.secret_changes import secret_changes
from runtime.secret_cache import CachedSecretStore


class RegistrySecretStore:
    """Secret values for request activities, decrypted from the registry."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def get(self, project: str, name: str) -> str | None:
        return await self._registry.secrets.get(project, name)


def cached_secret_store(registry: Registry, *, ttl: float) -> CachedSecretStore:
    """The worker's store: registry values kept ``ttl`` seconds, dropped when they change."""
    return CachedSecretStore(RegistrySecretStore(registry), lambda: secret_changes(registry.db), ttl=ttl)


class RegistryWorkflowCatalog:
    """The current revision of a project's workflow, for ``Dispatched-Spawn``.

    One registry read per spawn (``Workflows.trigger_view``, as a trigger does); the
    revision's compiled form, which never changes, is kept in a compiled cache of the
    worker's own, so a spawn neither validates nor compiles the child document again.
    """

    def __init__(self, registry: Registry, compiled: CompiledRevisions | None = None) -> None:
        self._registry = registry
        self._compiled = compiled or CompiledRevisions()

    async def current(self, project: str, name: str) -> CurrentWorkflow | None:
        """``project``'s current revision of ``name`` and the secrets it uses that the
        project has not set: a spawn of it is rejected as a trigger of it is refused."""
        found = await self._registry.workflows.trigger_view(project, name)
        if found is None:
            return None
        compiled = await self._compiled.load(
            project, name, found.revision, lambda: self._registry.workflows.document_json(project, name, found.revision)
        )
        return CurrentWorkflow(compiled.document, found.revision, found.pending(compiled.secrets))
