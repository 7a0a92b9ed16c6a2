"""Withdrawal limits per verified person over a rolling 24 hours of engine time.

The limit belongs to the person, not the account: every withdrawal from any account whose
beneficial owner is that person (master accounts, sub-accounts, a second account) counts against
one allowance, so opening more accounts never adds allowance. Limits are per KYC tier and asset
(`SetKycLimits`); an asset without a limit at a tier has no allowance. Tier 0 is unverified and
can have no allowance at all: configuration that tries is refused, whatever the amount.

Requested and approved withdrawals count; rejected ones give their allowance back.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Final

from clearhouse.core.commands import Command, Facts, RequestWithdrawal, SetKycLimits
from clearhouse.core.compliance.kyc import MAX_KYC_TIER
from clearhouse.core.context import Context
from clearhouse.core.errors import (
    INVALID_CURRENCY,
    INVALID_PARAM_VALUE,
    WITHDRAWAL_OVER_LIMIT,
    Rejected,
)
from clearhouse.core.events import KycLimitsSet
from clearhouse.core.wallet import MAX_AMOUNT_UNITS, REJECTED

if TYPE_CHECKING:
    from clearhouse.core.state import State

WINDOW_NS: Final = 24 * 3_600 * 1_000_000_000


def set_kyc_limits(state: State, cmd: SetKycLimits, ctx: Context) -> None:
    if cmd.tier < 1:
        raise Rejected(
            INVALID_PARAM_VALUE, "tier 0 is unverified: no configuration may give it an allowance"
        )
    if cmd.tier > MAX_KYC_TIER:
        raise Rejected(INVALID_PARAM_VALUE, f"tier must be 1..{MAX_KYC_TIER}")
    seen: set[str] = set()
    for asset, units in cmd.withdrawal_limits:
        if asset not in state.asset_index:
            raise Rejected(INVALID_CURRENCY, f"unknown currency {asset!r}")
        if asset in seen:
            raise Rejected(INVALID_PARAM_VALUE, f"{asset} is listed twice")
        seen.add(asset)
        if not 0 <= units <= MAX_AMOUNT_UNITS:
            raise Rejected(INVALID_PARAM_VALUE, "a limit is 0 or a positive amount")
    # --- nothing above this line writes ---
    state.identity.withdrawal_limits[cmd.tier] = dict(cmd.withdrawal_limits)
    limits = tuple(sorted(cmd.withdrawal_limits))
    ctx.events.append(KycLimitsSet(cmd.tier, limits))


def used_units(state: State, person: int, asset: str) -> int:
    """What this person withdrew of this asset in the 24 hours up to now (engine time).

    The per-person index is derived from `state.withdrawals` (withdrawal ids grow with time),
    extended with the withdrawals made since the last look and trimmed of those out of the
    window; it is rebuilt the same way after a snapshot is loaded."""
    registry = state.identity
    withdrawals = state.withdrawals
    accounts = state.accounts
    cutoff = state.time_ns - WINDOW_NS
    recent = registry.recent_withdrawals
    for withdrawal_id in range(registry.withdrawal_cursor, state.next_withdrawal_id):
        withdrawal = withdrawals[withdrawal_id]
        if withdrawal.time_ns > cutoff:
            key = (accounts[withdrawal.account].beneficial_owner, withdrawal.asset)
            recent.setdefault(key, deque()).append(withdrawal_id)
    registry.withdrawal_cursor = state.next_withdrawal_id
    ids = recent.get((person, asset))
    if not ids:
        return 0
    while ids and withdrawals[ids[0]].time_ns <= cutoff:
        ids.popleft()
    return sum(withdrawals[i].amount_units for i in ids if withdrawals[i].status != REJECTED)


def require_within_limit(state: State, command: Command, facts: Facts) -> None:
    """Gate rule for withdrawals (after the KYC rule, so the person is verified)."""
    assert type(command) is RequestWithdrawal
    if (
        command.asset not in state.asset_index
        or command.amount_units <= 0
        or (command.account, command.client_id) in state.withdrawal_refs
    ):
        return  # the handler refuses bad input, or answers a retry with the original effect
    account = state.accounts[command.account]
    person = account.beneficial_owner
    tier = state.parties[person].kyc_tier
    limit = state.identity.withdrawal_limits.get(tier, {}).get(command.asset)
    if limit is None:
        raise Rejected(
            WITHDRAWAL_OVER_LIMIT, f"KYC tier {tier} has no withdrawal allowance in {command.asset}"
        )
    used = used_units(state, person, command.asset)
    if used + command.amount_units > limit:
        raise Rejected(
            WITHDRAWAL_OVER_LIMIT,
            f"over the 24 h withdrawal limit of party {person} (tier {tier}) in "
            f"{command.asset}: {used} of {limit} units used",
        )
