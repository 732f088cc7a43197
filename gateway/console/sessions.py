"""The console's sessions: an encrypted cookie that carries the token, and its CSRF value.

A person signs in with a token; the browser then holds a cookie, never the token in a
readable form. The cookie is a Fernet token (AES-128-CBC + HMAC-SHA256, with its time of
issue) of ``{"sid", "token", "csrf"}``:

* **no server state**, so any gateway process of an installation reads any session, and
  a restarted gateway keeps everyone signed in. The key is derived (HKDF-SHA256) from the
  installation's secrets key (``DISPATCHED_SECRET_KEY`` or ``<data_dir>/secret.key``),
  which every gateway already shares, and never used for anything else;
* **the token is checked on every request** (``registry.tokens.authenticate``), so
  revoking a token ends every session made from it at once;
* **a session ends** after :data:`SESSION_TTL`, or when its person signs out: the
  browser drops the cookie, and this process refuses that session id from then on
  (:meth:`SessionCodec.end`). Another gateway process would accept a copy of the cookie
  until it expires; that is the price of keeping no server state (docs/console.md);
* **CSRF**: ``csrf`` is a random value bound to the session. The page gets it in a
  ``<meta>`` tag and sends it as ``X-CSRF-Token``; a request that the cookie
  authenticates and that may change something must carry it (:mod:`gateway.deps`).
  Another site can make a browser send the cookie (SameSite=Strict already stops most
  of that) but can neither read the value nor set the header.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from starlette.requests import HTTPConnection
from starlette.responses import Response

from registry.crypto import load_or_create_key
from runtime.settings import Settings

COOKIE = "dispatched_session"
CSRF_HEADER = "X-CSRF-Token"
SESSION_TTL = timedelta(hours=12)
_KDF_INFO = b"dispatched console session cookie v1"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Session:
    """One signed-in browser: the token it signed in with and its CSRF value."""

    id: str
    token: str
    csrf: str

    def csrf_matches(self, sent: str | None) -> bool:
        """True when ``sent`` is this session's CSRF value (compared in constant time)."""
        return sent is not None and hmac.compare_digest(sent.encode(), self.csrf.encode())


def derive_key(master: bytes) -> bytes:
    """The cookie key: HKDF of the secrets key, so one key never serves two purposes."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KDF_INFO).derive(master)
    return base64.urlsafe_b64encode(raw)


class SessionCodec:
    """Makes, reads and ends session cookies (one per app, in ``app.state``)."""

    def __init__(self, key: bytes, *, ttl: timedelta = SESSION_TTL, clock: Callable[[], float] = time.time) -> None:
        self._fernet = Fernet(key)
        self._ttl = ttl
        self._clock = clock
        self._ended: dict[str, float] = {}  # session id -> when its cookie would expire anyway

    @classmethod
    def for_settings(cls, settings: Settings) -> SessionCodec:
        """The codec of this installation (reads, or makes, the secrets key file)."""
        if settings.secret_key is not None:
            master = settings.secret_key.get_secret_value().encode()
        else:
            master = load_or_create_key(settings.secret_key_file)
        return cls(derive_key(master))

    @property
    def max_age(self) -> int:
        return int(self._ttl.total_seconds())

    def new(self, token: str) -> tuple[Session, str]:
        """A fresh session for ``token`` and the cookie value that carries it."""
        session = Session(id=secrets.token_urlsafe(16), token=token, csrf=secrets.token_urlsafe(32))
        payload = json.dumps({"sid": session.id, "token": session.token, "csrf": session.csrf})
        return session, self._fernet.encrypt_at_time(payload.encode(), int(self._clock())).decode("ascii")

    def read(self, value: str | None) -> Session | None:
        """The session in a cookie value; None when absent, forged, expired or ended."""
        if not value:
            return None
        try:
            data = json.loads(self._fernet.decrypt_at_time(value.encode("ascii"), self.max_age, int(self._clock())))
            session = Session(id=str(data["sid"]), token=str(data["token"]), csrf=str(data["csrf"]))
        except (InvalidToken, UnicodeError, ValueError, KeyError, TypeError):
            return None
        return None if session.id in self._ended else session

    def from_request(self, connection: HTTPConnection) -> Session | None:
        return self.read(connection.cookies.get(COOKIE))

    def end(self, session: Session) -> None:
        """Refuse this session from now on (sign-out); forgotten once it would have expired."""
        now = time.monotonic()
        self._ended = {sid: until for sid, until in self._ended.items() if until > now}
        self._ended[session.id] = now + self._ttl.total_seconds()


def set_cookie(response: Response, value: str, *, max_age: int, secure: bool) -> None:
    """The session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site
    sends it), Secure over https, for the whole gateway."""
    response.set_cookie(COOKIE, value, max_age=max_age, path="/", httponly=True, samesite="strict", secure=secure)


def clear_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=secure)
