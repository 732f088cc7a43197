"""The request steps' transport (activities/aio_transport.py) over real loopback sockets:
an upstream receives byte for byte what httpx's own transport sends, answers are read as
httpx reads them, and aiohttp's failures arrive as httpx's exceptions."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from activities.aio_transport import MAX_HEADER_BLOCK_BYTES
from activities.network import NetworkPolicy, guarded_client

LIMITS = httpx.Limits(max_connections=10)
OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class RawServer:
    """A loopback server that records each request's bytes and answers as told."""

    def __init__(self, answer: bytes = OK, *, hang_up: bool = False, silent: bool = False) -> None:
        self.answer, self.hang_up, self.silent = answer, hang_up, silent
        self.requests: list[bytes] = []
        self.connections = 0
        self.hung_up = asyncio.Event()
        self.server: asyncio.Server | None = None

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                self.requests.append(head + await reader.readexactly(length))
                if self.silent:  # never answers; done when the client gives up and hangs up
                    await reader.read()
                    break
                writer.write(self.answer)
                await writer.drain()
                if self.hang_up:  # without saying so: no Connection: close
                    await asyncio.sleep(0.05)
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()
        self.hung_up.set()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"


@pytest.fixture
async def raw() -> AsyncIterator[Callable[..., Awaitable[RawServer]]]:
    servers: list[RawServer] = []

    async def start(answer: bytes = OK, **options: bool) -> RawServer:
        server = RawServer(answer, **options)
        server.server = await asyncio.start_server(server.serve, "127.0.0.1", 0)
        servers.append(server)
        return server

    yield start
    for server in servers:
        assert server.server is not None
        server.server.close()


@pytest.fixture
async def step_client() -> AsyncIterator[httpx.AsyncClient]:
    client = guarded_client(NetworkPolicy.from_allow_hosts(["127.0.0.1"]), limits=LIMITS)
    yield client
    await client.aclose()


@pytest.mark.parametrize(
    "method, options",
    [
        ("GET", {"params": {"q": "a b&c", "n": "é"}, "headers": {"X-Trace": "1", "Accept": "text/csv"}}),
        ("POST", {"json": {"name": "Zoë", "items": [1, 2.5, None], "nested": {"ok": True}}}),
        ("PUT", {"content": b"raw \x00 bytes", "headers": {"Content-Type": "application/octet-stream"}}),
        ("POST", {"content": b"no content type of its own"}),
        ("DELETE", {"headers": [("X-Repeated", "one"), ("X-Repeated", "two")]}),
    ],
)
async def test_an_upstream_receives_what_httpx_own_transport_sends(
    method: str, options: dict[str, object], raw: Callable[..., Awaitable[RawServer]], step_client: httpx.AsyncClient
) -> None:
    server = await raw()
    async with httpx.AsyncClient(trust_env=False) as reference:
        await reference.request(method, f"{server.url}/path/with%20space?x=1", **options)  # type: ignore[arg-type]
    await step_client.request(method, f"{server.url}/path/with%20space?x=1", **options)  # type: ignore[arg-type]
    by_httpx, by_ours = server.requests
    assert by_ours == by_httpx


async def test_answers_are_read_as_httpx_reads_them(
    raw: Callable[..., Awaitable[RawServer]], step_client: httpx.AsyncClient
) -> None:
    body = gzip.compress(b'{"ok": true}')
    answer = (
        b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
        b"Dispatched-Log: first\r\nDispatched-Log: second\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    )
    server = await raw(answer)
    response = await step_client.get(server.url)
    assert (response.status_code, response.reason_phrase) == (201, "Created")
    assert response.json() == {"ok": True}  # decoded by httpx, as before
    assert response.headers.get_list("dispatched-log") == ["first", "second"]


async def test_a_connection_the_server_hung_up_on_is_not_reused(
    raw: Callable[..., Awaitable[RawServer]], step_client: httpx.AsyncClient
) -> None:
    server = await raw(hang_up=True)
    assert (await step_client.get(server.url)).text == "ok"
    await asyncio.wait_for(server.hung_up.wait(), 5)
    await asyncio.sleep(0.05)  # the FIN has reached the client's socket
    assert (await step_client.get(server.url)).text == "ok"
    assert server.connections == 2


async def test_keep_alive_connections_are_reused(
    raw: Callable[..., Awaitable[RawServer]], step_client: httpx.AsyncClient
) -> None:
    server = await raw()
    for _ in range(3):
        assert (await step_client.get(server.url)).text == "ok"
    assert server.connections == 1


async def test_a_refused_connection_is_a_connect_error(step_client: httpx.AsyncClient) -> None:
    listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    listener.close()
    await listener.wait_closed()
    with pytest.raises(httpx.ConnectError):
        await step_client.get(f"http://127.0.0.1:{port}/")


async def test_no_answer_in_time_is_a_read_timeout(
    raw: Callable[..., Awaitable[RawServer]], step_client: httpx.AsyncClient
) -> None:
    server = await raw(silent=True)
    with pytest.raises(httpx.ReadTimeout):
        await step_client.get(server.url, timeout=0.3)


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\ncut short",  # the body ends early
        b"NOT HTTP AT ALL\r\n\r\n",
    ],
)
async def test_a_broken_answer_is_a_protocol_error(
    answer: bytes, raw: Callable[..., Awaitable[RawServer]], step_client: httpx.AsyncClient
) -> None:
    server = await raw(answer, hang_up=True)
    with pytest.raises(httpx.RemoteProtocolError):
        await step_client.get(server.url)


def _answer_with_headers(total: int) -> bytes:
    """A 200 whose header block is about ``total`` bytes, in 4 KiB headers."""
    lines, size, n = [], 0, 0
    while size < total:
        line = f"X-Filler-{n}: {'x' * 4000}\r\n".encode()
        lines.append(line)
        size, n = size + len(line), n + 1
    return b"HTTP/1.1 200 OK\r\n" + b"".join(lines) + b"Content-Length: 2\r\n\r\nok"


async def test_an_answer_whose_headers_pass_the_block_limit_is_a_protocol_error(
    raw: Callable[..., Awaitable[RawServer]], step_client: httpx.AsyncClient
) -> None:
    over = await raw(_answer_with_headers(MAX_HEADER_BLOCK_BYTES + 1024))
    with pytest.raises(httpx.RemoteProtocolError, match="over 100 KiB"):
        await step_client.get(over.url)
    within = await raw(_answer_with_headers(MAX_HEADER_BLOCK_BYTES - 5000))
    assert (await step_client.get(within.url)).text == "ok"
