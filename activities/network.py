"""The outbound network policy of request steps: they must not become a way into the
operator's own network (SSRF).

By default a request step may only reach public addresses over http or https. The
check runs where the connection is made, inside the request steps' transport
(:class:`GuardedTransport`, over aiohttp's connections): the host name is resolved
ONCE, every address it resolves to is checked, and the socket is opened to that
checked address. DNS rebinding cannot swap the address between check and connect,
decimal/octal/hex spellings of an IPv4 address (``2130706433``, ``0x7f.1``) are judged
by what the OS resolves them to, and every redirect hop opens its own checked
connection. TLS is untouched: the URL's host is still sent as SNI and the certificate
verified against it, and the Host header is the URL's.

``DISPATCHED_ALLOW_HOSTS`` (SPEC §4) opens host names, addresses or CIDRs an operator
wants reachable although they are private or loopback; ``dispatched dev`` opens loopback
so the examples work. The Temporal frontend and Web UI ports stay closed on every host,
allowed or not: a workflow author must never be able to drive the engine's own server.

Errors::

    BlockedAddress      a URL or an address the policy refuses (the activity turns it
                        into a non-retryable ApplicationError of type "blocked_address")
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

import httpx
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.helpers import is_ip_address

from activities.aio_transport import AiohttpTransport, wire_url
from contract.limits import MAX_REDIRECTS

BLOCKED_ADDRESS = "blocked_address"
TOO_MANY_REDIRECTS = "too_many_redirects"
ALLOWED_SCHEMES = frozenset({"http", "https"})
# Temporal's dev-server defaults: gRPC frontend, its HTTP API, and the Web UI.
TEMPORAL_PORTS = frozenset({7233, 7243, 8233})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[str]]]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class BlockedAddress(Exception):
    """A destination the policy refuses: ``host`` as written, the ``address`` it resolved
    to (when it got that far) and the ``rule`` that refused it, in words."""

    def __init__(self, host: str, rule: str, *, address: str | None = None, port: int | None = None) -> None:
        self.host, self.rule, self.address, self.port = host, rule, address, port
        super().__init__(self.describe(show_host=True))

    def describe(self, *, show_host: bool) -> str:
        """The refusal as text; ``show_host=False`` when the host came from a secret."""
        if not show_host:
            return f"refused to connect: {self.rule}"
        where = self.host if self.address in (None, self.host) else f"{self.host} ({self.address})"
        return f"refused to connect to {where}: {self.rule}"


def _rule(address: IPAddress) -> str | None:
    """Why ``address`` is not reachable by default, or None for a public address."""
    checks: tuple[tuple[bool, str], ...] = (
        (address.is_unspecified, "an unspecified address (0.0.0.0 / ::)"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address (cloud metadata services live there)"),
        (address.is_multicast, "a multicast address"),
        (isinstance(address, ipaddress.IPv6Address) and address.is_site_local, "a site-local IPv6 address"),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private-network address"),
        (not address.is_global, "not a public address"),
    )
    for hit, rule in checks:
        if hit:
            return f"{rule}; DISPATCHED_ALLOW_HOSTS can allow it"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, compatible, 6to4, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if int(address) >> 32 == 0 and int(address) > 1:  # IPv4-compatible ::a.b.c.d (deprecated)
        return ipaddress.IPv4Address(int(address))
    return None


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the OS resolves ``host`` to (``getaddrinfo``), in its order."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone index
        if address not in found:
            found.append(address)
    return found


@dataclass(frozen=True)
class NetworkPolicy:
    """Which destinations request steps may reach; see the module docstring.

    Build it with :meth:`from_allow_hosts` from ``DISPATCHED_ALLOW_HOSTS`` entries.
    """

    allow_networks: tuple[IPNetwork, ...] = ()
    allow_names: frozenset[str] = frozenset()
    allow_suffixes: tuple[str, ...] = ()
    blocked_ports: frozenset[int] = TEMPORAL_PORTS
    resolver: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def from_allow_hosts(
        cls, entries: Iterable[str], *, temporal_address: str | None = None, resolver: Resolver | None = None
    ) -> NetworkPolicy:
        """Parse allow-list entries: host names (``*.corp.example`` for subdomains),
        addresses and CIDRs. ``temporal_address`` (``host:port``) adds the port of the
        Temporal server actually in use, and that port + 1000 (its Web UI's default)."""
        networks: list[IPNetwork] = []
        names: set[str] = set()
        suffixes: list[str] = []
        for raw in entries:
            entry = raw.strip().lower().rstrip(".")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            if "/" in entry or ":" in entry or " " in entry:
                raise ValueError(f"DISPATCHED_ALLOW_HOSTS: {raw.strip()!r} is neither a host name, an address nor a CIDR")
            if entry.startswith("*."):
                suffixes.append(entry[1:])
            else:
                names.add(entry)
        ports = set(TEMPORAL_PORTS)
        if temporal_address:
            port = temporal_address.rsplit(":", 1)[-1]
            if port.isdigit():
                ports.update({int(port), int(port) + 1000})
        return cls(
            allow_networks=tuple(networks), allow_names=frozenset(names), allow_suffixes=tuple(suffixes),
            blocked_ports=frozenset(ports), resolver=resolver or system_resolver,
        )

    def check_url(self, url: httpx.URL | str) -> None:
        """Refuse a URL by its scheme or port before anything is resolved."""
        parsed = httpx.URL(url) if isinstance(url, str) else url
        if parsed.scheme not in ALLOWED_SCHEMES:
            raise BlockedAddress(parsed.host or "", f"scheme {parsed.scheme!r} is not allowed (only http and https)")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        self.check_port(parsed.host, port)

    def check_port(self, host: str, port: int) -> None:
        if port in self.blocked_ports:
            raise BlockedAddress(host, f"port {port} is a Temporal server port, never reachable from a step", port=port)

    def host_allowed(self, host: str) -> bool:
        name = host.lower().rstrip(".")
        return name in self.allow_names or any(name.endswith(suffix) for suffix in self.allow_suffixes)

    def check_address(self, host: str, address: str) -> None:
        """Refuse ``address`` (one that ``host`` resolved to) unless it is public or allowed."""
        ip = ipaddress.ip_address(address)
        if self.host_allowed(host) or any(ip in net for net in self.allow_networks if net.version == ip.version):
            return
        if isinstance(ip, ipaddress.IPv6Address) and (inner := _embedded_ipv4(ip)) is not None:
            # Mapped/compatible forms are refused whatever they carry (the OS may connect
            # over IPv4 to the inner address); 6to4/NAT64 ones when the inner one is refused.
            if any(inner in net for net in self.allow_networks if net.version == 4):
                return
            if ip.ipv4_mapped is not None or int(ip) >> 32 == 0 or _rule(inner) is not None:
                what = f"an IPv4-mapped or -embedding IPv6 address (carries {inner})"
                raise BlockedAddress(host, f"{what}; DISPATCHED_ALLOW_HOSTS can allow it", address=address)
        rule = _rule(ip)
        if rule is not None:
            raise BlockedAddress(host, rule, address=address)

    async def resolve(self, host: str, port: int) -> list[str]:
        """Resolve ``host`` once and check every address: one refused address refuses the
        host (a name that mixes public and private answers is a rebinding attempt)."""
        self.check_port(host, port)
        addresses = await self.resolver(host, port)
        if not addresses:
            raise httpx.ConnectError("name resolution gave no address")
        for address in addresses:
            self.check_address(host, address)
        return addresses


class PolicyResolver(AbstractResolver):
    """aiohttp's name resolution through the policy: a name is resolved once per new
    connection, every address checked, and only those addresses are connected to."""

    def __init__(self, policy: NetworkPolicy) -> None:
        self.policy = policy

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        addresses = await self.policy.resolve(host, port)
        return [
            ResolveResult(hostname=host, host=address, port=port, family=_family(address), proto=0,
                          flags=socket.AI_NUMERICHOST)
            for address in addresses
        ]

    async def close(self) -> None:
        pass


def _family(address: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ipaddress.ip_address(address).version == 6 else socket.AF_INET


class GuardedTransport(AiohttpTransport):
    """The request steps' transport (activities/aio_transport.py) with every connection
    checked: names through :class:`PolicyResolver`, address literals here.

    aiohttp connects to an address literal without asking the resolver, so a URL whose
    host looks like one is resolved and checked by the policy first, and sent to the
    checked address in its canonical spelling (``2130706433`` and ``127.1`` are judged,
    and reached, as ``127.0.0.1``); the ``Host`` header httpx set stays the URL's.
    Environment proxies are never used: a proxy would connect on the step's behalf
    where the policy cannot see the destination.
    """

    def __init__(self, policy: NetworkPolicy, *, limits: httpx.Limits) -> None:
        super().__init__(resolver=PolicyResolver(policy), limits=limits,
                         ssl_context=httpx.create_ssl_context(trust_env=False))
        self.policy = policy

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.policy.check_url(request.url)  # scheme and port, for the first hop and every redirect
        url = wire_url(request)
        host = request.url.host
        if is_ip_address(host):
            port = request.url.port or (443 if request.url.scheme == "https" else 80)
            try:
                addresses = await self.policy.resolve(host, port)
            except socket.gaierror as exc:
                raise httpx.ConnectError(f"name resolution failed: {exc.strerror}", request=request) from None
            url = url.with_host(addresses[0])
        return await self.send(request, url)


def guarded_client(policy: NetworkPolicy, *, limits: httpx.Limits) -> httpx.AsyncClient:
    """The activities' shared client: checked connections, at most :data:`MAX_REDIRECTS` hops.

    It also quiets httpx (a request line per call at INFO), httpcore (every header at
    DEBUG) and aiohttp in this process: a step's URL and headers carry its secrets, and
    an operator turning the log level up must not turn them into log lines.
    """
    for name in ("httpx", "httpcore", "aiohttp"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return httpx.AsyncClient(transport=GuardedTransport(policy, limits=limits), trust_env=False,
                             max_redirects=MAX_REDIRECTS)

