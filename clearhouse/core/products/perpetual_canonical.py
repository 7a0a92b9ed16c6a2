"""Perpetuals in the canonical dump (snapshot and state hash), and loading them back.

The liquidation index is derived state and is not dumped: a load re-keys every position and
cross account from scratch (with zero funding offsets). Keys only choose which candidates are
checked exactly, and candidates are processed in id order, so a restored engine liquidates the
same positions in the same way as the one that ran live.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from clearhouse.core.commands import PlaceContractOrder, PlaceContractTrigger
from clearhouse.core.products.perpetual_contract import PerpContract, units_per_tick_contract
from clearhouse.core.products.perpetual_state import (
    PerpAccount,
    PerpMarket,
    PerpOrder,
    PerpState,
    Position,
)
from clearhouse.core.products.perpetual_triggers import PerpTrigger, PerpTriggerBook
from clearhouse.core.risk.liquidation_keys import rearm_cross, rekey_isolated

if TYPE_CHECKING:
    from clearhouse.core.state import State


def _order(order: PerpOrder) -> list[Any]:
    return [
        order.order_id, order.market, order.account, order.owner, order.side, order.price_ticks,
        order.size_lots, order.remaining_lots, order.visible_lots, order.display_lots,
        order.filled_lots, order.filled_quote_units, order.fee_units, order.tif, order.stp_group,
        order.stp_act, order.create_time_ns, order.update_time_ns, order.text,
        [order.hold_key, order.remaining_units, order.closed],
        order.reduce_only, order.slot, order.kind, order.is_close, order.hold_per_lot,
    ]  # fmt: skip


def _load_order(raw: list[Any]) -> PerpOrder:
    order = PerpOrder(
        raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[9], raw[13], raw[14],
        raw[15], raw[16], raw[18],
    )  # fmt: skip
    order.hold_key, order.remaining_units, order.closed = raw[19]
    order.remaining_lots = raw[7]
    order.visible_lots = raw[8]
    order.filled_lots = raw[10]
    order.filled_quote_units = raw[11]
    order.fee_units = raw[12]
    order.update_time_ns = raw[17]
    order.reduce_only, order.slot, order.kind, order.is_close, order.hold_per_lot = raw[20:25]
    return order


def _trigger(t: PerpTrigger) -> list[Any]:
    return [
        t.trigger_id, t.account, t.contract, t.price_type, t.rule, t.trigger_price_ticks,
        t.expires_at_ns, msgspec.to_builtins(t.order), t.trail_ppm, t.extreme_ticks,
        t.create_time_ns,
    ]  # fmt: skip


def _market(pm: PerpMarket) -> list[Any]:
    book = pm.book
    return [
        msgspec.to_builtins(pm.spec),
        pm.enabled,
        pm.session_open,
        pm.next_session_change_ns,
        pm.index_ticks,
        pm.mark_ticks,
        list(pm.basis.samples),
        [pm.premium.count, pm.premium.weighted_sum, pm.premium.weight_total],
        pm.last_rate_ppb,
        pm.next_funding_ns,
        book.update_id,
        book.last_price_ticks,
        [_order(o) for o in book.bids.iter_orders()],  # type: ignore[arg-type]
        [_order(o) for o in book.asks.iter_orders()],  # type: ignore[arg-type]
        [_trigger(pm.triggers.triggers[i]) for i in sorted(pm.triggers.triggers)],
    ]


def _position(p: Position) -> list[Any]:
    return [
        p.position_id, p.contract, p.slot, p.size, p.cost_units, p.margin_units, p.leverage,
        p.realised_pnl_units, p.open_time_ns, p.update_time_ns,
    ]  # fmt: skip


def dump(perps: PerpState) -> dict[str, Any]:
    return {
        "settle": [perps.settle_asset, perps.settle_code],
        "counters": [perps.next_position_id, perps.next_trigger_id],
        "contracts": [_market(perps.contracts[name]) for name in sorted(perps.contracts)],
        "accounts": [
            [
                a.account_id,
                a.dual,
                sorted([c, lev, limit] for c, (lev, limit) in a.settings.items()),
                [_position(a.positions[key]) for key in sorted(a.positions)],
            ]
            for a in (perps.accounts[i] for i in sorted(perps.accounts))
        ],
        "trigger_expiries": sorted(list(e) for e in perps.trigger_expiries),
    }


def load(state: State, raw: dict[str, Any] | None) -> PerpState:
    perps = PerpState()
    if not raw:
        return perps
    perps.settle_asset, perps.settle_code = raw["settle"]
    perps.next_position_id, perps.next_trigger_id = raw["counters"]
    orders: list[PerpOrder] = []
    for m in raw["contracts"]:
        spec = msgspec.convert(m[0], PerpContract)
        scale = state.assets[spec.settle].scale
        pm = PerpMarket(spec, units_per_tick_contract(spec, scale), PerpTriggerBook(), scale)
        (pm.enabled, pm.session_open, pm.next_session_change_ns, pm.index_ticks,
         pm.mark_ticks) = m[1:6]  # fmt: skip
        for sample in m[6]:
            pm.basis.add(sample)
        pm.premium.count, pm.premium.weighted_sum, pm.premium.weight_total = m[7]
        pm.last_rate_ppb, pm.next_funding_ns = m[8], m[9]
        for order_raw in m[12] + m[13]:
            order = _load_order(order_raw)
            pm.book.rest(order)
            orders.append(order)
        pm.book.update_id, pm.book.last_price_ticks = m[10], m[11]
        for t in m[14]:
            cmd = PlaceContractTrigger(
                t[1], t[2], t[3], t[4], t[5], t[6],
                msgspec.convert(t[7], PlaceContractOrder), t[8],
            )  # fmt: skip
            trigger = PerpTrigger(t[0], cmd, t[10])
            trigger.extreme_ticks = t[9]
            pm.triggers.add(trigger)
            perps.triggers_by_contract[t[0]] = spec.name
        perps.contracts[spec.name] = pm
    loaded: list[Position] = []
    for account_id, dual, settings, positions in raw["accounts"]:
        acct = PerpAccount(account_id, perps.settle_asset)
        acct.dual = dual
        acct.settings = {c: (lev, limit) for c, lev, limit in settings}
        for p in positions:
            pos = Position(p[0], acct, p[1], p[2], p[6])
            pos.size, pos.cost_units, pos.margin_units = p[3], p[4], p[5]
            pos.realised_pnl_units, pos.open_time_ns, pos.update_time_ns = p[7], p[8], p[9]
            acct.positions[(pos.contract, pos.slot)] = pos
            acct.cross_count += pos.leverage == 0
            loaded.append(pos)
        perps.accounts[account_id] = acct
    # a contract's positions in opening order, as live (funding pays them in this order)
    for pos in sorted(loaded, key=lambda p: p.position_id):
        perps.contracts[pos.contract].positions[pos.position_id] = pos
    for order in orders:
        perps.accounts[order.account].orders[order.order_id] = order
    perps.trigger_expiries = [tuple(e) for e in raw["trigger_expiries"]]  # type: ignore[misc]
    state.perps = perps
    perps.reschedule()
    rebuild_index(state)
    return perps


def rebuild_index(state: State) -> None:
    """Key every isolated position and arm every cross account from scratch."""
    perps = state.perps
    for pm in perps.contracts.values():
        pm.index.fall.rebuild([])
        pm.index.rise.rebuild([])
        for pos in pm.positions.values():
            pos.index_item = 0
    for acct in perps.accounts.values():
        acct.cross_items = []
    for name in sorted(perps.contracts):
        pm = perps.contracts[name]
        for pid in sorted(pm.positions):
            pos = pm.positions[pid]
            if pos.leverage and not pos.owner.is_fund:
                rekey_isolated(pm, pos)
    for account_id in sorted(perps.accounts):
        acct = perps.accounts[account_id]
        if not acct.is_fund and acct.has_cross():
            rearm_cross(state, acct)
