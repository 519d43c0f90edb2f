"""Who is on the other end: the client's IP address, proxies taken into account.

The peer address of the socket is the client unless that peer is one of our own
proxies (``TRUSTED_PROXIES``, addresses or CIDRs). Then ``X-Forwarded-For`` is read from
the right: each trusted hop is skipped and the first address that is not ours is the
client. Anyone else's ``X-Forwarded-For`` is ignored: a client cannot pick its own IP.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=32)
def networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(t, strict=False) for t in trusted)


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in trusted)


def client_ip(peer: str | None, forwarded_for: str | None, trusted: tuple[str, ...]) -> str:
    """The client's address ("unknown" without a peer)."""
    address = peer or "unknown"
    nets = networks(trusted)
    if not nets or not forwarded_for or not _trusted(address, nets):
        return address
    for hop in reversed(forwarded_for.split(",")):
        hop = hop.strip()
        if not hop:
            continue
        if not _trusted(hop, nets):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return address  # garbage in the header: the proxy itself answers for it
    return address
