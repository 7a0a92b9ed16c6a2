"""Jurisdictions: the blocked and restricted lists, and what they say about a country or an IP.

- **Blocked** (default: the comprehensively sanctioned jurisdictions, `DEFAULT_BLOCKED`): a party
  whose verified country is blocked can do nothing with its money; a request from an IP in a
  blocked country is refused outright (the gateway answers 403 before anything else, and the
  engine refuses the command too).
- **Restricted** (default: none; e.g. US): the venue does not offer trading there. A party whose
  verified country is restricted, or a request from such an IP, may not trade; it may still
  cancel orders and withdraw its funds.

The lists apply to the verified KYC country and to the request's IP country. An IP whose country
is unknown is treated as blocked, never as neutral, except that loopback and private addresses
(which have no country) follow the venue's explicit local-address policy.

Country codes are ISO 3166-1 alpha-2 ("IR") or ISO 3166-2 subdivisions ("UA-43"); listing a
country covers all of its subdivisions.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Final

from clearhouse.core.errors import INVALID_PARAM_VALUE, Rejected

if TYPE_CHECKING:
    from clearhouse.core.compliance.identity_state import IdentityRegistry

BLOCKED_LIST: Final = "blocked"
RESTRICTED_LIST: Final = "restricted"
LIST_NAMES: Final = (BLOCKED_LIST, RESTRICTED_LIST)
MAX_CODES: Final = 300

_CODE: Final = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")

# What an IP address says about where a request comes from.
IP_OK: Final = "ok"  # a known country on neither list
IP_LOCAL: Final = "local"  # loopback / private, let through by the local-address policy
IP_RESTRICTED: Final = "restricted"
IP_BLOCKED: Final = "blocked"
IP_UNKNOWN: Final = "unknown"  # refused like blocked


def valid_code(code: str) -> bool:
    return bool(_CODE.match(code))


def require_code(code: str, what: str = "country") -> None:
    if not valid_code(code):
        raise Rejected(
            INVALID_PARAM_VALUE, f"{what} {code!r} is not an ISO 3166 code (e.g. DE or UA-43)"
        )


def listed(codes: frozenset[str], code: str) -> bool:
    """Is this country (or the country of this subdivision) on the list?"""
    return code in codes or (len(code) > 2 and code[:2] in codes)


def is_local_address(ip: str) -> bool:
    """Loopback, private and link-local addresses: the venue's own network, no country."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def ip_verdict(registry: IdentityRegistry, ip: str, country: str) -> str:
    """Where a request comes from, as the lists see it. `country` is the gateway's lookup."""
    if country:
        if listed(registry.blocked_jurisdictions, country):
            return IP_BLOCKED
        if listed(registry.restricted_jurisdictions, country):
            return IP_RESTRICTED
        return IP_OK
    if registry.local_addresses_allowed and is_local_address(ip):
        return IP_LOCAL
    return IP_UNKNOWN


def ip_refusal(registry: IdentityRegistry, ip: str, country: str) -> str:
    """Why a request from this address is refused on every call, "" when it is not."""
    verdict = ip_verdict(registry, ip, country)
    if verdict == IP_BLOCKED:
        return f"access from {country} is not permitted"
    if verdict == IP_UNKNOWN:
        return f"the country of {ip or 'an unknown address'} is unknown; access refused"
    return ""
