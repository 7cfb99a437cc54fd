"""Who is asking: the client address that rate limits and lockouts count against.

The address is the TCP peer (the ASGI ``client``) unless the deployment names its trusted proxies,
the way uvicorn's ``forwarded_allow_ips`` does: a forwarding header is a claim made by whoever sent
it, so it is read only when the peer is a proxy the deployment trusts, and then right to left,
skipping trusted hops, so that the hop a trusted proxy recorded wins over anything the client wrote.

The session's stored ``ipAddress`` is a separate, display-only value that follows Better Auth's
header rule (``advanced.ipAddress.ipAddressHeaders``); see :func:`header_ip`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from ..protocol.endpoint import AuthRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_ip(text: str) -> IPAddress | None:
    """An IP address, also from the forms proxies write (``[v6]:port``, ``v4:port``); ``None`` if not one."""
    value = text.strip().strip('"')
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        value = value[1:end]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def normalize(ip: IPAddress, ipv6_subnet: int) -> str:
    """Better Auth's key form: IPv4 as is (also when IPv4-mapped), IPv6 expanded and masked to its subnet."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return ipaddress.ip_network(f"{ip}/{ipv6_subnet}", strict=False).network_address.exploded
    return str(ip)


def _forwarded_for(value: str) -> list[str]:
    """The ``for=`` values of an RFC 7239 ``Forwarded`` header, in order."""
    hops = []
    for element in value.split(","):
        for pair in element.split(";"):
            name, _, item = pair.strip().partition("=")
            if name.strip().lower() == "for":
                hops.append(item.strip())
    return hops


def forwarded_chain(request: AuthRequest, headers: Sequence[str]) -> list[str] | None:
    """The forwarded hops from the first configured header present, leftmost (oldest) first."""
    for name in headers:
        value = request.header(name)
        if not value:
            continue
        if name.lower() == "forwarded":
            return _forwarded_for(value)
        return [part.strip() for part in value.split(",")]
    return None


@dataclass(frozen=True, slots=True)
class ProxyTrust:
    """Which peers may speak for the client, and through which headers."""

    networks: tuple[IPNetwork, ...] = ()
    """Trusted proxy addresses and ranges."""
    hops: int = 0
    """Or: this many proxies always stand in front of the app (the peer is the last of them)."""
    headers: tuple[str, ...] = ("x-forwarded-for",)
    ipv6_subnet: int = 64

    @classmethod
    def from_entries(cls, entries: Sequence[str], *, hops: int, headers: Sequence[str], ipv6_subnet: int) -> ProxyTrust:
        """Compile ``advanced.trusted_proxies`` (addresses or CIDRs, validated by the settings)."""
        networks = tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)
        return cls(networks, hops, tuple(headers), ipv6_subnet)

    @property
    def configured(self) -> bool:
        """Whether any forwarding header is read at all."""
        return bool(self.networks) or self.hops > 0

    def trusts(self, ip: IPAddress) -> bool:
        """Whether ``ip`` is one of the trusted proxies."""
        plain = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped else ip
        return any(plain.version == net.version and plain in net for net in self.networks)

    def client(self, request: AuthRequest) -> str | None:
        """The client address (normalised), or ``None`` for a call without a peer (server-side)."""
        peer = parse_ip(request.peer) if request.peer else None
        if peer is None:
            return None
        return normalize(self._resolve(request, peer), self.ipv6_subnet)

    def _resolve(self, request: AuthRequest, peer: IPAddress) -> IPAddress:
        if not self.configured or (self.networks and not self.trusts(peer)):
            return peer
        chain = forwarded_chain(request, self.headers)
        if not chain:
            return peer
        if self.networks:
            return self._walk(chain, peer)
        if len(chain) < self.hops:
            return peer
        return parse_ip(chain[-self.hops]) or peer

    def _walk(self, chain: list[str], peer: IPAddress) -> IPAddress:
        """Right to left: the first hop that is not a trusted proxy is the client."""
        nearest = peer
        for text in reversed(chain):
            hop = parse_ip(text)
            if hop is None:
                return nearest
            if not self.trusts(hop):
                return hop
            nearest = hop
        return nearest


def header_ip(request: AuthRequest, headers: Sequence[str], ipv6_subnet: int) -> str:
    """Better Auth's stored ``ipAddress`` without trusted proxies: a header with exactly one valid IP, else ``""``."""
    for name in headers:
        parts = [part.strip() for part in (request.header(name) or "").split(",") if part.strip()]
        if len(parts) != 1:
            continue
        try:
            ip = ipaddress.ip_address(parts[0])
        except ValueError:
            continue
        return normalize(ip, ipv6_subnet)
    return ""
