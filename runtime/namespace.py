"""A clean start on any namespace (SPEC §9): Dispatched's search attributes are there
before the first trigger, or the process refuses to start and says how to fix it.

A run is started with its ``DispatchedWorkflow``, ``DispatchedRevision`` and
``DispatchedProject`` attributes; on a namespace that lacks one, Temporal refuses the
start, and every trigger would answer ``500``. So the worker and the gateway check at
start: missing attributes are registered through the operator service where the server
allows it (a dev server, a self-hosted cluster with an operator's credentials); where it
does not (a managed namespace, a restricted role), the process exits 1 printing the
exact ``temporal operator search-attribute create`` commands. One of the right name
with another type is never "fixed": that is an operator's decision, said the same way.
"""

from __future__ import annotations

import logging

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.service import RPCError

from interpreter.search_attributes import SEARCH_ATTRIBUTES

_CLI_TYPES: dict[int, str] = {
    IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD: "Keyword",
    IndexedValueType.INDEXED_VALUE_TYPE_INT: "Int",
}


class NamespaceNotReady(RuntimeError):
    """The namespace lacks search attributes Dispatched needs and they could not be added;
    the message holds the commands that add them."""


def expected_attributes() -> dict[str, int]:
    """``name -> IndexedValueType`` of every search attribute a run carries."""
    return {key.name: int(key.indexed_value_type) for key in SEARCH_ATTRIBUTES}


def create_commands(namespace: str, names: dict[str, int]) -> list[str]:
    """The ``temporal`` CLI commands that create ``names`` in ``namespace``."""
    return [
        f"temporal operator search-attribute create --namespace {namespace} --name {name} --type {_CLI_TYPES[kind]}"
        for name, kind in sorted(names.items())
    ]


async def present_attributes(client: Client) -> dict[str, int]:
    """The namespace's custom search attributes and their types."""
    answer = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    return {name: int(kind) for name, kind in answer.custom_attributes.items()}


async def ensure_search_attributes(client: Client) -> list[str]:
    """Make sure the namespace has every attribute a run carries; the names added now.

    Raises:
        NamespaceNotReady: some are missing and the server refused to add them, or one
            exists with another type; the message has the commands to run.
    """
    wanted = expected_attributes()
    present = await present_attributes(client)
    wrong = {name: kind for name, kind in wanted.items() if name in present and present[name] != kind}
    if wrong:
        raise NamespaceNotReady(
            f"namespace {client.namespace!r} has {', '.join(sorted(wrong))} with another type than Dispatched needs; "
            "remove it (temporal operator search-attribute remove) and create it as:\n  "
            + "\n  ".join(create_commands(client.namespace, wrong))
        )
    missing = {name: kind for name, kind in wanted.items() if name not in present}
    if not missing:
        return []
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=client.namespace,
                search_attributes={name: IndexedValueType.ValueType(kind) for name, kind in missing.items()},
            )
        )
    except RPCError as error:
        raise NamespaceNotReady(
            f"namespace {client.namespace!r} lacks Dispatched's search attributes {', '.join(sorted(missing))}, "
            f"and the server would not add them ({error.message}); run once:\n  "
            + "\n  ".join(create_commands(client.namespace, missing))
        ) from None
    return sorted(missing)


async def prepare_namespace(client: Client, log: logging.Logger) -> None:
    """A process's check at start: add what is missing and say so in its log.

    Raises:
        NamespaceNotReady: as :func:`ensure_search_attributes` (the caller exits 1 with it).
    """
    added = await ensure_search_attributes(client)
    if added:
        log.info("registered search attributes %s in namespace %s", ", ".join(added), client.namespace)
