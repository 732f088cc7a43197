"""The session cookie's codec (gateway/console/sessions.py), without a server: what it
seals, and every way a cookie stops being a session."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from pydantic import SecretStr

from gateway.console.sessions import SESSION_TTL, SessionCodec, derive_key
from runtime.settings import Settings

TOKEN = "dsp_the_token_itself"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_cookie_reads_back_until_it_expires_and_never_shows_the_token() -> None:
    clock = Clock()
    codec = SessionCodec(derive_key(b"k" * 44), clock=clock)
    session, cookie = codec.new(TOKEN)
    assert codec.read(cookie) == session and session.token == TOKEN
    assert TOKEN not in cookie and TOKEN.encode() not in base64.urlsafe_b64decode(cookie)
    assert session.csrf_matches(session.csrf) and not session.csrf_matches(session.csrf[:-1]) and not session.csrf_matches(None)
    clock.now += SESSION_TTL.total_seconds() - 1
    assert codec.read(cookie) == session
    clock.now += 2
    assert codec.read(cookie) is None  # expired


def test_a_tampered_foreign_or_ended_cookie_is_no_session() -> None:
    codec = SessionCodec(derive_key(b"k" * 44))
    session, cookie = codec.new(TOKEN)
    flipped = cookie[:20] + ("A" if cookie[20] != "A" else "B") + cookie[21:]
    assert codec.read(flipped) is None
    assert codec.read("") is None and codec.read(None) is None and codec.read("not-base64!") is None
    assert SessionCodec(derive_key(b"another installation")).read(cookie) is None
    codec.end(session)
    assert codec.read(cookie) is None
    other, other_cookie = codec.new(TOKEN)
    assert codec.read(other_cookie) == other  # ending one session leaves the token's others alone


def test_the_key_comes_from_the_secrets_key_but_is_not_it(tmp_path: Path) -> None:
    key = Fernet.generate_key()
    from_env = SessionCodec.for_settings(Settings(secret_key=SecretStr(key.decode()), data_dir=tmp_path))
    _, cookie = from_env.new(TOKEN)
    assert SessionCodec(derive_key(key)).read(cookie) is not None  # the same derivation: every gateway agrees
    assert SessionCodec(key).read(cookie) is None  # the secrets key itself does not open it
    from_file = SessionCodec.for_settings(Settings(data_dir=tmp_path))  # makes <data_dir>/secret.key
    assert (tmp_path / "secret.key").exists()
    assert SessionCodec.for_settings(Settings(data_dir=tmp_path)).read(from_file.new(TOKEN)[1]) is not None
    assert timedelta(hours=1) < SESSION_TTL <= timedelta(days=1)
