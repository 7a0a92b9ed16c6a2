"""VPN, Tor and hosting address ranges, and what a request from one of them must do.

Lists are loaded by command (`LoadNetworkRiskList`), one per kind, each with its action:
`step_up` (the request needs a verified second factor) or `deny`. They apply to logins (the
WebSocket `spot.login`), withdrawals and API-key changes from customer channels. An address on
several lists gets the strictest action.

List file format (`parse_list`): one IPv4 or IPv6 network in CIDR notation (or a bare address)
per line; `#` starts a comment; blank lines are ignored. Example: `network_risk_sample/`.

Lookups are O(log n): each kind's networks are collapsed into disjoint ranges, kept as sorted
integer bounds per IP version, and searched with bisect.
"""

from __future__ import annotations

import hashlib
import ipaddress
from bisect import bisect_right
from typing import TYPE_CHECKING, Final

from clearhouse.core.commands import LoadNetworkRiskList
from clearhouse.core.compliance.identity_state import NetworkRiskList
from clearhouse.core.context import Context
from clearhouse.core.errors import INVALID_PARAM_VALUE, Rejected
from clearhouse.core.events import NetworkRiskListLoaded

if TYPE_CHECKING:
    from clearhouse.core.compliance.identity_state import IdentityRegistry
    from clearhouse.core.state import State

VPN: Final = "vpn"
TOR: Final = "tor"
HOSTING: Final = "hosting"
KINDS: Final = (VPN, TOR, HOSTING)
STEP_UP: Final = "step_up"
DENY: Final = "deny"
ACTIONS: Final = (STEP_UP, DENY)
MAX_NETWORKS: Final = 50_000  # per list; a list is one journal record
MAX_SOURCE_CHARS: Final = 256
MAX_LINE_CHARS: Final = 200

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_list(text: str) -> tuple[str, ...]:
    """The networks of a list file, normalised; ValueError names the first bad line."""
    out: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        if len(entry) > MAX_LINE_CHARS:
            raise ValueError(f"line {number}: too long")
        try:
            out.append(str(ipaddress.ip_network(entry, strict=False)))
        except ValueError as exc:
            raise ValueError(f"line {number}: {entry!r} is not an IP network") from exc
        if len(out) > MAX_NETWORKS:
            raise ValueError(f"more than {MAX_NETWORKS} networks")
    return tuple(out)


def _normalise(cidrs: tuple[str, ...]) -> tuple[str, ...]:
    networks: list[Network] = []
    for cidr in cidrs:
        try:
            networks.append(ipaddress.ip_network(cidr, strict=False))
        except ValueError as exc:
            raise Rejected(INVALID_PARAM_VALUE, f"{cidr!r} is not an IP network") from exc
    v4 = [n for n in networks if n.version == 4]
    v6 = [n for n in networks if n.version == 6]
    collapsed = list(ipaddress.collapse_addresses(v4)) + list(ipaddress.collapse_addresses(v6))
    return tuple(str(n) for n in collapsed)


def load_network_risk_list(state: State, cmd: LoadNetworkRiskList, ctx: Context) -> None:
    if cmd.kind not in KINDS:
        raise Rejected(INVALID_PARAM_VALUE, f"kind must be one of {', '.join(KINDS)}")
    if cmd.action not in ACTIONS:
        raise Rejected(INVALID_PARAM_VALUE, f"action must be one of {', '.join(ACTIONS)}")
    if len(cmd.cidrs) > MAX_NETWORKS:
        raise Rejected(INVALID_PARAM_VALUE, f"at most {MAX_NETWORKS} networks per list")
    if not cmd.source.strip() or len(cmd.source) > MAX_SOURCE_CHARS:
        raise Rejected(INVALID_PARAM_VALUE, f"source must be 1..{MAX_SOURCE_CHARS} characters")
    cidrs = _normalise(cmd.cidrs)
    # --- nothing above this line writes ---
    version = hashlib.sha256("\n".join(cidrs).encode()).hexdigest()
    registry = state.identity
    registry.network_lists[cmd.kind] = NetworkRiskList(
        cmd.kind, cmd.action, cidrs, cmd.source, version, ctx.time_ns
    )
    registry.network_index = None  # rebuilt on the next lookup
    ctx.events.append(NetworkRiskListLoaded(cmd.kind, cmd.action, len(cidrs), version))


class NetworkIndex:
    """Per kind and IP version: disjoint ranges as sorted starts and their ends."""

    __slots__ = ("ranges",)

    def __init__(self, lists: dict[str, NetworkRiskList]) -> None:
        self.ranges: dict[tuple[str, int], tuple[list[int], list[int]]] = {}
        for kind in sorted(lists):
            for version in (4, 6):
                bounds = sorted(
                    (int(n.network_address), int(n.broadcast_address))
                    for n in (ipaddress.ip_network(c) for c in lists[kind].cidrs)
                    if n.version == version
                )
                if bounds:
                    self.ranges[(kind, version)] = (
                        [start for start, _ in bounds],
                        [end for _, end in bounds],
                    )

    def kinds_of(self, ip: str) -> list[str]:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return []
        value = int(address)
        out: list[str] = []
        for (kind, version), (starts, ends) in self.ranges.items():
            if version != address.version:
                continue
            i = bisect_right(starts, value) - 1
            if i >= 0 and value <= ends[i]:
                out.append(kind)
        return out


def verdict(registry: IdentityRegistry, ip: str) -> tuple[str, str]:
    """(action, kind) for a request from `ip`: ("", "") when it is on no list."""
    if not registry.network_lists or not ip:
        return "", ""
    index = registry.network_index
    if index is None:
        index = registry.network_index = NetworkIndex(registry.network_lists)
    found = index.kinds_of(ip)
    if not found:
        return "", ""
    lists = registry.network_lists
    for kind in found:
        if lists[kind].action == DENY:
            return DENY, kind
    return STEP_UP, found[0]
