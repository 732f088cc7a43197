"""The outbound network policy as pure logic: which addresses, schemes and ports it
refuses, and how an allow-list opens them (no sockets here)."""

from __future__ import annotations

import pytest

from activities.network import TEMPORAL_PORTS, BlockedAddress, NetworkPolicy
from cli.dev.stack import LOOPBACK_HOSTS

REFUSED = {
    "127.0.0.1": "loopback",
    "127.255.0.9": "loopback",
    "::1": "loopback",
    "169.254.169.254": "link-local",
    "fe80::1": "link-local",
    "10.1.2.3": "private",
    "172.16.0.1": "private",
    "192.168.1.1": "private",
    "fc00::1": "private",
    "fd12:3456::1": "private",
    "fec0::1": "site-local",
    "100.64.0.1": "not a public address",
    "0.0.0.0": "unspecified",
    "::": "unspecified",
    "224.0.0.1": "multicast",
    "ff02::1": "multicast",
    "240.0.0.1": "reserved",
    "255.255.255.255": "reserved",
    "::ffff:127.0.0.1": "IPv4-mapped",
    "::ffff:8.8.8.8": "IPv4-mapped",
    "::127.0.0.1": "IPv4-mapped",
    "64:ff9b::a00:1": "carries 10.0.0.1",
    "2002:7f00:1::1": "carries 127.0.0.1",
}


@pytest.mark.parametrize(("address", "rule"), REFUSED.items())
def test_non_public_addresses_are_refused_by_default(address: str, rule: str) -> None:
    with pytest.raises(BlockedAddress) as refused:
        NetworkPolicy().check_address("svc.example", address)
    assert rule in str(refused.value)
    assert "svc.example" in str(refused.value) and address in str(refused.value)
    assert "DISPATCHED_ALLOW_HOSTS" in refused.value.rule


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700::1111", "2002:0808:0808::1"])
def test_public_addresses_pass(address: str) -> None:
    NetworkPolicy().check_address("svc.example", address)


def test_allow_list_opens_addresses_cidrs_and_names() -> None:
    policy = NetworkPolicy.from_allow_hosts(["10.0.0.0/8", " 192.168.1.7 ", "[::1]", "db.internal", "*.corp.example"])
    for host, address in [("x", "10.9.9.9"), ("x", "192.168.1.7"), ("x", "::1"), ("db.internal", "172.16.0.1"),
                          ("DB.Internal.", "127.0.0.1"), ("a.b.corp.example", "10.0.0.1"), ("x", "::ffff:10.1.1.1")]:
        policy.check_address(host, address)
    for host, address in [("x", "192.168.1.8"), ("x", "127.0.0.1"), ("corp.example", "172.16.0.1"),
                          ("db.internal.evil", "172.16.0.1")]:
        with pytest.raises(BlockedAddress):
            policy.check_address(host, address)


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "a b", "http://x/", "::1/200"])
def test_bad_allow_list_entries_are_named(entry: str) -> None:
    with pytest.raises(ValueError, match="DISPATCHED_ALLOW_HOSTS") as error:
        NetworkPolicy.from_allow_hosts(["127.0.0.1", entry])
    assert entry.strip() in str(error.value)


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "gopher://example.com/", "ws://example.com/"])
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(BlockedAddress, match="only http and https"):
        NetworkPolicy().check_url(url)


def test_temporal_ports_are_closed_even_on_allowed_hosts() -> None:
    policy = NetworkPolicy.from_allow_hosts(["127.0.0.0/8"], temporal_address="127.0.0.1:17233")
    for port in {*TEMPORAL_PORTS, 17233, 18233}:
        with pytest.raises(BlockedAddress, match=f"port {port} is a Temporal server port"):
            policy.check_url(f"http://127.0.0.1:{port}/api/v1/namespaces")
    policy.check_url("http://127.0.0.1:8080/")
    policy.check_url("https://example.com/")


def test_dispatched_dev_opens_loopback() -> None:
    policy = NetworkPolicy.from_allow_hosts(LOOPBACK_HOSTS.split(","))
    for host, address in [("127.0.0.1", "127.0.0.1"), ("localhost", "127.0.0.1"), ("::1", "::1")]:
        policy.check_address(host, address)
    with pytest.raises(BlockedAddress):
        policy.check_address("meta", "169.254.169.254")


def test_a_secret_host_is_not_named() -> None:
    refused = BlockedAddress("secret-host.internal", "a private-network address", address="10.0.0.1")
    assert "secret-host" not in refused.describe(show_host=False)
    assert "10.0.0.1" not in refused.describe(show_host=False)
    assert "a private-network address" in refused.describe(show_host=False)
