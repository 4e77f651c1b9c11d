"""The client's address as the server should believe it: the connection's own, unless
the connection comes from a trusted reverse proxy, which says in ``X-Forwarded-For`` whom
it forwards for. Each proxy appends the address it heard from, so the list is read from
its right end, past the trusted proxies, to the first address none of them is: anything
to the left of that was written by the client and proves nothing."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str | None, forwarded_for: str | None,
                   trusted: tuple[Network, ...]) -> str:
    """``peer``: the connection's address (None when the server does not know it);
    ``forwarded_for``: the request's ``X-Forwarded-For``, every such header joined."""
    address = peer or "unknown"
    if not trusted or not _trusted(address, trusted) or not forwarded_for:
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:  # garbled: the last proxy we trust is all that is known
            return address
        address = hop
        if not _trusted(hop, trusted):
            return hop
    return address  # proxies all the way: the leftmost of them


