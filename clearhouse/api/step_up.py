"""Step-up: a second factor the gateway verifies for one request (TOTP, RFC 6238, via pyotp).

A party enrols through the admin API (`POST /api/ch/v1/admin/parties/{party}/step_up`): the
venue generates the secret, keeps it only sealed (engine state, like API-key secrets) and shows
it once as an otpauth:// URI. A signed REST request may then carry `X-CH-TOTP: <code>`; when the
code is right for the beneficial owner of the key's account, the request's facts say
`step_up="totp"` and the policy gate accepts the sensitive actions that ask for a second factor
(a withdrawal from another country than the verified one, or from a VPN or hosting address).
A wrong code refuses the request; no code simply means no step-up.
"""

from __future__ import annotations

from typing import Final

import pyotp

from clearhouse.api.errors import INVALID_CREDENTIALS, ApiError
from clearhouse.api.runtime import Runtime
from clearhouse.api.sealing import SealError

HEADER: Final = "X-CH-TOTP"
TOTP: Final = "totp"
VALID_WINDOW: Final = 1  # one 30 s step either side, for clock drift
ISSUER: Final = "Clearhouse"


def sealing_id(party: int) -> str:
    return f"totp:{party}"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, party: int) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=f"party-{party}", issuer_name=ISSUER)


def verify(runtime: Runtime, code: str | None, account: int) -> str:
    """A second factor for this request: "totp" when its `X-CH-TOTP` code is right for the
    beneficial owner of the account, "" when it carries none; a wrong code refuses it."""
    if code is None:
        return ""
    state = runtime.venue.engine.state
    owner = state.accounts[account].beneficial_owner
    sealed = state.identity.step_up_secrets.get(owner)
    if sealed is None:
        raise ApiError(INVALID_CREDENTIALS, "no second factor is enrolled for this account")
    try:
        secret = runtime.master_key.unseal(sealed, sealing_id(owner))
    except SealError as exc:
        raise ApiError(INVALID_CREDENTIALS, "the second factor cannot be checked") from exc
    if not (code.isdigit() and pyotp.TOTP(secret).verify(code, valid_window=VALID_WINDOW)):
        raise ApiError(INVALID_CREDENTIALS, f"{HEADER} is wrong or expired")
    return TOTP
