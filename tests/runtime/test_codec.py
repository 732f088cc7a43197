"""The payload codec and its keys, without a server (runtime/codec.py, runtime/payload_keys.py)."""

from __future__ import annotations

import base64
import json
import multiprocessing
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload

from contract.messages import TriggerData
from runtime.codec import ENCODING, KEY_ID, EncryptionCodec, encrypting_converter, payload_codec
from runtime.payload_keys import KEY_BYTES, PayloadKey, PayloadKeyError, load_or_create_key_file, parse_keys
from runtime.settings import Settings
from runtime.temporal import connect_options

CANARY = "canary.codec@example.invalid"
OLD, NEW = PayloadKey(b"o" * KEY_BYTES), PayloadKey(b"n" * KEY_BYTES)


def _plain(value: object) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(value).encode())


async def test_a_payload_round_trips_and_shows_nothing_of_itself() -> None:
    codec = EncryptionCodec([NEW])
    original = _plain({"email": CANARY})
    [sealed] = await codec.encode([original])
    assert sealed.metadata["encoding"] == ENCODING and sealed.metadata[KEY_ID] == NEW.key_id.encode()
    assert CANARY.encode() not in sealed.SerializeToString() and b"json/plain" not in sealed.SerializeToString()
    [opened] = await codec.decode([sealed])
    assert opened == original
    [again] = await codec.encode([original])
    assert again.data[:12] != sealed.data[:12]  # a fresh nonce every time


async def test_a_payload_without_the_marker_passes_through() -> None:
    """What ``temporal workflow signal --input '{...}'`` sends, and what old runs recorded."""
    plain = _plain({"street": "100 Main St"})
    assert await EncryptionCodec([NEW]).decode([plain]) == [plain]


async def test_the_converter_encrypts_the_workflows_messages() -> None:
    converter = encrypting_converter(EncryptionCodec([NEW]))
    [payload] = await converter.encode([TriggerData(body={"email": CANARY})])
    assert CANARY.encode() not in payload.data
    [back] = await converter.decode([payload], [TriggerData])
    assert back == TriggerData(body={"email": CANARY})


async def test_rotation_new_key_encrypts_old_key_still_decrypts() -> None:
    [old_sealed] = await EncryptionCodec([OLD]).encode([_plain(1)])
    rotated = EncryptionCodec([NEW, OLD])
    [new_sealed] = await rotated.encode([_plain(2)])
    assert new_sealed.metadata[KEY_ID] == NEW.key_id.encode()
    assert await rotated.decode([old_sealed, new_sealed]) == [_plain(1), _plain(2)]


async def test_an_unknown_key_id_is_named_in_the_error() -> None:
    [sealed] = await EncryptionCodec([OLD]).encode([_plain(1)])
    with pytest.raises(PayloadKeyError, match=f"payload key id '{OLD.key_id}'.*DISPATCHED_PAYLOAD_KEY"):
        await EncryptionCodec([NEW]).decode([sealed])


