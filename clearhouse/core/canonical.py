"""Canonical state: one deterministic dump of everything the engine knows.

The dump is the snapshot format and the input of the state hash, so two engines that applied
the same journal produce byte-identical dumps. Ordering is explicit (sorted ids, book queues in
priority order), never dict order by accident.
"""

from __future__ import annotations

import hashlib
import heapq
from typing import Any, Final

import msgspec

from clearhouse.core import cases
from clearhouse.core.accounts import Account, Party
from clearhouse.core.api_keys import ApiKey
from clearhouse.core.book import Order
from clearhouse.core.commands import PlaceOrder
from clearhouse.core.compliance import identity_state, sanctions_state, travel_rule
from clearhouse.core.ledger import Hold
from clearhouse.core.products import perpetual_canonical
from clearhouse.core.products.spot_market import SpotMarketState
from clearhouse.core.state import State
from clearhouse.core.triggers import Trigger
from clearhouse.core.units import Asset, SpotMarket
from clearhouse.core.wallet import Withdrawal

SNAPSHOT_FORMAT: Final = 1

# JSON rather than msgpack: balances are unbounded ints (an external account's total can pass
# 2**64), and JSON encodes any int exactly. A snapshot is written rarely; clarity wins.
_encoder = msgspec.json.Encoder()


def _hold(hold: Hold) -> list[Any]:
    return [hold.hold_key, hold.remaining_units, hold.closed]


def _order(order: Order) -> list[Any]:
    return [
        order.order_id,
        order.market,
        order.account,
        order.owner,
        order.side,
        order.price_ticks,
        order.size_lots,
        order.remaining_lots,
        order.visible_lots,
        order.display_lots,
        order.filled_lots,
        order.filled_quote_units,
        order.fee_units,
        order.tif,
        order.stp_group,
        order.stp_act,
        order.create_time_ns,
        order.update_time_ns,
        order.text,
        _hold(order),
    ]


def _market(market: SpotMarketState) -> list[Any]:
    book = market.book
    triggers = market.triggers
    return [
        msgspec.to_builtins(market.spec),
        market.enabled,
        book.update_id,
        book.last_price_ticks,
        [_order(o) for o in book.bids.iter_orders()],
        [_order(o) for o in book.asks.iter_orders()],
        [
            [
                t.trigger_id,
                t.account,
                t.trigger_price_ticks,
                t.rule,
                t.expires_at_ns,
                msgspec.to_builtins(t.order),
                t.create_time_ns,
            ]
            for t in sorted(triggers.triggers.values(), key=lambda t: t.trigger_id)
        ],
    ]


def dump(state: State) -> dict[str, Any]:
    return {
        "format": SNAPSHOT_FORMAT,
        "seq": state.seq,
        "time_ns": state.time_ns,
        "assets": [[a.code, a.scale] for a in (state.assets[c] for c in state.asset_codes)],
        "markets": [_market(state.markets[name]) for name in sorted(state.markets)],
        "parties": [
            [p.party_id, p.kind, p.name, p.country, p.external_ref, p.kyc_tier, p.status, p.email]
            for p in (state.parties[i] for i in sorted(state.parties))
        ],
        "accounts": [
            [
                a.account_id,
                a.owner,
                a.parent,
                a.beneficial_owner,
                a.label,
                a.fee_tier,
                a.stp_group,
                a.status,
                a.sub_accounts,
            ]
            for a in (state.accounts[i] for i in sorted(state.accounts))
        ],
        "balances": sorted([k, v] for k, v in state.ledger.balances.items() if v),
        "withdrawals": [
            [
                w.withdrawal_id,
                w.account,
                w.asset,
                w.amount_units,
                w.address,
                w.chain,
                w.client_id,
                w.status,
                w.txid,
                _hold(w.hold),
                w.time_ns,
            ]
            for w in (state.withdrawals[i] for i in sorted(state.withdrawals))
        ],
        "deposit_txids": sorted([k, v] for k, v in state.deposit_txids.items()),
        "trigger_expiries": sorted(state.trigger_expiries),
        "api_keys": [
            [
                k.key,
                k.account,
                k.secret_sealed.hex(),
                sorted(k.permissions),
                list(k.ip_allowlist),
                k.label,
                k.active,
            ]
            for k in (state.api_keys[key] for key in sorted(state.api_keys))
        ],
        "index_prices": sorted([k, v] for k, v in state.index_prices.items()),
        "identity": identity_state.dump(state.identity),
        "sanctions": sanctions_state.dump(state.sanctions),
        "travel_rule": travel_rule.dump(state),
        "cases": cases.dump(state.cases),
        "perps": perpetual_canonical.dump(state.perps),
        "counters": [
            state.next_party_id,
            state.next_account_id,
            state.next_order_id,
            state.next_trade_id,
            state.next_deposit_id,
            state.next_withdrawal_id,
            state.next_trigger_id,
        ],
    }


