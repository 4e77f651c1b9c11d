"""The client's address as the server should believe it: the connection's own, unless
the connection comes from a trusted reverse proxy, which says in ``X-Forwarded-For`` whom
it forwards for. Each proxy appends the address it heard from, so the list is read from
its right end, past the trusted proxies, to the first address none of them is: anything
to the left of that was written by the client and proves nothing."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any, Protocol

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


class Connection(Protocol):
    """What a web framework's request tells of where it came from (Starlette's)."""

    @property
    def client(self) -> Any: ...  # an address with ``host``, or None

    @property
    def headers(self) -> Any: ...  # with ``getlist(name)``


def address_of(request: Connection, trusted: tuple[Network, ...]) -> str:
    """The client's address of a request: its connection's, or whom a trusted proxy
    forwards for (every ``X-Forwarded-For`` header of it read as one list)."""
    return client_address(request.client.host if request.client else None,
                          ",".join(request.headers.getlist("x-forwarded-for")) or None,
                          trusted)


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
