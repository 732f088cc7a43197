"""Pooled connections whose idle check asks their socket directly.

httpcore's connection pool asks every connection it holds whether it has expired each
time it hands out a request and each time a response is closed, twice per request step.
For an idle keep-alive connection that means asking its stream ``is_readable``: a socket
that is readable while nobody waits for an answer is one the server has hung up on, and
must not be reused. Over anyio each ask rebuilds the socket's whole attribute table, a
``getpeername()`` system call included (~5 µs, against ~0.7 µs to poll the socket), and
with 16 steps in flight the pool holds ~20 connections: those checks were ~8 % of the
worker's CPU at saturation (bench/README.md, *Pooled connections' idle check*).

:class:`SocketCheckBackend` wraps a network backend so that every stream it opens keeps
its socket from the start and polls it for that one question; everything else goes to
the stream it wraps, unchanged.
"""

from __future__ import annotations

import select
from collections.abc import Iterable
from typing import Any, Protocol

import httpcore

READABLE = "is_readable"  # the one question answered here (httpcore's name for it)
SOCKET = "socket"


class FileDescriptor(Protocol):
    """A socket, or the view of one an asyncio transport gives (``TransportSocket``)."""

    def fileno(self) -> int: ...


def socket_readable(sock: FileDescriptor | None) -> bool:
    """Whether ``sock`` has data (or end of file) waiting; a closed or missing socket
    counts as readable, so the pool drops the connection rather than reuse it."""
    if sock is None or sock.fileno() < 0:
        return True
    poll = select.poll()
    poll.register(sock, select.POLLIN)
    return bool(poll.poll(0))


class SocketCheckStream(httpcore.AsyncNetworkStream):
    """A stream that answers ``is_readable`` by polling the socket it was opened on."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: FileDescriptor | None = inner.get_extra_info(SOCKET)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        # TLS runs over the same socket; httpcore polls the raw socket for TLS streams too.
        return SocketCheckStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == READABLE:
            return socket_readable(self._socket)
        return self._inner.get_extra_info(info)


class SocketCheckBackend(httpcore.AsyncNetworkBackend):
    """``inner`` (anyio's backend by default), its TCP streams made :class:`SocketCheckStream`."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return SocketCheckStream(await self.inner.connect_tcp(host, port, timeout, local_address, socket_options))

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        return SocketCheckStream(await self.inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)
