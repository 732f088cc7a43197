"""The fixed payload key of the test suite (runtime/codec.py).

Fixed, so the session's Temporal client, the workers the tests start (in this process or
as subprocesses, through ``DISPATCHED_PAYLOAD_KEY``) and the recorded encrypted histories
in tests/workflow/histories/encrypted all agree. Never a production key: it is public.
"""

from __future__ import annotations

import base64

from runtime.codec import EncryptionCodec, encrypting_converter
from runtime.payload_keys import PayloadKey

TEST_PAYLOAD_KEY = base64.b64encode(b"dispatched-test-payload-key-0001").decode()
TEST_KEY = PayloadKey(base64.b64decode(TEST_PAYLOAD_KEY))
TEST_CODEC = EncryptionCodec([TEST_KEY])
TEST_CONVERTER = encrypting_converter(TEST_CODEC)
