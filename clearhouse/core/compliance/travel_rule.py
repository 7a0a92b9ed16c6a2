"""The Travel Rule (FATF Recommendation 16) on withdrawals.

A withdrawal valued at or above the threshold (default USD 1,000; `ConfigureTravelRule`)
carries IVMS101 originator and beneficiary data; without valid data it is refused and nothing
changes. The data is stored with the withdrawal (and so in the snapshot), with the valuation
that made it necessary.

Valuing an amount in US dollars, in integers and never in the user's favour:
- USDT counts 1:1 (the venue's quote currency stands in for the dollar);
- any other asset X by the market X_USDT: its index price if one is set, else its last trade;
- an asset with no such price cannot be shown to be under the threshold, so its withdrawal
  needs the data whatever the amount (recorded with a value of -1).
The comparison with the threshold is exact (integer cross-multiplication, no rounding). The
value recorded is rounded down to the cent, which keeps it on the same side of the (whole-cent)
threshold as the exact value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import msgspec

from clearhouse.core.commands import ConfigureTravelRule, RequestWithdrawal
from clearhouse.core.compliance.travel_rule_ivms import IdentityPayload, person_name
from clearhouse.core.compliance.travel_rule_validation import (
    NS_PER_DAY,
    validate_identity_payload,
)
from clearhouse.core.context import Context
from clearhouse.core.errors import (
    INVALID_PARAM_VALUE,
    NO_CHANGE,
    TRAVEL_RULE_REQUIRED,
    Rejected,
)
from clearhouse.core.events import TravelRuleConfigured, TravelRuleRecorded

if TYPE_CHECKING:
    from clearhouse.core.state import State
    from clearhouse.core.wallet import Withdrawal

DEFAULT_THRESHOLD_USD_CENTS: Final = 1_000 * 100
MAX_THRESHOLD_USD_CENTS: Final = 10**15  # far above any real threshold
USD_ASSET: Final = "USDT"
UNPRICED: Final = -1


class TravelRuleRecord(msgspec.Struct, frozen=True):
    """What a withdrawal keeps: its valuation, the threshold then, the IVMS101 data, and the
    sanctions list version its destination was screened clear against (by the policy gate)."""

    value_usd_cents: int  # UNPRICED when the asset has no USD price
    threshold_usd_cents: int
    payload: IdentityPayload | None
    screening_version: str = ""


def usd_text(cents: int) -> str:
    return f"{cents // 100:,}.{cents % 100:02d}"


def _value(state: State, asset: str, amount_units: int) -> tuple[int, int] | None:
    """The amount's exact value in US cents as a fraction (numerator, denominator), or None."""
    usd = state.assets.get(USD_ASSET)
    if usd is None:
        return None
    if asset == USD_ASSET:
        return amount_units * 100, 10**usd.scale
    market = state.markets.get(f"{asset}_{USD_ASSET}")
    if market is None:
        return None
    price_ticks = state.index_prices.get(market.spec.name) or market.book.last_price_ticks
    if price_ticks <= 0:
        return None
    units = market.units
    # quote units = price_ticks x lots x quote_units_per_tick_lot, lots = base units / per lot
    quote_units_x_lot = price_ticks * amount_units * units.quote_units_per_tick_lot
    return quote_units_x_lot * 100, units.base_units_per_lot * 10**usd.scale


def value_usd_cents(state: State, asset: str, amount_units: int) -> int:
    """The amount's value in US cents, rounded down; UNPRICED when there is no price."""
    value = _value(state, asset, amount_units)
    return UNPRICED if value is None else value[0] // value[1]


def check_withdrawal(state: State, cmd: RequestWithdrawal) -> TravelRuleRecord:
    """Decide whether the withdrawal needs IVMS101 data and validate what it carries.

    Reads only. Data sent below the threshold is validated and kept all the same: a venue that
    accepted broken data because it was not strictly needed would pass it on to the next VASP.
    """
    threshold = state.travel_rule_threshold_usd_cents
    exact = _value(state, cmd.asset, cmd.amount_units)
    value = UNPRICED if exact is None else exact[0] // exact[1]
    payload = cmd.travel_rule
    if payload is None:
        if exact is None:
            raise Rejected(
                TRAVEL_RULE_REQUIRED,
                f"{cmd.asset} has no USD price to compare with the Travel Rule threshold: "
                "IVMS101 originator and beneficiary data are required",
            )
        if exact[0] >= threshold * exact[1]:
            raise Rejected(
                TRAVEL_RULE_REQUIRED,
                f"a withdrawal worth USD {usd_text(value)} is at or above the Travel Rule "
                f"threshold of USD {usd_text(threshold)}: IVMS101 originator and beneficiary "
                "data are required",
            )
    else:
        validate_identity_payload(payload, state.time_ns // NS_PER_DAY, cmd.address)
    return TravelRuleRecord(value, threshold, payload, state.sanctions.version)


def record(withdrawal: Withdrawal, travel: TravelRuleRecord, ctx: Context) -> None:
    """Keep the decision with the withdrawal; announce the data when there is some."""
    withdrawal.travel_rule = travel
    payload = travel.payload
    if payload is not None:
        ctx.events.append(
            TravelRuleRecorded(
                withdrawal.withdrawal_id,
                travel.value_usd_cents,
                travel.threshold_usd_cents,
                "; ".join(person_name(p) for p in payload.originator.originator_persons),
                "; ".join(person_name(p) for p in payload.beneficiary.beneficiary_persons),
            )
        )


def configure_travel_rule(state: State, cmd: ConfigureTravelRule, ctx: Context) -> None:
    if not 0 <= cmd.threshold_usd_cents <= MAX_THRESHOLD_USD_CENTS:
        raise Rejected(
            INVALID_PARAM_VALUE, f"threshold must be 0..{MAX_THRESHOLD_USD_CENTS} US cents"
        )
    if cmd.threshold_usd_cents == state.travel_rule_threshold_usd_cents:
        raise Rejected(NO_CHANGE, "the Travel Rule threshold is already that")
    # --- nothing above this line writes ---
    state.travel_rule_threshold_usd_cents = cmd.threshold_usd_cents
    ctx.events.append(TravelRuleConfigured(cmd.threshold_usd_cents))


# --- snapshot ----------------------------------------------------------------------------------
def dump(state: State) -> dict[str, Any]:
    return {
        "threshold_usd_cents": state.travel_rule_threshold_usd_cents,
        "records": [
            [wid, msgspec.to_builtins(state.withdrawals[wid].travel_rule)]
            for wid in sorted(state.withdrawals)
            if state.withdrawals[wid].travel_rule is not None
        ],
    }


def load(state: State, raw: dict[str, Any] | None) -> None:
    """Restore the threshold and the records onto the (already loaded) withdrawals."""
    if raw is None:  # a snapshot from before the Travel Rule was in the engine
        return
    state.travel_rule_threshold_usd_cents = raw["threshold_usd_cents"]
    for wid, record in raw["records"]:
        state.withdrawals[wid].travel_rule = msgspec.convert(record, TravelRuleRecord)
