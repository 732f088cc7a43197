"""The request steps' pooled connections: the idle check that keeps a connection the
server hung up on out of use, through the streams of activities/connection_streams.py,
over real loopback sockets."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from activities.connection_streams import SocketCheckStream, socket_readable
from activities.network import NetworkPolicy, guarded_client

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


class HangingUpServer:
    """Answers one keep-alive request per connection, then closes the connection
    without saying so (no ``Connection: close``), as a server whose keep-alive ran out."""

    def __init__(self) -> None:
        self.connections = 0
        self.hung_up = asyncio.Event()
        self.server: asyncio.Server | None = None

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(ANSWER)
        await writer.drain()
        await asyncio.sleep(0.05)  # the client has read the answer and pooled the connection
        writer.close()
        await writer.wait_closed()
        self.hung_up.set()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/"


@pytest.fixture
async def hanging_up() -> AsyncIterator[HangingUpServer]:
    server = HangingUpServer()
    server.server = await asyncio.start_server(server.serve, "127.0.0.1", 0)
    yield server
    server.server.close()
    await server.server.wait_closed()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    made = guarded_client(NetworkPolicy.from_allow_hosts(["127.0.0.1"]), limits=httpx.Limits(max_connections=10))
    yield made
    await made.aclose()


async def test_a_connection_the_server_hung_up_on_is_not_reused(
    hanging_up: HangingUpServer, client: httpx.AsyncClient
) -> None:
    first = await client.get(hanging_up.url)
    assert first.text == "ok"
    await asyncio.wait_for(hanging_up.hung_up.wait(), 5)
    await asyncio.sleep(0.05)  # the FIN has reached the client's socket
    # Reusing the pooled connection would fail ("Server disconnected without sending a
    # response"): the idle check sees the socket readable and opens a new one.
    second = await client.get(hanging_up.url)
    assert second.text == "ok"
    assert hanging_up.connections == 2


async def test_the_streams_answer_every_other_question_as_before(
    hanging_up: HangingUpServer, client: httpx.AsyncClient
) -> None:
    answer = await client.get(hanging_up.url)
    stream = answer.extensions["network_stream"]
    assert isinstance(stream, SocketCheckStream)
    port = int(hanging_up.url.rsplit(":", 1)[1].rstrip("/"))
    assert stream.get_extra_info("server_addr") == ("127.0.0.1", port)
    assert stream.get_extra_info("socket").fileno() >= 0
    assert stream.get_extra_info("ssl_object") is None


def test_socket_readable_is_true_only_with_data_end_of_file_or_no_socket() -> None:
    left, right = socket.socketpair()
    with left, right:
        assert socket_readable(left) is False
        right.sendall(b"x")
        assert socket_readable(left) is True
        left.recv(1)
        assert socket_readable(left) is False
        right.close()
        assert socket_readable(left) is True  # end of file: the peer hung up
    assert socket_readable(left) is True  # closed: never reuse it
    assert socket_readable(None) is True
