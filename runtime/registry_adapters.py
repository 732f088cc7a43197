"""The registry as the worker sees it: a :class:`~activities.secrets.SecretStore` and a
:class:`~activities.catalog.WorkflowCatalog`.

The worker process opens its own :class:`~registry.Registry` (same
``DISPATCHED_DATABASE`` and secrets key as the gateway) and hands these to
``create_worker``; values are decrypted per request, inside the activity.
"""

from __future__ import annotations

from contract.document import Document
from registry import Registry


class RegistrySecretStore:
    """Secret values for request activities, decrypted from the registry."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def get(self, name: str) -> str | None:
        return await self._registry.secrets.get(name)


class RegistryWorkflowCatalog:
    """The current revision of a workflow, for ``Dispatched-Spawn``."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def current(self, name: str) -> tuple[Document, int] | None:
        found = await self._registry.workflows.current(name)
        return (found.document, found.revision) if found is not None else None
