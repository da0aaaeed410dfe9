"""Who is asking: the client address behind TRUSTED_PROXIES, one rule for the REST API and the pages.

X-Forwarded-For is written by whoever sends the request, so it is believed only as far as the
operator says proxies append to it: with TRUSTED_PROXIES = n the caller is the n-th entry from
the right (the address the outermost trusted proxy saw); with 0 it is the socket peer.
"""

from __future__ import annotations

import ipaddress

# headers a reverse proxy adds; their presence means the peer is not the person at the keyboard
PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def trusted_entry(header: str, hops: int) -> str | None:
    """The entry of a comma-separated forwarded header (X-Forwarded-For, X-Forwarded-Proto) the outermost
    of `hops` trusted proxies wrote (None: no proxy is trusted, or the header is empty). A proxy that
    sets the header instead of appending leaves fewer entries: then the first is its own."""
    if hops <= 0:
        return None
    entries = [part.strip() for part in header.split(",") if part.strip()]
    if not entries:
        return None
    return entries[-hops] if len(entries) >= hops else entries[0]


def client_address(peer: str, forwarded_for: str, trusted_proxies: int) -> str:
    """The caller's address from the socket peer and the X-Forwarded-For header."""
    return trusted_entry(forwarded_for, trusted_proxies) or peer or "unknown"


def is_loopback(address: str) -> bool:
    """127.0.0.0/8 or ::1 (an IPv4-mapped loopback too); anything unparsable is not."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def is_local_request(peer: str, headers: dict[str, str], trusted_proxies: int) -> bool:
    """The request comes from this machine itself: a loopback peer and no proxy in between.

    A reverse proxy on the same host also connects from loopback, but it adds forwarding headers;
    a request carrying any (trusted or not) is never taken for a local one."""
    lowered = {name.lower() for name in headers}
    if any(name in lowered for name in PROXY_HEADERS):
        return False
    return trusted_proxies == 0 and is_loopback(peer)


def address_bucket(address: str) -> str:
    """The key a per-address limit counts under: the address, or its /64 for IPv6 (one host's share)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
