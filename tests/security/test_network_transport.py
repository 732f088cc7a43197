"""The policy where it bites: httpx's own transport over real loopback sockets.

Loopback stands in for "the operator's network": refused by default, opened by the
allow-list. Nothing here leaves 127.0.0.1; refused destinations are never connected to.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from activities.network import BlockedAddress, NetworkPolicy, Resolver, guarded_client
from contract.limits import MAX_REDIRECTS
from tests.upstream import Reply, Upstream

LIMITS = httpx.Limits(max_connections=10)


@pytest.fixture
async def open_client() -> AsyncIterator[Callable[..., httpx.AsyncClient]]:
    made: list[httpx.AsyncClient] = []

    def make(*allow: str, resolver: Resolver | None = None) -> httpx.AsyncClient:
        client = guarded_client(NetworkPolicy.from_allow_hosts(allow, resolver=resolver), limits=LIMITS)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


async def test_loopback_is_refused_by_default_and_never_contacted(
    upstream: Upstream, open_client: Callable[..., httpx.AsyncClient]
) -> None:
    upstream.route("GET", "/ping", Reply(200, {"ok": True}))
    with pytest.raises(BlockedAddress, match=r"127\.0\.0\.1: a loopback address"):
        await open_client().get(f"{upstream.url}/ping")
    assert upstream.requests == []
    answer = await open_client("127.0.0.1").get(f"{upstream.url}/ping")
    assert answer.json() == {"ok": True}


@pytest.mark.parametrize("spelling", ["2130706433", "0x7f.0.0.1", "017700000001", "127.1", "0x7f000001", "localhost"])
async def test_other_spellings_of_loopback_are_judged_by_their_address(
    spelling: str, upstream: Upstream, open_client: Callable[..., httpx.AsyncClient]
) -> None:
    port = upstream.url.rsplit(":", 1)[1]
    upstream.route("GET", "/ping", Reply(200, "pong"))
    with pytest.raises(BlockedAddress) as refused:
        await open_client().get(f"http://{spelling}:{port}/ping")
    assert refused.value.address == "127.0.0.1" and "loopback" in refused.value.rule
    assert upstream.requests == []
    # Opened by CIDR, the same spelling reaches the upstream: it is the same address.
    assert (await open_client("127.0.0.0/8").get(f"http://{spelling}:{port}/ping")).text == "pong"


async def test_ipv4_mapped_ipv6_loopback_is_refused(upstream: Upstream, open_client: Callable[..., httpx.AsyncClient]) -> None:
    port = upstream.url.rsplit(":", 1)[1]
    with pytest.raises(BlockedAddress, match="IPv4-mapped"):
        await open_client().get(f"http://[::ffff:127.0.0.1]:{port}/")
    assert upstream.requests == []


async def test_metadata_address_and_temporal_port_are_refused(
    open_client: Callable[..., httpx.AsyncClient]
) -> None:
    with pytest.raises(BlockedAddress, match="link-local"):
        await open_client().get("http://169.254.169.254/latest/meta-data/")
    with pytest.raises(BlockedAddress, match="port 7233 is a Temporal server port"):
        await open_client("127.0.0.1").get("http://127.0.0.1:7233/")


async def test_redirects_are_rechecked_at_every_hop(
    upstream: Upstream, open_client: Callable[..., httpx.AsyncClient]
) -> None:
    upstream.route("GET", "/meta", Reply(302, "", headers=[("Location", "http://169.254.169.254/latest/meta-data/")]))
    upstream.route("GET", "/file", Reply(302, "", headers=[("Location", "file:///etc/passwd")]))
    upstream.route("GET", "/temporal", Reply(307, "", headers=[("Location", "http://127.0.0.1:7233/")]))
    client = open_client("127.0.0.1")
    with pytest.raises(BlockedAddress, match="link-local"):
        await client.get(f"{upstream.url}/meta", follow_redirects=True)
    with pytest.raises((BlockedAddress, httpx.UnsupportedProtocol)):
        await client.get(f"{upstream.url}/file", follow_redirects=True)
    with pytest.raises(BlockedAddress, match="Temporal server port"):
        await client.get(f"{upstream.url}/temporal", follow_redirects=True)
    # Without follow_redirects the 302 itself is the answer: nothing else is contacted.
    assert (await client.get(f"{upstream.url}/meta")).status_code == 302


async def test_redirect_hops_are_capped(upstream: Upstream, open_client: Callable[..., httpx.AsyncClient]) -> None:
    for hop in range(MAX_REDIRECTS):
        upstream.route("GET", f"/hop{hop}", Reply(302, "", headers=[("Location", f"/hop{hop + 1}")]))
    upstream.route("GET", f"/hop{MAX_REDIRECTS}", Reply(200, "arrived"))
    upstream.route("GET", "/hop-1", Reply(302, "", headers=[("Location", "/hop0")]))
    client = open_client("127.0.0.1")
    assert (await client.get(f"{upstream.url}/hop0", follow_redirects=True)).text == "arrived"  # 5 hops
    with pytest.raises(httpx.TooManyRedirects):
        await client.get(f"{upstream.url}/hop-1", follow_redirects=True)  # 6 hops


async def test_a_name_is_resolved_once_and_the_checked_address_is_connected(
    upstream: Upstream, open_client: Callable[..., httpx.AsyncClient]
) -> None:
    """DNS rebinding: the resolver answers an allowed address first and a refused one
    after; the connection must go to the first answer, with the name as Host."""
    port = int(upstream.url.rsplit(":", 1)[1])
    answers = [["127.0.0.1"], ["169.254.169.254"]]
    calls: list[str] = []

    async def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return answers[min(len(calls) - 1, 1)]

    upstream.route("GET", "/who", lambda received: Reply(200, {"host": received.headers["host"]}))
    client = open_client("127.0.0.1", resolver=rebinding)
    answer = await client.get(f"http://rebind.test:{port}/who")
    assert answer.json() == {"host": f"rebind.test:{port}"}
    assert calls == ["rebind.test"]
    # A new connection resolves again, gets the refused answer, and is refused.
    await client.aclose()
    fresh = open_client("127.0.0.1", resolver=rebinding)
    with pytest.raises(BlockedAddress, match="link-local"):
        await fresh.get(f"http://rebind.test:{port}/who")


async def test_one_private_answer_refuses_a_name(open_client: Callable[..., httpx.AsyncClient]) -> None:
    async def mixed(host: str, port: int) -> list[str]:
        return ["8.8.8.8", "10.0.0.7"]

    with pytest.raises(BlockedAddress, match=r"10\.0\.0\.7"):
        await open_client(resolver=mixed).get("http://mixed.test/")


async def test_environment_proxies_are_ignored(
    upstream: Upstream, open_client: Callable[..., httpx.AsyncClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy would connect for us where the policy cannot see the destination."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    upstream.route("GET", "/direct", Reply(200, "direct"))
    assert (await open_client("127.0.0.1").get(f"{upstream.url}/direct")).text == "direct"
