"""The operator API under /api/ch/v1/admin (bearer token; 403 when no token is configured).

Every change is an engine command with `Facts(channel="admin", actor, reason)`, so it passes the
policy gate and is journaled with who did it and why (headers `X-Actor`, `X-Reason`). Later
issues add their routes (alerts, cases, screening, campaigns) under the same prefix.
"""

from __future__ import annotations

import secrets
from typing import Any, Final

from clearhouse.api.admin import config, kyc_routes, screening, shapes
from clearhouse.api.endpoint import Call, Endpoint, Handler
from clearhouse.api.errors import INVALID_PARAM_VALUE, ApiError
from clearhouse.api.rest.common import state_of, venue_now_ns
from clearhouse.api.rest.views import rate_text, seconds_text
from clearhouse.api.sealing import new_api_key
from clearhouse.core.commands import (
    AdvanceTime,
    ApproveWithdrawal,
    CreateApiKey,
    CreditDeposit,
    OnboardUser,
    RejectWithdrawal,
    SetIndexPrice,
)
from clearhouse.core.errors import INVALID_CURRENCY_PAIR
from clearhouse.core.events import AccountOpened, AlreadyApplied, Deposited
from clearhouse.core.state import State
from clearhouse.core.units import format_units, to_units
from clearhouse.core.wallet import Withdrawal

ADMIN: Final = "/api/ch/v1/admin"
TAG: Final = "admin"


# --- users and keys ------------------------------------------------------------------------------
async def create_user(call: Call) -> shapes.CreatedUser:
    body: shapes.CreateUser = call.body
    key, secret = new_api_key()
    command = OnboardUser(
        name=body.name,
        email=body.email,
        country=body.country,
        kyc_tier=body.kyc_tier,
        key=key,
        secret_sealed=call.runtime.master_key.seal(secret, key),
        permissions=tuple(sorted(set(body.permissions))),
        parent=body.parent_uid or 0,
        beneficial_owner_name=body.beneficial_owner_name,
        beneficial_owner_country=body.beneficial_owner_country,
        kind=body.kind,
        ip_allowlist=tuple(body.ip_allowlist),
    )
    events = await call.submit(command)
    opened = next(e for e in events if type(e) is AccountOpened)
    return shapes.CreatedUser(uid=opened.account, api_key=key, api_secret=secret)


async def create_api_key(call: Call) -> shapes.CreatedKey:
    body: shapes.CreateApiKey = call.body
    key, secret = new_api_key()
    command = CreateApiKey(
        account=call.path.uid,
        key=key,
        secret_sealed=call.runtime.master_key.seal(secret, key),
        permissions=tuple(sorted(set(body.permissions))),
        ip_allowlist=tuple(body.ip_allowlist),
        label=body.label,
    )
    await call.submit(command)
    return shapes.CreatedKey(key=key, secret=secret)


# --- money ---------------------------------------------------------------------------------------
async def credit_deposit(call: Call) -> shapes.CreditedDeposit:
    body: shapes.CreditDeposit = call.body
    state = state_of(call)
    state.require_asset(body.currency)
    scale = state.assets[body.currency].scale
    txid = body.txid or "admin-" + secrets.token_hex(12)
    command = CreditDeposit(
        account=body.uid,
        asset=body.currency,
        amount_units=to_units(body.amount, scale),
        txid=txid,
        chain=body.chain,
        address=body.address,
    )
    events = await call.submit(command)
    event = events[0]
    if type(event) is Deposited:
        return shapes.CreditedDeposit(
            id=event.deposit_id, uid=event.account, currency=event.asset,
            amount=format_units(event.amount_units, scale), txid=txid, status="DONE",
            duplicate=False,
        )  # fmt: skip
    assert type(event) is AlreadyApplied
    return shapes.CreditedDeposit(
        id=event.ref, uid=body.uid, currency=body.currency,
        amount=format_units(command.amount_units, scale), txid=txid, status="DONE",
        duplicate=True,
    )  # fmt: skip


def withdrawal_view(state: State, withdrawal: Withdrawal) -> shapes.AdminWithdrawal:
    status = withdrawal.status
    assert status in ("pending", "done", "rejected")
    return shapes.AdminWithdrawal(
        id=withdrawal.withdrawal_id,
        uid=withdrawal.account,
        currency=withdrawal.asset,
        amount=format_units(withdrawal.amount_units, state.assets[withdrawal.asset].scale),
        address=withdrawal.address,
        chain=withdrawal.chain,
        client_id=withdrawal.client_id,
        status=status,  # type: ignore[arg-type]
        txid=withdrawal.txid,
        timestamp=seconds_text(withdrawal.time_ns),
    )


async def list_withdrawals(call: Call) -> list[shapes.AdminWithdrawal]:
    query: shapes.WithdrawalsQuery = call.query
    state = state_of(call)
    out: list[shapes.AdminWithdrawal] = []
    for withdrawal_id in sorted(state.withdrawals, reverse=True):
        withdrawal = state.withdrawals[withdrawal_id]
        if query.status is not None and withdrawal.status != query.status:
            continue
        if query.uid is not None and withdrawal.account != query.uid:
            continue
        out.append(withdrawal_view(state, withdrawal))
        if len(out) >= query.limit:
            break
    return out