def encode(state: State) -> bytes:
    return _encoder.encode(dump(state))


def hash_payload(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def state_hash(state: State) -> str:
    return hash_payload(encode(state))


# --- loading a snapshot ---------------------------------------------------------------------------
def _load_hold_into(hold: Hold, raw: list[Any]) -> Hold:
    hold.hold_key, hold.remaining_units, hold.closed = raw
    return hold


def _load_order(raw: list[Any]) -> Order:
    order = Order(
        raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[9], raw[13], raw[14],
        raw[15], raw[16], raw[18],
    )  # fmt: skip
    _load_hold_into(order, raw[19])
    order.remaining_lots = raw[7]
    order.visible_lots = raw[8]
    order.filled_lots = raw[10]
    order.filled_quote_units = raw[11]
    order.fee_units = raw[12]
    order.update_time_ns = raw[17]
    return order


def load(payload: bytes) -> State:
    raw = msgspec.json.decode(payload)
    if raw.get("format") != SNAPSHOT_FORMAT:
        raise ValueError(f"unsupported snapshot format {raw.get('format')!r}")
    state = State()
    state.seq = raw["seq"]
    state.time_ns = raw["time_ns"]
    for code, scale in raw["assets"]:
        state.assets[code] = Asset(code, scale)
        state.asset_index[code] = len(state.asset_codes) + 1
        state.asset_codes.append(code)
    for pid, kind, name, country, ref, tier, status, email in raw["parties"]:
        party = Party(pid, kind, name, country, ref)
        party.email = email
        party.kyc_tier = tier
        party.status = status
        state.parties[pid] = party
        if ref:
            state.party_refs[ref] = pid
    for aid, owner, parent, bo, label, tier, group, status, subs in raw["accounts"]:
        account = Account(aid, owner, parent, bo, label)
        account.fee_tier = tier
        account.stp_group = group
        account.status = status
        account.sub_accounts = list(subs)
        state.accounts[aid] = account
    orders_by_account: dict[int, list[Order]] = {}
    for spec_raw, enabled, update_id, last, bids, asks, triggers in raw["markets"]:
        spec = msgspec.convert(spec_raw, SpotMarket)
        market = SpotMarketState(
            spec,
            state.assets[spec.base],
            state.assets[spec.quote],
            state.asset_index[spec.base],
            state.asset_index[spec.quote],
        )
        market.enabled = enabled
        for order_raw in bids + asks:
            order = _load_order(order_raw)
            market.book.rest(order)
            orders_by_account.setdefault(order.account, []).append(order)
        market.book.update_id = update_id
        market.book.last_price_ticks = last
        for tid, account_id, price, rule, expires, order_raw, created in triggers:
            trigger = Trigger(
                tid, account_id, spec.name, price, rule, expires,
                msgspec.convert(order_raw, PlaceOrder), created,
            )  # fmt: skip
            market.triggers.add(trigger)
            state.triggers_by_id[tid] = trigger
        state.markets[spec.name] = market
    # relink each account's open orders oldest first, as they were placed
    for account_id, orders in orders_by_account.items():
        for order in sorted(orders, key=lambda o: o.order_id):
            state.accounts[account_id].link_order(order)
    state.ledger.balances = {k: v for k, v in raw["balances"]}
    for w in raw["withdrawals"]:
        hold = _load_hold_into(Hold(), w[9])
        withdrawal = Withdrawal(w[0], w[1], w[2], w[3], w[4], w[5], w[6], hold, w[10])
        withdrawal.status = w[7]
        withdrawal.txid = w[8]
        state.withdrawals[w[0]] = withdrawal
        state.withdrawal_refs[(w[1], w[6])] = w[0]
    state.deposit_txids = {k: v for k, v in raw["deposit_txids"]}
    for key, account_id, sealed, permissions, allowlist, label, active in raw["api_keys"]:
        api_key = ApiKey(
            key, account_id, bytes.fromhex(sealed), frozenset(permissions), tuple(allowlist), label
        )
        api_key.active = active
        state.api_keys[key] = api_key
    state.index_prices = {k: v for k, v in raw["index_prices"]}
    state.identity = identity_state.load(raw.get("identity"), state)
    state.sanctions = sanctions_state.load(raw.get("sanctions"))
    travel_rule.load(state, raw.get("travel_rule"))
    state.cases = cases.load(raw.get("cases"))
    perpetual_canonical.load(state, raw.get("perps"))
    state.trigger_expiries = [tuple(e) for e in raw["trigger_expiries"]]  # type: ignore[misc]
    heapq.heapify(state.trigger_expiries)
    (
        state.next_party_id,
        state.next_account_id,
        state.next_order_id,
        state.next_trade_id,
        state.next_deposit_id,
        state.next_withdrawal_id,
        state.next_trigger_id,
    ) = raw["counters"]
    return state
