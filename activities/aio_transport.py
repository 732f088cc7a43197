"""httpx's client over aiohttp's connections: the request steps' transport.

The request activity builds its requests with httpx (URL and query encoding, JSON
bodies, default headers, redirects) and reads the answers through httpx's models, so
what an upstream receives and how an answer is read stay httpx's. Underneath, httpx's
own transport (httpcore over anyio, with h11 in pure Python) cost ~490 µs of CPU per
loopback request at one caller and ~870 µs at 16 (its pool checks every connection it
holds on each request); over aiohttp's connector and C parser the same requests cost
~450 and ~340 µs (bench/README.md, *The request steps' HTTP client*).

:class:`AiohttpTransport` sends httpx's request as httpx made it: its headers exactly
(aiohttp adds none of its own), its body bytes, its URL never parsed again. The
answer's body is handed to httpx undecoded, which decodes it as before. aiohttp's
failures come back as the httpx exceptions httpx's own transport raises for the same
event, so the activity classifies them as before. Name resolution is the
``resolver``'s: the network policy's (activities/network.py), which connects only to
the addresses it checked.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import httpx
import yarl
from aiohttp import hdrs
from aiohttp.abc import AbstractResolver
from multidict import CIMultiDict

# aiohttp would add these unless told not to; httpx has already set what it sends.
_AUTO_HEADERS = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type", "Host")
# The most an answer's status line and headers may hold together: the headers go into
# the step's result, and so into the run's history. aiohttp bounds each line and the
# number of headers (so what it parses before this check is at most 128 headers of
# 16 KiB, ~2 MiB), not their sum. httpcore's h11 had 100 KiB, but enforced it only on
# a header block still incomplete after a read, so a fast upstream passed it.
MAX_HEADER_BLOCK_BYTES = 100 * 1024
_MAX_HEADER_LINE_BYTES = 16 * 1024
_MAX_HEADERS = 128
_KEEPALIVE_SECONDS = 5.0


@contextmanager
def _as_httpx_errors(request: httpx.Request, *, reading: bool) -> Iterator[None]:
    """Raise aiohttp's failures as the httpx exception of the same event."""
    try:
        yield
    except aiohttp.ConnectionTimeoutError as exc:
        raise httpx.ConnectTimeout(str(exc) or "connect timed out", request=request) from exc
    except aiohttp.ServerTimeoutError as exc:  # SocketTimeoutError: a read's deadline
        raise httpx.ReadTimeout(str(exc) or "read timed out", request=request) from exc
    except aiohttp.ClientConnectorDNSError as exc:
        raise httpx.ConnectError(f"name resolution failed: {exc.os_error}", request=request) from exc
    except aiohttp.ClientConnectorError as exc:
        raise httpx.ConnectError(str(exc.os_error), request=request) from exc
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientResponseError) as exc:
        raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__, request=request) from exc
    except aiohttp.ClientOSError as exc:
        error = httpx.ReadError if reading else httpx.WriteError
        raise error(str(exc), request=request) from exc
    except aiohttp.ClientError as exc:
        raise httpx.TransportError(str(exc) or type(exc).__name__, request=request) from exc
    except TimeoutError as exc:  # a deadline aiohttp reports without a class of its own
        timeout = httpx.ReadTimeout if reading else httpx.ConnectTimeout
        raise timeout("timed out", request=request) from exc


class _RequestAsGiven(aiohttp.ClientRequest):
    """aiohttp's request, minus the ``Content-Length: 0`` it adds to a bodiless request
    of a method other than GET, HEAD, OPTIONS and TRACE (a DELETE): httpx sends none."""

    def update_body_from_data(self, body: Any, *args: Any, **kwargs: Any) -> None:
        length_given = hdrs.CONTENT_LENGTH in self.headers
        super().update_body_from_data(body, *args, **kwargs)
        if body is None and not length_given:
            self.headers.popall(hdrs.CONTENT_LENGTH, None)


class _AnswerBody(httpx.AsyncByteStream):
    """The answer's body as aiohttp receives it (still encoded: httpx decodes it)."""

    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors(self._request, reading=True):
            async for chunk in self._response.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        # Back to the pool when the body was read to its end; closed otherwise.
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Send httpx's requests over one aiohttp connection pool, made on first use (it
    belongs to the event loop it is made in)."""

    def __init__(self, *, resolver: AbstractResolver, limits: httpx.Limits, ssl_context: ssl.SSLContext) -> None:
        self._resolver = resolver
        self._limits = limits
        self._ssl_context = ssl_context
        self._session: aiohttp.ClientSession | None = None

    def _pool(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                resolver=self._resolver,
                use_dns_cache=False,  # every new connection resolves and is checked again
                limit=self._limits.max_connections or 0,
                limit_per_host=0,
                keepalive_timeout=self._limits.keepalive_expiry or _KEEPALIVE_SECONDS,
                ssl=self._ssl_context,
                happy_eyeballs_delay=None,  # the addresses in the resolver's order, one at a time
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                request_class=_RequestAsGiven,
                auto_decompress=False,
                trust_env=False,  # never an environment proxy: see activities/network.py
                skip_auto_headers=_AUTO_HEADERS,
                cookie_jar=aiohttp.DummyCookieJar(),  # a step's cookies are its own headers
                timeout=aiohttp.ClientTimeout(total=None),
                max_line_size=_MAX_HEADER_LINE_BYTES,
                max_field_size=_MAX_HEADER_LINE_BYTES,
                max_headers=_MAX_HEADERS,
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.send(request, wire_url(request))

    async def send(self, request: httpx.Request, url: yarl.URL) -> httpx.Response:
        """Send ``request`` to ``url`` (its own URL, or the address a subclass checked)."""
        body = await request.aread()
        headers = CIMultiDict((name.decode("latin-1"), value.decode("latin-1")) for name, value in request.headers.raw)
        with _as_httpx_errors(request, reading=False):
            response = await self._pool().request(
                request.method,
                url,
                headers=headers,
                data=body or None,
                allow_redirects=False,  # httpx follows them, each hop through this transport
                timeout=_timeout(request),
            )
        if _header_block_bytes(response) > MAX_HEADER_BLOCK_BYTES:
            response.close()
            raise httpx.RemoteProtocolError(
                f"the answer's status line and headers are over {MAX_HEADER_BLOCK_BYTES // 1024} KiB", request=request
            )
        return httpx.Response(
            status_code=response.status,
            headers=list(response.raw_headers),
            stream=_AnswerBody(response, request),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": (response.reason or "").encode("latin-1")},
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _header_block_bytes(response: aiohttp.ClientResponse) -> int:
    """The size of the answer's status line and headers as they came, line ends included."""
    status_line = len(f"HTTP/1.1 {response.status} {response.reason or ''}") + 2
    return status_line + sum(len(name) + 2 + len(value) + 2 for name, value in response.raw_headers) + 2


def wire_url(request: httpx.Request) -> yarl.URL:
    """The request's URL as httpx encoded it, never parsed or re-encoded again."""
    return yarl.URL(str(request.url), encoded=True)


def _timeout(request: httpx.Request) -> aiohttp.ClientTimeout:
    """httpx's per-phase timeouts: waiting for a pooled connection and connecting (both
    within ``connect``), connecting alone, and each read."""
    phases = request.extensions.get("timeout", {})
    pool, connect, read = phases.get("pool"), phases.get("connect"), phases.get("read")
    whole_connect = None if pool is None or connect is None else pool + connect
    return aiohttp.ClientTimeout(total=None, connect=whole_connect, sock_connect=connect, sock_read=read)