async def approve_withdrawal(call: Call) -> shapes.AdminWithdrawal:
    body: shapes.Approve = call.body
    withdrawal_id = call.path.withdrawal_id
    await call.submit(ApproveWithdrawal(withdrawal_id, body.txid))
    state = state_of(call)
    return withdrawal_view(state, state.withdrawals[withdrawal_id])


async def reject_withdrawal(call: Call) -> shapes.AdminWithdrawal:
    body: shapes.Reject = call.body
    withdrawal_id = call.path.withdrawal_id
    await call.submit(RejectWithdrawal(withdrawal_id, body.reason))
    state = state_of(call)
    return withdrawal_view(state, state.withdrawals[withdrawal_id])


# --- markets and configuration -------------------------------------------------------------------
async def list_markets(call: Call) -> list[shapes.AdminMarket]:
    state = state_of(call)
    out: list[shapes.AdminMarket] = []
    for name in sorted(state.markets):
        market = state.markets[name]
        spec = market.spec
        units = market.units
        last = market.book.last_price_ticks
        index = state.index_prices.get(name, 0)
        out.append(
            shapes.AdminMarket(
                name=name,
                base=spec.base,
                quote=spec.quote,
                tick_size=spec.tick_size,
                lot_size=spec.lot_size,
                min_amount=units.format_size(spec.min_size_lots),
                max_amount=units.format_size(spec.max_size_lots),
                min_notional=units.format_quote(spec.min_notional_units),
                trading_enabled=market.enabled,
                fee_tiers=[
                    shapes.FeeTierView(rate_text(f.maker_ppm), rate_text(f.taker_ppm))
                    for f in spec.fees
                ],
                last_price=units.format_price(last) if last else "",
                index_price=units.format_price(index) if index else "",
                open_orders=len(market.book.orders),
            )
        )
    return out


async def put_config(call: Call) -> shapes.ConfigApplied:
    steps = config.plan(state_of(call), call.body)
    for _, command in steps:
        await call.submit(command)
    return shapes.ConfigApplied(
        changes=[description for description, _ in steps], seq=state_of(call).seq
    )


# --- demo mode -----------------------------------------------------------------------------------
async def set_index_prices(call: Call) -> shapes.IndexPricesSet:
    body: shapes.IndexPrices = call.body
    state = state_of(call)
    commands: list[SetIndexPrice] = []
    for name in sorted(body.index):
        market = state.markets.get(name)
        if market is None:
            raise ApiError(INVALID_CURRENCY_PAIR, f"unknown currency pair {name!r}")
        commands.append(SetIndexPrice(name, market.units.parse_price(body.index[name])))
    for command in commands:
        await call.submit(command)
    return shapes.IndexPricesSet(
        index={
            c.market: state.markets[c.market].units.format_price(c.price_ticks) for c in commands
        }
    )


async def advance_clock(call: Call) -> shapes.ClockAdvanced:
    body: shapes.ClockAdvance = call.body
    clock = call.runtime.clock
    if clock is None:
        raise ApiError(INVALID_PARAM_VALUE, "this venue's clock is not simulated")
    clock.advance(body.seconds)
    await call.submit(AdvanceTime())
    return shapes.ClockAdvanced(
        server_time=venue_now_ns(call) // 1_000_000, offset_s=clock.offset_ns // 1_000_000_000
    )


def _ep(method: str, path: str, handler: Handler, summary: str, **kwargs: Any) -> Endpoint:
    return Endpoint(method, ADMIN + path, handler, "admin", summary, TAG, **kwargs)


def endpoints() -> list[Endpoint]:
    return [
        _ep("POST", "/users", create_user, "Onboard a user (or sub-account) with a first API key",
            body=shapes.CreateUser, response=shapes.CreatedUser, status=201),
        _ep("POST", "/users/{uid}/api_keys", create_api_key, "Create an API key for a user",
            path_params=shapes.UserPath, body=shapes.CreateApiKey, response=shapes.CreatedKey,
            status=201),
        _ep("POST", "/deposits", credit_deposit, "Credit a deposit (idempotent by txid)",
            body=shapes.CreditDeposit, response=shapes.CreditedDeposit),
        _ep("GET", "/withdrawals", list_withdrawals, "Withdrawals, newest first",
            query=shapes.WithdrawalsQuery, response=list[shapes.AdminWithdrawal]),
        _ep("POST", "/withdrawals/{withdrawal_id}/approve", approve_withdrawal,
            "Approve a pending withdrawal", path_params=shapes.WithdrawalPath,
            body=shapes.Approve, response=shapes.AdminWithdrawal),
        _ep("POST", "/withdrawals/{withdrawal_id}/reject", reject_withdrawal,
            "Reject a pending withdrawal (funds return to the user)",
            path_params=shapes.WithdrawalPath, body=shapes.Reject,
            response=shapes.AdminWithdrawal),
        _ep("GET", "/markets", list_markets, "Markets with their configuration",
            response=list[shapes.AdminMarket]),
        _ep("PUT", "/config", put_config, "Change market trading, fee tiers, users' fee tiers",
            body=shapes.VenueConfig, response=shapes.ConfigApplied),
        _ep("POST", "/prices", set_index_prices, "Demo: set index prices",
            body=shapes.IndexPrices, response=shapes.IndexPricesSet, demo_only=True),
        _ep("POST", "/clock/advance", advance_clock, "Demo: move the simulated clock forward",
            body=shapes.ClockAdvance, response=shapes.ClockAdvanced, demo_only=True),
    ] + screening.endpoints() + kyc_routes.endpoints()  # fmt: skip
