"""What the registry refuses, as domain errors the gateway maps to HTTP in one place::

    RegistryError
    ├── WorkflowNotFound       no (live) workflow of that name       → 404
    ├── SecretNotFound         no secret of that name                → 404
    ├── InvalidSecretName      not [A-Z_][A-Z0-9_]*                  → 422
    ├── IdempotencyMismatch    same key, different body              → 422
    └── SecretKeyError         the encryption key is unusable        → 500 (startup)
"""

from __future__ import annotations


class RegistryError(Exception):
    """Base of the registry's errors; the message reads well on its own."""


class WorkflowNotFound(RegistryError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no workflow named {name!r} is registered")
        self.name = name


class SecretNotFound(RegistryError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no secret named {name!r}")
        self.name = name


class InvalidSecretName(RegistryError):
    def __init__(self, name: str) -> None:
        super().__init__(
            f"invalid secret name {name!r}: use upper-case letters, digits and '_', "
            "not starting with a digit (e.g. ECOM_API_URL), at most 128 characters"
        )
        self.name = name


class IdempotencyMismatch(RegistryError):
    def __init__(self, workflow: str, key: str) -> None:
        super().__init__(
            f"Idempotency-Key {key!r} was already used for workflow {workflow!r} with a "
            "different body; use a new key for a different request"
        )
        self.workflow = workflow
        self.key = key


class SecretKeyError(RegistryError):
    """The key that encrypts secrets is missing, malformed or does not match the data."""
