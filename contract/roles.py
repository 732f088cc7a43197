"""Projects' roles (SPEC §6): what a token of each role may do.

The roles are ordered, each including the one before it::

    read    read runs, events, workflows, the secret list, the marketplace
    run     + trigger, signal and cancel runs
    deploy  + register and delete workflows, set and unset secrets, use templates
    admin   + manage the project's tokens, publish and withdraw templates

The operator token (``DISPATCHED_TOKEN``) is ``admin`` of every project and the only
one that creates projects.
"""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal["read", "run", "deploy", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)


def is_role(value: str) -> bool:
    """Whether ``value`` names a role."""
    return value in ROLES


def role_allows(held: Role, needed: Role) -> bool:
    """Whether a token of role ``held`` may do what needs ``needed``."""
    return ROLES.index(held) >= ROLES.index(needed)
