"""services/client_address.py: the caller's address behind TRUSTED_PROXIES, and what counts as this machine."""

from __future__ import annotations

import pytest

from smartspec_app.services.client_address import address_bucket, client_address, is_local_request


@pytest.mark.parametrize(
    ("peer", "forwarded", "hops", "expected"),
    [
        ("10.0.0.2", "", 0, "10.0.0.2"),
        ("10.0.0.2", "6.6.6.6", 0, "10.0.0.2"),  # no trusted proxy: the header is the caller's own words
        ("10.0.0.2", "6.6.6.6, 203.0.113.9", 1, "203.0.113.9"),  # one proxy appended the real caller last
        ("10.0.0.2", "6.6.6.6, 203.0.113.9, 10.0.0.1", 2, "203.0.113.9"),
        ("10.0.0.2", "", 1, "10.0.0.2"),
        ("", "", 0, "unknown"),
    ],
)
def test_client_address(peer: str, forwarded: str, hops: int, expected: str) -> None:
    assert client_address(peer, forwarded, hops) == expected


@pytest.mark.parametrize(
    ("peer", "headers", "hops", "local"),
    [
        ("127.0.0.1", {"host": "localhost:3000"}, 0, True),
        ("::1", {}, 0, True),
        ("::ffff:127.0.0.1", {}, 0, True),
        ("127.0.0.1", {"X-Forwarded-For": "203.0.113.9"}, 0, False),  # a proxy on this host, passing a stranger on
        ("127.0.0.1", {"forwarded": "for=203.0.113.9"}, 0, False),
        ("127.0.0.1", {"x-real-ip": "203.0.113.9"}, 0, False),
        ("127.0.0.1", {}, 1, False),  # behind configured proxies nobody is local
        ("172.17.0.1", {}, 0, False),  # a container's gateway: another machine's traffic
        ("203.0.113.9", {}, 0, False),
        ("unknown", {}, 0, False),
    ],
)
def test_is_local_request(peer: str, headers: dict, hops: int, local: bool) -> None:
    assert is_local_request(peer, headers, hops) is local


def test_address_bucket() -> None:
    assert address_bucket("203.0.113.9") == "203.0.113.9"
    assert address_bucket("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert address_bucket("::ffff:198.51.100.1") == "198.51.100.1"
    assert address_bucket("") == "unknown"
