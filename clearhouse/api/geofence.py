"""Geofencing at the edge: where a request comes from, decided before anything else runs.

Hooked once into the REST pipeline (`gateway._admit`, every REST and admin call) and once into
the WebSocket endpoint (before the handshake is accepted, so a refused client gets HTTP 403 and
never a session). The rules are the engine's own (`core.compliance.jurisdiction`), read from the
engine's state, so the gateway and the policy gate can never disagree; the engine refuses the
same commands again when they arrive (defence in depth), with the facts in the journal.

- A blocked IP country is refused with 403 `FORBIDDEN`.
- An IP whose country is unknown is refused the same way: unknown is never neutral.
- Loopback and private addresses have no country. They follow the venue's local-address
  policy, which is engine state set from `Settings.local_addresses` at start-up (journaled):
  "allow" lets them through, "block" refuses them, and "" (the default) means allow in demo
  mode and block in live mode. A live venue behind a reverse proxy names it with
  `--trusted-proxy`, so clients are seen by their real address; a request that arrives with
  only the proxy's private address is then refused rather than waved through.
- WebSocket logins (`spot.login`) from a VPN, Tor or hosting address on a loaded list are
  refused (`FORBIDDEN` when the list denies, `STEP_UP_REQUIRED` when it asks for a second
  factor, which a WebSocket login cannot present).
"""

from __future__ import annotations

import logging
from typing import Final

from clearhouse.api.errors import FORBIDDEN, ApiError
from clearhouse.api.runtime import Runtime, Settings
from clearhouse.core.commands import Facts, SetLocalAddressPolicy
from clearhouse.core.compliance import network_risk
from clearhouse.core.compliance.jurisdiction import ip_refusal
from clearhouse.core.errors import STEP_UP_REQUIRED
from clearhouse.core.state import State
from clearhouse.venue import Venue

log = logging.getLogger("clearhouse.api")

ALLOW: Final = "allow"
BLOCK: Final = "block"
LOCAL_ADDRESS_CHOICES: Final = ("", ALLOW, BLOCK)


def refusal(state: State, ip: str, country: str) -> str:
    """Why every call from this address is refused, "" when it is not."""
    return ip_refusal(state.identity, ip, country)


def admit(runtime: Runtime, ip: str, country: str) -> None:
    """The REST and admin pipeline's check: 403 for a blocked or unknown country."""
    reason = ip_refusal(runtime.venue.engine.state.identity, ip, country)
    if reason:
        raise ApiError(FORBIDDEN, reason)


def login_refusal(state: State, ip: str) -> ApiError | None:
    action, kind = network_risk.verdict(state.identity, ip)
    if action == network_risk.DENY:
        return ApiError(FORBIDDEN, f"logins from {kind} addresses are refused")
    if action == network_risk.STEP_UP:
        return ApiError(
            STEP_UP_REQUIRED,
            f"logins from a {kind} address need a second factor; use REST with X-CH-TOTP",
            status=403,
        )
    return None


def local_addresses_allowed(settings: Settings) -> bool:
    choice = settings.local_addresses
    if choice not in LOCAL_ADDRESS_CHOICES:
        raise ValueError(f"local_addresses must be one of {LOCAL_ADDRESS_CHOICES}, not {choice!r}")
    return choice == ALLOW or (choice == "" and settings.demo)


def apply_local_policy(venue: Venue, settings: Settings) -> None:
    """Journal the local-address policy the settings ask for, if the venue's differs."""
    allowed = local_addresses_allowed(settings)
    if venue.engine.state.identity.local_addresses_allowed == allowed:
        return
    mode = "demo" if settings.demo else "live"
    reason = f"start-up: local_addresses={settings.local_addresses or 'default'} ({mode} mode)"
    venue.submit_one(SetLocalAddressPolicy(allowed), Facts(actor="settings", reason=reason))
    log.info("local client addresses %s", "allowed" if allowed else "refused")
