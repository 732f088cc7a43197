"""The bench's Temporal clients: Dispatched's encrypt payloads, the hand-written baseline's don't.

Every Dispatched client and worker encrypts its payloads (runtime/codec.py), so the bench's
do too, with one fixed bench key handed to the worker and gateway subprocesses in
``DISPATCHED_PAYLOAD_KEY``. The hand-written baseline is what a user writes by hand: the
plain pydantic converter, no codec. ``dispatched-plain`` is a Dispatched worker without
the codec, for ``python -m bench.codec`` alone (the cost of encryption, measured), and so is
``dispatched-noop``, whose codec changes nothing.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, PayloadCodec

from runtime.codec import EncryptionCodec, encrypting_converter
from runtime.payload_keys import PayloadKey

BENCH_PAYLOAD_KEY = base64.b64encode(b"dispatched-bench-payload-key-001").decode()
BENCH_CODEC = EncryptionCodec([PayloadKey(base64.b64decode(BENCH_PAYLOAD_KEY))])


def payload_env() -> dict[str, str]:
    """What a bench subprocess needs in its environment to share the bench key."""
    return {"DISPATCHED_PAYLOAD_KEY": BENCH_PAYLOAD_KEY}


class PassThroughCodec(PayloadCodec):
    """A codec that changes nothing: what the SDK's handing of payloads to a codec costs by itself."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)


def converter(kind: str) -> DataConverter:
    """The data converter of a bench worker or client of ``kind``."""
    if kind == "dispatched":
        return encrypting_converter(BENCH_CODEC)
    if kind == "dispatched-noop":
        return encrypting_converter(PassThroughCodec())
    return pydantic_data_converter


def on_connection(client: Client, kind: str) -> Client:
    """A client on ``client``'s connection with the converter of ``kind``."""
    return Client(client.service_client, namespace=client.namespace, data_converter=converter(kind))
