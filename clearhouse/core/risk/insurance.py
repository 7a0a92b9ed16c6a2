"""The insurance fund: the INSURANCE ledger account and the positions it took over.

After liquidations in a contract the fund unwinds its position there with a reduce-only IOC
limited to the mark's price band and to the fund's own bankruptcy price, so unwinding never
realises more loss than the fund has (a trade of kind "liquidation"); whatever it realises is
the fund's surplus or deficit. If the fund's equity (balance plus the unrealised PnL of everything
it holds) is then below zero, the fund cannot absorb the loss and its position is
auto-deleveraged against the highest-ranked opposite positions (adl.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clearhouse.core.book import BUY, IOC, SELL
from clearhouse.core.context import Context
from clearhouse.core.events import ContractOrderAccepted, InsuranceFundDepleted
from clearhouse.core.products.perpetual_contract import PPM
from clearhouse.core.products.perpetual_fills import execute, new_order, signed
from clearhouse.core.products.perpetual_state import LIQUIDATION, SINGLE, PerpMarket
from clearhouse.core.risk import adl
from clearhouse.core.risk.account_margin import fund_equity_units

if TYPE_CHECKING:
    from clearhouse.core.state import State


def unwind(state: State, pm: PerpMarket, ctx: Context) -> None:
    fund = state.perps.fund
    pos = fund.positions.get((pm.spec.name, SINGLE))
    if pos is None or not pm.mark_ticks or not pm.session_open:
        return
    side = SELL if pos.size > 0 else BUY
    lots = abs(pos.size)
    band = pm.mark_ticks * pm.spec.price_deviate_ppm // PPM
    # never realise more loss than the fund has: no fill beyond its own bankruptcy price
    bankrupt = adl.bankruptcy_of_fund(state, pm, pos)
    if side == SELL:
        limit = max(pm.mark_ticks - band, bankrupt, 1)
    else:
        limit = min(pm.mark_ticks + band, bankrupt)
    order = new_order(
        state, pm, fund, 0, side, limit, lots, ctx,
        tif=IOC, slot=SINGLE, reduce_only=True, kind=LIQUIDATION, text="insurance",
    )  # fmt: skip
    ctx.events.append(
        ContractOrderAccepted(
            order.order_id, fund.account_id, 0, pm.spec.name, signed(side, lots), limit, IOC,
            True, False, LIQUIDATION, "insurance", ctx.time_ns,
        )
    )  # fmt: skip
    execute(state, pm, order, ctx)


def after_liquidations(state: State, pm: PerpMarket, ctx: Context) -> None:
    unwind(state, pm, ctx)
    if fund_equity_units(state) < 0:
        adl.deleverage_fund(state, pm, ctx)


def settle_solvency(state: State, ctx: Context) -> None:
    """After a risk pass: a fund below zero deleverages its positions; if it holds none (a
    user's fill beyond bankruptcy it had to pay for), the shortfall is recorded."""
    if fund_equity_units(state) >= 0:
        return
    contracts = state.perps.contracts
    for name, _ in sorted(state.perps.fund.positions):
        if fund_equity_units(state) < 0:
            adl.deleverage_fund(state, contracts[name], ctx)
    if fund_equity_units(state) < 0 and not state.perps.fund.positions:
        ctx.events.append(InsuranceFundDepleted("", -fund_equity_units(state)))
