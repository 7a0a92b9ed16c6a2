"""Who is calling: the client's IP address and its country, as the gateway observes them.

`X-Forwarded-For` is believed only when the TCP peer is a proxy named with
`clearhouse serve --trusted-proxy CIDR`; then the client is the right-most address in the header
that is not itself a trusted proxy. Anyone else's header is ignored, so a client cannot choose its
own address. The country comes from an offline IP database (`iptocc`); unknown is "" and the
policy gate treats unknown as blocked.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Final

MAX_FORWARDED_HOPS: Final = 16

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _load_country_lookup() -> Callable[[str], str | None] | None:
    try:
        import iptocc
    except ImportError:  # pragma: no cover - iptocc is a runtime dependency
        return None
    lookup: Callable[[str], str | None] = iptocc.country_code
    return lookup


_country_lookup = _load_country_lookup()


def country_of(ip: str) -> str:
    """ISO 3166 alpha-2 of the address, "" when unknown (private, loopback, unparseable)."""
    if _country_lookup is None or not ip:
        return ""
    try:
        code = _country_lookup(ip)
    except (ValueError, TypeError):
        return ""
    return code.upper() if code else ""


def parse_networks(cidrs: Iterable[str]) -> tuple[IPNetwork, ...]:
    """CIDRs (or bare addresses) to networks; raises ValueError on a malformed one."""
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs)


class ClientAddress:
    """Resolves the client IP of a request given the configured trusted proxies."""

    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        self.trusted = parse_networks(trusted_proxies)

    def _is_trusted(self, ip: str) -> bool:
        if not self.trusted:
            return False
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in network for network in self.trusted)

    def resolve(self, peer: str, forwarded_for: str | None) -> str:
        if not forwarded_for or not self._is_trusted(peer):
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",")][-MAX_FORWARDED_HOPS:]
        for hop in reversed(hops):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                return peer  # a malformed chain proves nothing: fall back to what we saw
            if not self._is_trusted(hop):
                return hop
        return hops[0] if hops else peer
