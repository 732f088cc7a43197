"""The keys that encrypt payloads in Temporal's history (SPEC §9), and where they come from.

A key is 32 random bytes (AES-256), written as base64 (standard or URL-safe alphabet,
``=`` padding optional). ``DISPATCHED_PAYLOAD_KEY`` holds one or more, comma-separated;
without it the keys are read from ``<data_dir>/payload.key`` (one per line, ``#`` starts
a comment), which is made with one new key on first start. The FIRST key encrypts every
new payload; every listed key decrypts, so rotating is: put a new key first and keep
the old ones after it for as long as runs encrypted with them may be read.

A key's id is derived from the key itself (the first 16 hex digits of a SHA-256 over a
fixed label and the key), so an id can never be paired with the wrong key and nobody has
to name keys. It goes into each payload's metadata; for a random 256-bit key the hash
says nothing about the key.

The key file is made atomically: written to a private temporary file (mode 0600) and
hard-linked into place, which fails if another process got there first. The gateway and
the worker of ``dispatched dev`` start together and agree on the first key either way,
and no reader ever sees a half-written file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

KEY_BYTES = 32
KEY_ENV = "DISPATCHED_PAYLOAD_KEY"
KEY_FILE_NAME = "payload.key"
KEY_HINT = (
    "a payload key is 32 random bytes in base64 (44 characters); make one with "
    "python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'"
)
_ID_LABEL = b"dispatched payload key id\x00"


class PayloadKeyError(ValueError):
    """The payload keys are unusable (bad key material, or an unknown key id); the message
    names which key or id, and where it came from."""


@dataclass(frozen=True)
class PayloadKey:
    """One AES-256 key and its derived id; ``repr`` never shows the key."""

    material: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.material) != KEY_BYTES:
            raise PayloadKeyError(f"a payload key must be {KEY_BYTES} bytes, not {len(self.material)}: {KEY_HINT}")

    @property
    def key_id(self) -> str:
        return hashlib.sha256(_ID_LABEL + self.material).hexdigest()[:16]

    @classmethod
    def generate(cls) -> PayloadKey:
        return cls(secrets.token_bytes(KEY_BYTES))

    def encoded(self) -> str:
        """The key as written in ``DISPATCHED_PAYLOAD_KEY`` or the key file."""
        return base64.b64encode(self.material).decode("ascii")


def parse_keys(text: str, *, source: str) -> list[PayloadKey]:
    """The keys in ``text`` (commas or lines between keys, ``#`` comments), first one
    first. ``source`` names where the text came from, for the error message."""
    entries = []
    for line in text.splitlines():
        entries += [part.strip() for part in line.split("#", 1)[0].split(",") if part.strip()]
    if not entries:
        raise PayloadKeyError(f"{source} holds no payload key: {KEY_HINT}")
    keys = [_decode(entry, source=source, position=index) for index, entry in enumerate(entries, start=1)]
    ids = [key.key_id for key in keys]
    if len(set(ids)) != len(ids):
        raise PayloadKeyError(f"{source} lists the same payload key twice")
    return keys


def _decode(entry: str, *, source: str, position: int) -> PayloadKey:
    padded = entry + "=" * (-len(entry) % 4)
    try:
        material = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise PayloadKeyError(f"payload key {position} of {source} is not base64: {KEY_HINT}") from None
    if len(material) != KEY_BYTES:
        raise PayloadKeyError(
            f"payload key {position} of {source} is {len(material)} bytes, not {KEY_BYTES}: {KEY_HINT}"
        )
    return PayloadKey(material)


def load_or_create_key_file(path: Path) -> list[PayloadKey]:
    """The keys in ``path``; when it does not exist, one new key written there first."""
    if not path.exists():
        _create_atomically(path, PayloadKey.generate().encoded() + "\n")
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise PayloadKeyError(f"cannot read the payload key file {path}: {exc}") from exc
    return parse_keys(text, source=f"the payload key file {path}")


def _create_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` unless it exists: a finished private file, linked in.

    ``os.link`` fails when the name exists, so of two processes racing exactly one file
    wins and both then read it; the loser's temporary file is removed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)
