"""The client behind a request, as login throttling counts it (issue 10).

The TCP peer is the client unless it is one of the trusted proxies (``GATEWAY.trusted_proxies``:
the site's Ingress or load balancer, addresses or CIDR networks). While the hop is trusted, the
client is the address that hop put last in ``X-Forwarded-For``, read from the right; the first
hop that is not trusted is the client. Whatever a client writes into the header itself lies to
the left of what the proxies append, so it is never reached. Without trusted proxies the header
is ignored. (werkzeug's ProxyFix trusts a fixed number of hops from whoever connects; a client
that reaches the gateway directly could then choose its own address.)

An IPv6 client counts by its /64: one subscriber usually holds a whole /64.
"""

from __future__ import annotations

import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
UNKNOWN = "unknown"


def trusted_networks(setting: str | list[str] | None) -> tuple[Network, ...]:
    """The trusted proxies from a comma-separated string (or a list); ValueError when one is
    not an address or network."""
    items = setting.split(",") if isinstance(setting, str) else (setting or [])
    return tuple(ipaddress.ip_network(item.strip(), strict=False)
                 for item in items if item and item.strip())


def _parse(text: str | None) -> Address | None:
    try:
        address = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_address(peer: str | None, forwarded_for: str | None,
                   trusted: tuple[Network, ...]) -> str:
    """The client's address as a throttle key (at most 43 characters)."""
    client = _parse(peer)
    if client is None:
        return UNKNOWN
    hops = [hop for hop in (forwarded_for or "").split(",") if hop.strip()] if trusted else []
    while hops and any(client in network for network in trusted):
        named = _parse(hops.pop())
        if named is None:  # a proxy would not write that: stop at the proxy itself
            break
        client = named
    if isinstance(client, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((client, 64), strict=False))
    return str(client)
