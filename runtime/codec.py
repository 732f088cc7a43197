"""Encrypted history: the payload codec on every Temporal client and worker (SPEC §9).

Every payload a Dispatched client or worker hands to Temporal (trigger bodies, signal
payloads, step results, answers, memos) leaves here as AES-256-GCM ciphertext of the
whole serialized original ``Payload`` (its metadata too, so not even the encoding shows).
The result's metadata says what it is, so a reader knows what to ask for::

    encoding           binary/encrypted
    encryption-key-id  the id of the key (runtime/payload_keys.py)
    encryption-cipher  AES-256-GCM

and its data is a 12-byte random nonce followed by the ciphertext and tag; the key id is
the associated data, so a payload relabelled with another id does not decrypt.

Decoding passes a payload WITHOUT the ``binary/encrypted`` marker through unchanged:
``temporal workflow signal --input '{...}'`` sends plain JSON, and runs recorded before
encryption hold plain payloads, and both must keep working exactly as before (SPEC §5).
A marked payload whose key id is not among the keys fails with an error naming the id.
Failure messages are encrypted as well (:func:`encrypting_converter`). Search attributes
are never encoded (Temporal must index them); they hold only the workflow, revision and
project names and a lineage's root run id.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec

from runtime.payload_keys import KEY_ENV, PayloadKey, PayloadKeyError, load_or_create_key_file, parse_keys
from runtime.settings import Settings

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
CIPHER = "encryption-cipher"
CIPHER_NAME = b"AES-256-GCM"
_NONCE_BYTES = 12


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over whole payloads; ``keys[0]`` encrypts, every key decrypts."""

    def __init__(self, keys: Sequence[PayloadKey]) -> None:
        if not keys:
            raise PayloadKeyError("the payload codec needs at least one key")
        self._current = keys[0].key_id
        self._ciphers = {key.key_id: AESGCM(key.material) for key in keys}

    @property
    def key_ids(self) -> list[str]:
        """The ids of the keys, the encrypting one first."""
        return list(self._ciphers)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(payload) for payload in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        nonce = os.urandom(_NONCE_BYTES)
        key_id = self._current.encode()
        sealed = self._ciphers[self._current].encrypt(nonce, payload.SerializeToString(), key_id)
        return Payload(metadata={"encoding": ENCODING, KEY_ID: key_id, CIPHER: CIPHER_NAME}, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        """The original of an encrypted payload; any other payload as it is."""
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        raw_id = payload.metadata.get(KEY_ID)
        if raw_id is None:
            raise PayloadKeyError(f"an encrypted payload carries no {KEY_ID} in its metadata")
        key_id = raw_id.decode(errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise PayloadKeyError(
                f"a payload is encrypted with payload key id {key_id!r}, which this process does not have "
                f"(its keys: {', '.join(self._ciphers)}): list that key after the current one in "
                f"{KEY_ENV} or in the payload.key file"
            )
        data = payload.data
        try:
            plain = cipher.decrypt(data[:_NONCE_BYTES], data[_NONCE_BYTES:], raw_id)
        except InvalidTag:
            raise PayloadKeyError(
                f"a payload encrypted with payload key id {key_id!r} does not decrypt: altered or truncated"
            ) from None
        return Payload.FromString(plain)


def payload_keys(settings: Settings) -> list[PayloadKey]:
    """``DISPATCHED_PAYLOAD_KEY`` when set, else ``<data_dir>/payload.key`` (made on first use)."""
    if settings.payload_key is not None:
        return parse_keys(settings.payload_key.get_secret_value(), source=KEY_ENV)
    return load_or_create_key_file(settings.payload_key_file)


def payload_codec(settings: Settings) -> EncryptionCodec:
    """The codec of this installation's keys; :class:`PayloadKeyError` when they are unusable."""
    return EncryptionCodec(payload_keys(settings))


def encrypting_converter(codec: PayloadCodec) -> DataConverter:
    """The pydantic data converter (the workflow's messages need it) with ``codec`` applied.

    Failures too: a step's error message quotes the start of the upstream's answer
    ("answered 404: {...}"), so the failure converter moves every failure's message and
    stack trace into its encoded attributes, which the codec encrypts like any payload
    (history shows "Encoded failure"; the Web UI and CLI decode it through /codec).
    """
    return dataclasses.replace(
        pydantic_data_converter, payload_codec=codec, failure_converter_class=DefaultFailureConverterWithEncodedAttributes
    )
