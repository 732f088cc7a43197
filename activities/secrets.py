"""Where request activities get secret values from.

The worker is given a :class:`SecretStore`; the gateway's registry backs it in
production, :class:`MemorySecretStore` in tests. Values are read per request, inside
the activity, so they never pass through workflow history.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class SecretStore(Protocol):
    async def get(self, name: str) -> str | None:
        """The secret's value, or None when it is not set."""
        ...


class MemorySecretStore:
    """A dict-backed store for tests and embedded use."""

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self.values = dict(values or {})

    async def get(self, name: str) -> str | None:
        return self.values.get(name)
