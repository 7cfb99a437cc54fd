"""The client address rate limits and lockouts count against: the peer, unless trusted proxies say otherwise."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastapi_betterauth.protection.client_address import ProxyTrust, header_ip, normalize, parse_ip
from fastapi_betterauth.protocol.endpoint import AuthRequest


def request(peer: str | None, **headers: str) -> AuthRequest:
    return AuthRequest(
        method="POST",
        path="/sign-in/email",
        url_source="http://localhost/api/auth/sign-in/email",
        headers={k.replace("_", "-").lower(): v for k, v in headers.items()},
        peer=peer,
    )


NO_TRUST = ProxyTrust()
NGINX = ProxyTrust.from_entries(["127.0.0.1", "10.0.0.0/8"], hops=0, headers=["x-forwarded-for"], ipv6_subnet=64)


def test_without_trusted_proxies_forwarding_headers_are_ignored() -> None:
    spoofed = request("198.51.100.7", x_forwarded_for="203.0.113.9", x_real_ip="203.0.113.10")
    assert NO_TRUST.client(spoofed) == "198.51.100.7"


def test_a_peer_that_is_not_a_trusted_proxy_cannot_speak_for_anyone() -> None:
    assert NGINX.client(request("198.51.100.7", x_forwarded_for="203.0.113.9")) == "198.51.100.7"


def test_trusted_proxy_chain_is_read_right_to_left_skipping_trusted_hops() -> None:
    # the client wrote "1.2.3.4" itself; nginx appended the real address; an inner LB appended nginx's
    chain = "1.2.3.4, 203.0.113.9, 10.0.0.5"
    assert NGINX.client(request("127.0.0.1", x_forwarded_for=chain)) == "203.0.113.9"


def test_every_hop_trusted_gives_the_leftmost() -> None:
    assert NGINX.client(request("127.0.0.1", x_forwarded_for="10.1.1.1, 10.0.0.5")) == "10.1.1.1"


def test_garbage_before_a_trusted_hop_stops_at_the_nearest_trusted_hop() -> None:
    assert NGINX.client(request("127.0.0.1", x_forwarded_for="not-an-ip, 10.0.0.5")) == "10.0.0.5"


def test_trusted_proxy_without_a_header_is_the_client() -> None:
    assert NGINX.client(request("10.0.0.5")) == "10.0.0.5"


def test_hop_count_takes_the_nth_entry_from_the_right() -> None:
    one_lb = ProxyTrust(hops=1)
    assert one_lb.client(request("10.9.9.9", x_forwarded_for="6.6.6.6, 203.0.113.9")) == "203.0.113.9"
    two = ProxyTrust(hops=2)
    assert two.client(request("10.9.9.9", x_forwarded_for="6.6.6.6, 203.0.113.9, 10.0.0.1")) == "203.0.113.9"
    # fewer entries than proxies: misconfigured or bypassed; never trust the client's words
    assert two.client(request("10.9.9.9", x_forwarded_for="6.6.6.6")) == "10.9.9.9"


def test_forwarded_header_rfc7239() -> None:
    trust = ProxyTrust.from_entries(["127.0.0.1"], hops=0, headers=["forwarded"], ipv6_subnet=64)
    value = 'for=6.6.6.6, for="[2001:db8:cafe::17]:4711";proto=https'
    assert trust.client(request("127.0.0.1", forwarded=value)) == "2001:0db8:cafe:0000:0000:0000:0000:0000"


def test_x_real_ip_from_a_trusted_proxy() -> None:
    trust = ProxyTrust.from_entries(["127.0.0.1"], hops=0, headers=["x-real-ip"], ipv6_subnet=64)
    assert trust.client(request("127.0.0.1", x_real_ip="203.0.113.9")) == "203.0.113.9"
    assert trust.client(request("198.51.100.1", x_real_ip="203.0.113.9")) == "198.51.100.1"


def test_ipv6_clients_are_grouped_by_prefix() -> None:
    a = NO_TRUST.client(request("2001:db8:1:2:aaaa::1"))
    b = NO_TRUST.client(request("2001:db8:1:2:bbbb::2"))
    c = NO_TRUST.client(request("2001:db8:1:3::1"))
    assert a == b == "2001:0db8:0001:0002:0000:0000:0000:0000"
    assert c != a
    wide = ProxyTrust(ipv6_subnet=48)
    assert wide.client(request("2001:db8:1:2::1")) == wide.client(request("2001:db8:1:3::1"))


def test_ipv4_mapped_ipv6_is_the_ipv4_address() -> None:
    assert NO_TRUST.client(request("::ffff:203.0.113.9")) == "203.0.113.9"
    # and a mapped trusted proxy is still trusted
    assert NGINX.client(request("::ffff:127.0.0.1", x_forwarded_for="203.0.113.9")) == "203.0.113.9"


def test_server_side_calls_have_no_client() -> None:
    assert NO_TRUST.client(request(None)) is None


def test_stored_ip_follows_better_auths_single_header_rule() -> None:
    assert header_ip(request(None, x_forwarded_for="203.0.113.7"), ["x-forwarded-for"], 64) == "203.0.113.7"
    assert header_ip(request(None, x_forwarded_for="198.51.100.9, 10.0.0.1"), ["x-forwarded-for"], 64) == ""
    assert header_ip(request(None, x_forwarded_for="nonsense"), ["x-forwarded-for"], 64) == ""


def test_parse_ip_accepts_proxy_forms_only() -> None:
    assert parse_ip("203.0.113.9:443") == ipaddress.ip_address("203.0.113.9")
    assert parse_ip("[::1]:80") == ipaddress.ip_address("::1")
    assert parse_ip("unknown") is None
    assert parse_ip("[::1") is None
    assert parse_ip("_hidden") is None


ips = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).map(str)
header_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"), max_size=80
)


@given(peer=ips, xff=header_text, real=header_text, fwd=header_text)
def test_property_untrusted_peer_is_always_the_client(peer: str, xff: str, real: str, fwd: str) -> None:
    trust = ProxyTrust.from_entries(
        ["10.0.0.0/8"], hops=0, headers=["x-forwarded-for", "forwarded", "x-real-ip"], ipv6_subnet=64
    )
    if trust.trusts(ipaddress.ip_address(peer)):
        return
    got = trust.client(request(peer, x_forwarded_for=xff, x_real_ip=real, forwarded=fwd))
    assert got == normalize(ipaddress.ip_address(peer), 64)


@given(chain=st.lists(ips, min_size=1, max_size=6), peer=st.sampled_from(["10.0.0.1", "10.200.0.9"]))
def test_property_trusted_chain_answer_is_a_listed_hop_and_untrusted_when_possible(chain: list[str], peer: str) -> None:
    got = NGINX.client(request(peer, x_forwarded_for=", ".join(chain)))
    candidates = {normalize(ipaddress.ip_address(ip), 64) for ip in chain}
    assert got in candidates
    untrusted = [ip for ip in chain if not NGINX.trusts(ipaddress.ip_address(ip))]
    if untrusted:
        assert got == normalize(ipaddress.ip_address(untrusted[-1]), 64)


@pytest.mark.parametrize("entry", ["10.0.0.0/8", "2001:db8::/32", "127.0.0.1"])
def test_trust_entries_compile(entry: str) -> None:
    assert ProxyTrust.from_entries([entry], hops=0, headers=["x-forwarded-for"], ipv6_subnet=64).configured
