"""What the registry refuses, as domain errors the gateway maps to HTTP in one place::

    RegistryError
    ├── WorkflowNotFound       no (live) workflow of that name       → 404
    ├── SecretNotFound         no secret of that name                → 404
    ├── ProjectNotFound        no project of that name               → 404
    ├── TokenNotFound          no token with that id in the project  → 404
    ├── TemplateNotFound       no template @owner/slug               → 404
    ├── ProjectExists          a project of that name exists         → 409
    ├── InvalidSecretName      not [A-Z_][A-Z0-9_]*                  → 422
    ├── InvalidProjectName     not a slug                            → 422
    ├── InvalidRole            not read, run, deploy or admin        → 422
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


class ProjectNotFound(RegistryError):
    def __init__(self, name: str) -> None:
        super().__init__(f"no project named {name!r}")
        self.name = name


class ProjectExists(RegistryError):
    def __init__(self, name: str) -> None:
        super().__init__(f"a project named {name!r} exists already")
        self.name = name


class InvalidProjectName(RegistryError):
    def __init__(self, name: str, rule: str) -> None:
        super().__init__(f"invalid project name {name!r}: {rule}")
        self.name = name


class InvalidRole(RegistryError):
    def __init__(self, role: str) -> None:
        super().__init__(f"invalid role {role!r}: expected one of read, run, deploy, admin")
        self.role = role


class TokenNotFound(RegistryError):
    def __init__(self, token_id: str) -> None:
        super().__init__(f"no token {token_id!r} in this project")
        self.token_id = token_id


class TemplateNotFound(RegistryError):
    def __init__(self, template_id: str) -> None:
        super().__init__(f"no template {template_id!r} in the marketplace")
        self.template_id = template_id
