"""Where request activities get secret values from.

The worker is given a :class:`SecretStore`; the gateway's registry backs it in
production, :class:`MemorySecretStore` in tests. Values are read per request, inside
the activity, so they never pass through workflow history. Secrets are per project: a
run reads its own project's (``RequestInput.project``), never another's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from contract.names import DEFAULT_PROJECT


class SecretStore(Protocol):
    async def get(self, project: str, name: str) -> str | None:
        """The value of ``project``'s secret ``name``, or None when that project has not set it."""
        ...


class MemorySecretStore:
    """A dict-backed store for tests and embedded use.

    ``values`` is the default project's (what every test before projects set, and still
    the common case); :meth:`project` gives another project's mapping, made on first use.
    """

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self.projects: dict[str, dict[str, str]] = {DEFAULT_PROJECT: dict(values or {})}

    @property
    def values(self) -> dict[str, str]:
        """The default project's secrets (one dict, so updating it is seen by :meth:`get`)."""
        return self.projects[DEFAULT_PROJECT]

    def project(self, project: str) -> dict[str, str]:
        """``project``'s secrets, to read or fill in (the default project's is :attr:`values`)."""
        return self.projects.setdefault(project, {})

    async def get(self, project: str, name: str) -> str | None:
        found = self.projects.get(project)
        return found.get(name) if found is not None else None
