"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) with one key per installation.

The key comes from ``DISPATCHED_SECRET_KEY`` or from ``<data_dir>/secret.key``, made on
first use with mode 0600. A database copied without its key reveals no secret value.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from registry.errors import SecretKeyError

KEY_HINT = (
    "a Fernet key is 32 random bytes in URL-safe base64 (44 characters); make one with "
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


class SecretCipher:
    """Encrypts and decrypts secret values with the installation's key."""

    def __init__(self, key: str | bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as exc:
            raise SecretKeyError(f"the secrets key is not a valid Fernet key: {KEY_HINT}") from exc

    @classmethod
    def from_key_file(cls, path: Path) -> SecretCipher:
        """Read the key file, creating it (mode 0600) if it does not exist yet."""
        return cls(load_or_create_key(path))

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except InvalidToken as exc:
            raise SecretKeyError(
                "a stored secret does not decrypt with this key: DISPATCHED_SECRET_KEY or "
                "the key file differs from the one the secret was written with"
            ) from exc


def load_or_create_key(path: Path) -> bytes:
    """The key in ``path``; a new one is written with O_EXCL so two processes starting
    together agree on one key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    key = Fernet.generate_key()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    return key


def _read_key(path: Path) -> bytes:
    # Another process may have created the file a moment ago and not written it yet.
    for _ in range(50):
        key = path.read_bytes().strip()
        if key:
            return key
        time.sleep(0.02)
    raise SecretKeyError(f"the key file {path} is empty: {KEY_HINT}")