async def test_an_altered_payload_or_relabelled_key_id_does_not_decrypt() -> None:
    codec = EncryptionCodec([NEW, OLD])
    [sealed] = await codec.encode([_plain(1)])
    flipped = Payload(metadata=sealed.metadata, data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    with pytest.raises(PayloadKeyError, match="does not decrypt"):
        await codec.decode([flipped])
    relabelled = Payload(metadata={**sealed.metadata, KEY_ID: OLD.key_id.encode()}, data=sealed.data)
    with pytest.raises(PayloadKeyError, match="does not decrypt"):
        await codec.decode([relabelled])
    no_id = Payload(metadata={"encoding": ENCODING}, data=sealed.data)
    with pytest.raises(PayloadKeyError, match="no encryption-key-id"):
        await codec.decode([no_id])


def test_key_text_formats() -> None:
    standard = base64.b64encode(b"\xfb" * KEY_BYTES).decode()
    urlsafe = base64.urlsafe_b64encode(b"\xfb" * KEY_BYTES).decode().rstrip("=")
    assert parse_keys(standard, source="x") == parse_keys(urlsafe, source="x")
    listed = parse_keys(f" {NEW.encoded()} ,{OLD.encoded()}", source="x")
    assert [k.key_id for k in listed] == [NEW.key_id, OLD.key_id]
    lines = parse_keys(f"# current\n{NEW.encoded()}\n\n{OLD.encoded()}  # retired\n", source="x")
    assert lines == listed
    assert NEW.material.hex() not in repr(NEW)


@pytest.mark.parametrize(("text", "message"), [
    ("", "DISPATCHED_PAYLOAD_KEY holds no payload key"),
    ("not base64!", "payload key 1 of DISPATCHED_PAYLOAD_KEY is not base64"),
    (f"{NEW.encoded()},{base64.b64encode(b'short').decode()}", "payload key 2 of DISPATCHED_PAYLOAD_KEY is 5 bytes, not 32"),
    (f"{NEW.encoded()},{NEW.encoded()}", "lists the same payload key twice"),
])
def test_bad_key_material_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(PayloadKeyError, match=message):
        parse_keys(text, source="DISPATCHED_PAYLOAD_KEY")


def test_settings_give_the_environment_keys_first(tmp_path: Path) -> None:
    settings = Settings(payload_key=SecretStr(f"{NEW.encoded()},{OLD.encoded()}"), data_dir=tmp_path)
    assert payload_codec(settings).key_ids == [NEW.key_id, OLD.key_id]
    assert not settings.payload_key_file.exists()  # the variable wins; no file is made
    with pytest.raises(PayloadKeyError, match="payload key 1 of DISPATCHED_PAYLOAD_KEY is 3 bytes, not 32"):
        connect_options(Settings(payload_key=SecretStr("nope"), data_dir=tmp_path))  # at start, before connecting


def test_without_the_variable_a_private_key_file_is_made_once(tmp_path: Path) -> None:
    settings = Settings(payload_key=None, data_dir=tmp_path / "data")
    first = payload_codec(settings).key_ids
    assert stat.S_IMODE(settings.payload_key_file.stat().st_mode) == 0o600
    assert payload_codec(settings).key_ids == first  # kept, not made again
    assert os.listdir(tmp_path / "data") == ["payload.key"]  # no temporary file left behind
    # Rotation in the file: a new first line encrypts, the old key still decrypts.
    settings.payload_key_file.write_text(f"{NEW.encoded()}\n{settings.payload_key_file.read_text()}")
    assert payload_codec(settings).key_ids == [NEW.key_id, *first]


def test_a_broken_key_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "payload.key"
    path.write_text("not a key!\n")
    with pytest.raises(PayloadKeyError, match=f"payload key 1 of the payload key file {path} is not base64"):
        load_or_create_key_file(path)


def _make_key(path: str, ready: object, results: object) -> None:
    ready.wait()  # type: ignore[attr-defined]
    results.put(load_or_create_key_file(Path(path))[0].key_id)  # type: ignore[attr-defined]


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    """``dispatched dev`` starts the gateway and the worker together on one data dir."""
    context = multiprocessing.get_context("spawn")
    ready, results = context.Event(), context.Queue()
    path = tmp_path / "payload.key"
    processes = [context.Process(target=_make_key, args=(str(path), ready, results)) for _ in range(6)]
    for process in processes:
        process.start()
    ready.set()
    ids = {results.get(timeout=60) for _ in processes}
    for process in processes:
        process.join(timeout=60)
    assert len(ids) == 1 and ids == {load_or_create_key_file(path)[0].key_id}


@pytest.mark.parametrize("command", [["worker"], ["gateway", "--port", "0"]])
def test_a_process_with_a_bad_key_exits_1_saying_why(command: list[str], tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISPATCHED_", "TEMPORAL_"))}
    env |= {"DISPATCHED_PAYLOAD_KEY": "c2hvcnQ=", "DISPATCHED_DATA_DIR": str(tmp_path),
            "DISPATCHED_DATABASE": str(tmp_path / "d.db"), "DISPATCHED_METRICS_PORT": "0",
            "TEMPORAL_ADDRESS": "127.0.0.1:1"}  # never reached: the key is read first
    done = subprocess.run([str(Path(sys.executable).parent / "dispatched"), *command], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "payload key 1 of DISPATCHED_PAYLOAD_KEY is 5 bytes, not 32" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_codec_settings_read_from_the_environment() -> None:
    settings = Settings.from_environ({
        "DISPATCHED_PAYLOAD_KEY": f"{NEW.encoded()},{OLD.encoded()}",
        "DISPATCHED_CODEC_CORS_ORIGINS": "http://127.0.0.1:8233, http://localhost:8233,",
        "DISPATCHED_CODEC_OPEN_TO_LOOPBACK": "true",
    })
    assert settings.codec_cors_origins == ["http://127.0.0.1:8233", "http://localhost:8233"]
    assert settings.codec_open_to_loopback is True
    assert NEW.encoded() not in repr(settings)  # a key never shows in a log of the settings
    unset = Settings.from_environ({"DISPATCHED_PAYLOAD_KEY": "  "})
    assert unset.payload_key is None and unset.codec_cors_origins == [] and unset.codec_open_to_loopback is False
    assert unset.payload_key_file == Path(".dispatched/payload.key")
