"""Index, mark, premium samples, funding and trading sessions of perpetual contracts.

- `ObserveIndexSources` carries the sources' prices (a feed or the admin); the index is computed
  with the contract's outlier rule (pricing/index_price.py). While the contract is in session,
  each observation also takes a premium sample (impact bid/ask from the book), a basis sample
  (mid - index) and recomputes the mark (pricing/mark_price.py).
- Funding is due at every multiple of the contract's interval (UTC epoch-aligned, 00:00, 08:00,
  16:00 for 8 h); any command at or past the due time settles it (the sequencer's AdvanceTime
  ticks guarantee one arrives). Longs pay shorts when the rate is positive. Payments go through
  FUNDING_POOL: payers round up, receivers down, the remainder goes to DUST. A payer whose
  margin (isolated) or free wallet (cross) cannot pay has the rest taken from its unrealised
  PnL (the entry value moves by the shortfall, paid by PERP_SETTLEMENT): equity falls exactly
  as if it had paid. The liquidation index's payer side is widened by the largest boundary
  shift a payment can cause and scanned at once at the unchanged mark, so a payer pushed under
  maintenance is liquidated in the same command, without re-keying every position.
- TradFi sessions (calendar.py): while a contract is closed new orders are refused; index
  observations are recorded but the mark is frozen, no premium samples are taken, funding due
  while closed is skipped (no accrual: the interval's samples are dropped), triggers and
  liquidations wait. At the reopening the basis average restarts, the mark is recomputed from
  the latest index and last price, and liquidations and triggers are evaluated at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from clearhouse.core import calendar
from clearhouse.core.commands import ObserveIndexSources
from clearhouse.core.context import Context
from clearhouse.core.errors import INVALID_PARAM_VALUE, Rejected
from clearhouse.core.events import (
    ContractPricesUpdated,
    ContractSessionChanged,
    FundingPaid,
    FundingSettled,
    FundingSkipped,
)
from clearhouse.core.ledger import AVAILABLE, DUST, FUNDING_POOL, PERP_SETTLEMENT, ledger_key
from clearhouse.core.pricing.funding import (
    PPB,
    funding_rate_ppb,
    impact_price_ticks,
    payment_units,
    premium_ppb,
)
from clearhouse.core.pricing.index_price import compute_index
from clearhouse.core.pricing.mark_price import compute_mark
from clearhouse.core.products.perpetual import require_contract
from clearhouse.core.products.perpetual_contract import PPM
from clearhouse.core.products.perpetual_state import MODE_NAMES, PerpMarket
from clearhouse.core.risk.liquidation_index import cross_tag

if TYPE_CHECKING:
    from clearhouse.core.state import State

MAX_SOURCE_CHARS: Final = 32
MAX_SOURCE_WEIGHT: Final = 1_000_000
MAX_DUE_ROUNDS: Final = 64  # session edges and funding times handled per contract per command


def observe_index_sources(state: State, cmd: ObserveIndexSources, ctx: Context) -> None:
    pm = require_contract(state, cmd.contract)
    spec = pm.spec
    sources = cmd.sources
    if not 1 <= len(sources) <= spec.index_max_sources:
        raise Rejected(INVALID_PARAM_VALUE, f"1..{spec.index_max_sources} index sources")
    names: set[str] = set()
    observations: list[tuple[int, int]] = []
    for source in sources:
        if len(source) != 3:
            raise Rejected(INVALID_PARAM_VALUE, "a source is (name, price_ticks, weight)")
        name, price, weight = source
        if not name or len(name) > MAX_SOURCE_CHARS or name in names:
            raise Rejected(INVALID_PARAM_VALUE, "source names must be unique, 1-32 characters")
        if not 0 < price <= spec.max_price_ticks or not 0 < weight <= MAX_SOURCE_WEIGHT:
            raise Rejected(INVALID_PARAM_VALUE, "source price or weight out of range")
        names.add(name)
        observations.append((price, weight))
    index, excluded = compute_index(
        observations, spec.index_method, spec.index_band_ppm, spec.index_clip_ppm
    )
    # --- nothing above this line writes ---
    pm.index_ticks = index
    premium = 0
    if pm.session_open:
        premium = _sample(pm)
        update_mark(state, pm, ctx.time_ns)
    state.perps.marks_moved.append(spec.name)
    ctx.events.append(ContractPricesUpdated(spec.name, index, pm.mark_ticks, premium, excluded))


def _sample(pm: PerpMarket) -> int:
    book = pm.book
    index = pm.index_ticks
    bid = impact_price_ticks(book.bids, pm.impact_notional_units, pm.k)
    ask = impact_price_ticks(book.asks, pm.impact_notional_units, pm.k)
    premium = premium_ppb(index, bid, ask)
    pm.premium.add(premium)
    best_bid = book.bids.best_price()
    best_ask = book.asks.best_price()
    if best_bid and best_ask:
        pm.basis.add((best_bid + best_ask) // 2 - index)
    return premium


def update_mark(state: State, pm: PerpMarket, now_ns: int) -> None:
    if not pm.index_ticks:
        return
    to_funding = max(pm.next_funding_ns - now_ns, 0)
    mark = compute_mark(
        pm.index_ticks,
        pm.last_rate_ppb,
        to_funding,
        pm.interval_ns,
        pm.basis.average_ticks(),
        pm.book.last_price_ticks,
    )
    pm.mark_ticks = min(mark, pm.spec.max_price_ticks)


# --- time-driven work ----------------------------------------------------------------------------
def run_due(state: State, ctx: Context) -> None:
    """Session edges and funding times due by now, per contract in time order (a funding time
    is judged by whether the contract was open *then*)."""
    now = ctx.time_ns
    for name in sorted(state.perps.contracts):
        pm = state.perps.contracts[name]
        for _ in range(MAX_DUE_ROUNDS):
            edge = pm.next_session_change_ns
            if edge and edge <= now and edge <= pm.next_funding_ns:
                _session_edge(state, pm, edge, ctx)
            elif pm.next_funding_ns <= now:
                settle_funding(state, pm, pm.next_funding_ns, ctx)
                pm.next_funding_ns += pm.interval_ns
            else:
                break
        else:  # a long clock jump: skip the rest without accrual and catch up with the calendar
            if pm.next_funding_ns <= now:
                due = pm.next_funding_ns
                pm.next_funding_ns = (now // pm.interval_ns + 1) * pm.interval_ns
                ctx.events.append(FundingSkipped(name, due, "clock_jump"))
            if pm.next_session_change_ns and pm.next_session_change_ns <= now:
                _session_edge(state, pm, now, ctx)
    state.perps.reschedule()


def _session_edge(state: State, pm: PerpMarket, at_ns: int, ctx: Context) -> None:
    sessions = pm.spec.sessions
    is_open = calendar.is_open(sessions, at_ns)
    pm.next_session_change_ns = calendar.next_change_ns(sessions, at_ns)
    if is_open == pm.session_open:
        return
    pm.session_open = is_open
    if is_open:
        pm.basis.clear()  # the pre-close basis says nothing about the new session
        update_mark(state, pm, ctx.time_ns)
        state.perps.marks_moved.append(pm.spec.name)  # liquidations and triggers, now
    ctx.events.append(ContractSessionChanged(pm.spec.name, is_open, pm.next_session_change_ns))


def settle_funding(state: State, pm: PerpMarket, due_ns: int, ctx: Context) -> None:
    spec = pm.spec
    name = spec.name
    if not pm.session_open:
        pm.premium.reset()
        ctx.events.append(FundingSkipped(name, due_ns, "closed"))
        return
    mark = pm.mark_ticks
    if not mark:
        pm.premium.reset()
        ctx.events.append(FundingSkipped(name, due_ns, "no_mark"))
        return
    rate = funding_rate_ppb(
        pm.premium.average_ppb(),
        spec.interest_ppb,
        spec.premium_clamp_ppb,
        spec.funding_cap_ppb,
        pm.interval_ns,
    )
    pm.premium.reset()
    pm.last_rate_ppb = rate
    paid, received, count = _pay_all(state, pm, mark, rate, ctx)
    asset = state.perps.settle_asset
    pool = ledger_key(FUNDING_POOL, asset, AVAILABLE)
    dust = state.ledger.balances.get(pool, 0)
    assert dust >= 0, "payers round up, receivers down"
    state.ledger.transfer(pool, ledger_key(DUST, asset, AVAILABLE), dust)
    _widen_index(pm, mark, rate)
    # payers may now be below maintenance at the unchanged mark: scan the widened ends now
    state.perps.marks_moved.append(name)
    ctx.events.append(FundingSettled(name, rate, mark, count, paid, received, dust, due_ns))


def _pay_all(
    state: State, pm: PerpMarket, mark: int, rate: int, ctx: Context
) -> tuple[int, int, int]:
    """Every position of the contract pays or receives; returns (paid, received, positions)."""
    if rate == 0:
        return 0, 0, 0
    asset = state.perps.settle_asset
    ledger = state.ledger
    balances = ledger.balances
    transfer = ledger.transfer
    pool = ledger_key(FUNDING_POOL, asset, AVAILABLE)
    clearing = ledger_key(PERP_SETTLEMENT, asset, AVAILABLE)
    name = pm.spec.name
    k = pm.k
    now = ctx.time_ns
    events = ctx.events
    touched = state.perps.touched
    paid = received = 0
    for pos in pm.positions.values():
        amount = payment_units(pos.size, mark, k, rate)
        acct = pos.owner
        if amount > 0:
            if pos.leverage:
                pay = amount if amount <= pos.margin_units else pos.margin_units
                transfer(acct.margin_key, pool, pay)
                pos.margin_units -= pay
            elif acct.is_fund:
                pay = amount
                transfer(acct.wallet_key, pool, pay)
            else:
                have = balances.get(acct.wallet_key, 0)
                pay = amount if amount <= have else have
                transfer(acct.wallet_key, pool, pay)
            if pay < amount:  # the rest comes out of unrealised PnL
                short = amount - pay
                transfer(clearing, pool, short)
                pos.cost_units += short
            paid += amount
        else:
            amount_in = -amount
            if pos.leverage:
                transfer(pool, acct.margin_key, amount_in)
                pos.margin_units += amount_in
            else:
                transfer(pool, acct.wallet_key, amount_in)
            received += amount_in
        pos.realised_pnl_units -= amount
        if not pos.leverage and acct.dual and not acct.is_fund:
            # hedged cross positions have no bounded key shift: re-arm them outright
            touched.add(("", cross_tag(acct.account_id)))
        events.append(FundingPaid(acct.account_id, name, MODE_NAMES[pos.slot], amount, rate, now))
    return paid, received, len(pm.positions)


def _widen_index(pm: PerpMarket, mark: int, rate: int) -> None:
    """Every payer's liquidation boundary moved towards the mark by at most `shift` ticks
    (payment per contract / (k x (1 - max MMR)), plus one tick for the payer's rounding); widen
    the payer side's danger zone by that instead of re-keying every position."""
    if rate == 0:
        return
    per_contract = -(-(mark * pm.k * abs(rate)) // PPB)
    shift = -(-(per_contract * PPM) // (pm.k * (PPM - pm.tiers.max_mmr_ppm))) + 1
    if rate > 0:
        pm.index.fall.offset += shift
    else:
        pm.index.rise.offset += shift
