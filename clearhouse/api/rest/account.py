"""The caller's account: balances, fee rates and account details."""

from __future__ import annotations

from typing import Any, Final

from clearhouse.api.endpoint import Call, Endpoint, Handler
from clearhouse.api.rest import shapes
from clearhouse.api.rest.common import state_of
from clearhouse.api.rest.views import fee_rate_text
from clearhouse.core.ledger import AVAILABLE, HOLD, KYC_HELD
from clearhouse.core.units import format_units

V4: Final = "/api/v4"
CLASSIC_ACCOUNT_MODE: Final = 1


async def spot_accounts(call: Call) -> list[shapes.SpotAccount]:
    """Balances: every currency with a balance, or the one asked for (even at zero)."""
    state = state_of(call)
    query: shapes.AccountsQuery = call.query
    ledger = state.ledger
    if query.currency is not None:
        state.require_asset(query.currency)
        codes = [query.currency]
    else:
        codes = state.asset_codes
    out: list[shapes.SpotAccount] = []
    for code in codes:
        index = state.asset_index[code]
        available = ledger.balance(call.account, index, AVAILABLE)
        # Gate's "locked": reserved for orders and withdrawals, or held until KYC passes
        locked = ledger.balance(call.account, index, HOLD) + ledger.balance(
            call.account, index, KYC_HELD
        )
        if available or locked or query.currency is not None:
            scale = state.assets[code].scale
            out.append(
                shapes.SpotAccount(
                    code, format_units(available, scale), format_units(locked, scale)
                )
            )
    return out


async def trading_fee(call: Call) -> shapes.TradingFee:
    """The caller's fee rates: of the pair asked for, else of the first listed pair."""
    state = state_of(call)
    query: shapes.FeeQuery = call.query
    if query.currency_pair is not None:
        market = state.require_market(query.currency_pair)
    else:
        market = state.markets[min(state.markets)]
    tier = state.require_account(call.account).fee_tier
    maker = fee_rate_text(market, tier, maker=True)
    taker = fee_rate_text(market, tier, maker=False)
    return shapes.TradingFee(
        user_id=call.account,
        taker_fee=taker,
        maker_fee=maker,
        gt_discount=False,
        gt_taker_fee=taker,
        gt_maker_fee=maker,
        loan_fee="0",
        point_type="0",
        currency_pair=query.currency_pair or "",
        futures_taker_fee="0",
        futures_maker_fee="0",
        delivery_taker_fee="0",
        delivery_maker_fee="0",
    )


async def account_detail(call: Call) -> shapes.AccountDetail:
    state = state_of(call)
    account = state.require_account(call.account)
    key = state.api_keys[call.api_key]
    return shapes.AccountDetail(
        user_id=call.account,
        ip_whitelist=list(key.ip_allowlist),
        currency_pairs=[],
        key=shapes.KeyMode(mode=CLASSIC_ACCOUNT_MODE),
        tier=account.fee_tier,
        copy_trading_role=0,
    )


def _get(path: str, handler: Handler, summary: str, tag: str, **kwargs: Any) -> Endpoint:
    return Endpoint("GET", V4 + path, handler, "signed", summary, tag, **kwargs)


ENDPOINTS: Final = [
    _get("/spot/accounts", spot_accounts, "Spot balances", "spot account",
         query=shapes.AccountsQuery, response=list[shapes.SpotAccount]),
    _get("/spot/fee", trading_fee, "Trading fee rates", "spot account",
         query=shapes.FeeQuery, response=shapes.TradingFee),
    _get("/wallet/fee", trading_fee, "Trading fee rates", "wallet",
         query=shapes.FeeQuery, response=shapes.TradingFee),
    _get("/account/detail", account_detail, "Account and key details", "account",
         response=shapes.AccountDetail),
]  # fmt: skip
