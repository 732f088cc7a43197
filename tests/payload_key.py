"""The fixed payload key of the test suite (runtime/codec.py).

Fixed, so the session's Temporal client, the workers the tests start (in this process or
as subprocesses, through ``DISPATCHED_PAYLOAD_KEY``) and the recorded encrypted histories
in tests/workflow/histories/encrypted all agree. Never a production key: it is public.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

from google.protobuf import json_format
from temporalio.api.common.v1 import Payload

from runtime.codec import EncryptionCodec, encrypting_converter
from runtime.payload_keys import PayloadKey

TEST_PAYLOAD_KEY = base64.b64encode(b"dispatched-test-payload-key-0001").decode()
TEST_KEY = PayloadKey(base64.b64decode(TEST_PAYLOAD_KEY))
TEST_CODEC = EncryptionCodec([TEST_KEY])
TEST_CONVERTER = encrypting_converter(TEST_CODEC)


def decoded_history_json(shown: str) -> str:
    """``temporal workflow show --output json`` with every payload as readable text: the
    encrypted ones decrypted with the suite's key, every payload's data as UTF-8 rather
    than base64. A test that greps a history for a canary must grep this, since the raw
    history shows only ciphertext (failure messages included) and so hides a leak."""
    return json.dumps(_decoded(json.loads(shown)), indent=1)


def _decoded(node: Any) -> Any:
    if isinstance(node, dict):
        if isinstance(node.get("metadata"), dict) and "encoding" in node["metadata"]:
            payload = TEST_CODEC.decrypt(json_format.ParseDict(node, Payload()))
            return {"metadata": {k: v.decode(errors="replace") for k, v in payload.metadata.items()},
                    "data": payload.data.decode(errors="replace")}
        return {key: _decoded(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_decoded(item) for item in node]
    return node


def history_payloads(node: Any) -> Iterator[dict[str, Any]]:
    """Every Payload (protobuf JSON) of a history but the search attributes' (never encoded:
    Temporal indexes them) and the SDK's own patch markers (the patch id, written by the
    SDK's core without the codec)."""
    if isinstance(node, dict):
        if node.get("markerName") == "core_patch":
            return
        if isinstance(node.get("metadata"), dict) and "encoding" in node["metadata"]:
            yield node
            return
        for key, value in node.items():
            if key != "searchAttributes":
                yield from history_payloads(value)
    elif isinstance(node, list):
        for item in node:
            yield from history_payloads(item)
