"""ccxt's Gate client trades against Clearhouse with nothing changed but the base URL."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import ccxt  # type: ignore[import-untyped]
import pytest
from api_support import Admin, LiveServer, User, gate_client, observable, settings

from clearhouse.venue import Venue

BTC = "BTC/USDT"


@pytest.fixture()
def live() -> Iterator[LiveServer]:
    """A fresh venue per test: order books are shared state."""
    with LiveServer(Venue(None), settings()) as server:
        yield server


@pytest.fixture()
def admin(live: LiveServer) -> Admin:
    return Admin(live)


def funded(admin: Admin, usdt: str = "100000", btc: str = "10") -> User:
    user = admin.user()
    admin.deposit(user.uid, "USDT", usdt)
    admin.deposit(user.uid, "BTC", btc)
    return user


@pytest.fixture()
def maker(admin: Admin) -> User:
    return funded(admin)


@pytest.fixture()
def taker(admin: Admin) -> User:
    return funded(admin)


def client(live: LiveServer, user: User) -> Any:
    exchange = gate_client(live, user)
    exchange.load_markets()
    return exchange


def test_load_markets_lists_spot_pairs_with_their_tick_lot_and_minimums(live: LiveServer) -> None:
    exchange = gate_client(live)
    markets = exchange.load_markets()
    assert {BTC, "ETH/USDT"} <= set(markets)
    btc = markets[BTC]
    assert btc["spot"] and btc["active"] and btc["id"] == "BTC_USDT"
    assert btc["precision"] == {"amount": 0.00001, "price": 0.01}
    assert btc["limits"]["amount"]["min"] == 0.00001
    assert btc["limits"]["cost"]["min"] == 3.0
    assert (btc["taker"], btc["maker"]) == (0.002, 0.001)
    assert exchange.fetch_time() > 0


def test_fetch_ticker_reports_last_price_book_top_and_24h_volume(
    live: LiveServer, maker: User, taker: User
) -> None:
    seller, buyer = client(live, maker), client(live, taker)
    seller.create_order(BTC, "limit", "sell", 0.5, 60000)
    seller.create_order(BTC, "limit", "sell", 0.5, 61000)
    seller.create_order(BTC, "limit", "buy", 0.2, 59000)
    buyer.create_order(BTC, "limit", "buy", 0.1, 60000)
    ticker = buyer.fetch_ticker(BTC)
    assert buyer.fetch_tickers()[BTC]["last"] == 60000
    assert ticker["last"] == 60000
    assert (ticker["bid"], ticker["ask"]) == (59000, 60000)
    assert (ticker["bidVolume"], ticker["askVolume"]) == (None, None)  # ccxt reads B/A only
    assert ticker["info"]["lowest_size"] == "0.4"
    assert ticker["baseVolume"] == 0.1 and ticker["quoteVolume"] == 6000
    assert (ticker["high"], ticker["low"]) == (60000, 60000)


def test_fetch_order_book_shows_resting_orders_by_level_with_update_id(
    live: LiveServer, maker: User
) -> None:
    exchange = client(live, maker)
    exchange.create_order(BTC, "limit", "sell", 0.5, 60000)
    exchange.create_order(BTC, "limit", "sell", 0.25, 60000)
    exchange.create_order(BTC, "limit", "sell", 1, 60500)
    exchange.create_order(BTC, "limit", "buy", 0.3, 59000)
    book = exchange.fetch_order_book(BTC)
    assert book["asks"] == [[60000, 0.75], [60500, 1]]
    assert book["bids"] == [[59000, 0.3]]
    assert book["nonce"] == live.venue.engine.state.markets["BTC_USDT"].book.update_id
    assert book["timestamp"] > 0
    assert exchange.fetch_order_book(BTC, limit=1)["asks"] == [[60000, 0.75]]


def test_fetch_ohlcv_builds_candles_from_trades(live: LiveServer, maker: User, taker: User) -> None:
    seller, buyer = client(live, maker), client(live, taker)
    seller.create_order(BTC, "limit", "sell", 1, 60000)
    seller.create_order(BTC, "limit", "sell", 1, 60100)
    buyer.create_order(BTC, "limit", "buy", 0.5, 60000)
    buyer.create_order(BTC, "limit", "buy", 1, 60100)  # 0.5 @ 60000 then 0.5 @ 60100
    candles = buyer.fetch_ohlcv(BTC, "1m")
    assert len(candles) in (1, 2)  # a minute boundary may fall between the trades
    assert candles[0][1] == 60000 and candles[-1][4] == 60100
    assert sum(c[5] for c in candles) == pytest.approx(1.5)
    assert max(c[2] for c in candles) == 60100 and min(c[3] for c in candles) == 60000
    assert buyer.fetch_ohlcv(BTC, "1d")[0][5] == pytest.approx(1.5)


def test_fetch_trades_lists_public_trades_with_taker_side(
    live: LiveServer, maker: User, taker: User
) -> None:
    seller, buyer = client(live, maker), client(live, taker)
    seller.create_order(BTC, "limit", "sell", 1, 60000)
    buyer.create_order(BTC, "limit", "buy", 0.1, 60000)
    buyer.create_order(BTC, "limit", "buy", 0.2, 60000)
    trades = buyer.fetch_trades(BTC)
    assert [(t["side"], t["amount"], t["price"]) for t in trades] == [
        ("buy", 0.1, 60000),
        ("buy", 0.2, 60000),
    ]  # ccxt sorts oldest first
    assert trades[0]["timestamp"] <= trades[1]["timestamp"]
    assert len(buyer.fetch_trades(BTC, limit=1)) == 1


def test_fetch_balance_shows_free_and_used_funds(live: LiveServer, maker: User) -> None:
    exchange = client(live, maker)
    exchange.create_order(BTC, "limit", "buy", 1, 50000)
    balance = exchange.fetch_balance()
    assert balance["USDT"] == {"free": 50000, "used": 50000, "total": 100000, "debt": None} or (
        balance["USDT"]["free"],
        balance["USDT"]["used"],
        balance["USDT"]["total"],
    ) == (50000, 50000, 100000)
    assert balance["BTC"]["free"] == 10


def test_limit_order_rests_and_is_found_by_id_and_in_open_orders(
    live: LiveServer, maker: User
) -> None:
    exchange = client(live, maker)
    order = exchange.create_order(BTC, "limit", "buy", 0.5, 50000, {"text": "t-mine-1"})
    assert order["status"] == "open" and order["clientOrderId"] == "t-mine-1"
    assert (order["amount"], order["remaining"], order["price"]) == (0.5, 0.5, 50000)
    assert order["timeInForce"] == "GTC" and order["type"] == "limit"
    fetched = exchange.fetch_order(order["id"], BTC)
    assert fetched["id"] == order["id"] and fetched["status"] == "open"
    by_text = exchange.fetch_order(None, BTC, {"clientOrderId": "mine-1"})
    assert by_text["id"] == order["id"]
    assert [o["id"] for o in exchange.fetch_open_orders(BTC)] == [order["id"]]
    assert [o["id"] for o in exchange.fetch_open_orders()] == [order["id"]]


def test_market_buy_is_sized_in_quote_currency(live: LiveServer, maker: User, taker: User) -> None:
    seller, buyer = client(live, maker), client(live, taker)
    seller.create_order(BTC, "limit", "sell", 1, 60000)
    order = buyer.create_order(BTC, "market", "buy", 6000)  # spend 6,000 USDT
    assert order["status"] == "closed"
    assert order["cost"] == 6000 and order["amount"] == pytest.approx(0.1)
    assert order["info"]["amount"] == "6000" and order["info"]["filled_amount"] == "0.1"
    balance = buyer.fetch_balance()
    assert balance["USDT"]["total"] == 94000
    # 0.1 BTC less the 0.2 % taker fee, taken from what the taker received
    assert Decimal(str(balance["BTC"]["total"])) == Decimal("10.0998")


def test_market_sell_fills_against_the_bids(live: LiveServer, maker: User, taker: User) -> None:
    buyer, seller = client(live, maker), client(live, taker)
    buyer.create_order(BTC, "limit", "buy", 0.3, 59000)
    buyer.create_order(BTC, "limit", "buy", 0.3, 58000)
    order = seller.create_market_sell_order(BTC, 0.4)
    assert order["status"] == "closed"
    assert order["filled"] == pytest.approx(0.4)
    assert order["cost"] == pytest.approx(0.3 * 59000 + 0.1 * 58000)
    assert buyer.fetch_order_book(BTC)["bids"] == [[58000, 0.2]]


def test_post_only_order_rests_when_it_would_not_take(live: LiveServer, maker: User) -> None:
    exchange = client(live, maker)
    exchange.create_order(BTC, "limit", "sell", 0.5, 60000)
    order = exchange.create_order(BTC, "limit", "buy", 0.5, 59000, {"postOnly": True})
    assert (
        order["status"] == "open" and order["postOnly"] and order["info"]["time_in_force"] == "poc"
    )


def test_post_only_order_that_would_take_raises_order_immediately_fillable_and_changes_nothing(
    live: LiveServer, maker: User, taker: User
) -> None:
    client(live, maker).create_order(BTC, "limit", "sell", 0.5, 60000)
    exchange = client(live, taker)
    before = observable(live.venue)
    with pytest.raises(ccxt.OrderImmediatelyFillable):
        exchange.create_order(BTC, "limit", "buy", 0.5, 60000, {"postOnly": True})
    assert observable(live.venue) == before


def test_cancel_order_releases_its_funds(live: LiveServer, maker: User) -> None:
    exchange = client(live, maker)
    order = exchange.create_order(BTC, "limit", "buy", 1, 50000)
    cancelled = exchange.cancel_order(order["id"], BTC)
    assert cancelled["status"] == "canceled" and cancelled["info"]["finish_as"] == "cancelled"
    assert exchange.fetch_open_orders(BTC) == []
    assert exchange.fetch_balance()["USDT"]["free"] == 100000
    assert exchange.fetch_order(order["id"], BTC)["status"] == "canceled"
    assert [o["id"] for o in exchange.fetch_closed_orders(BTC)] == [order["id"]]
    since = cancelled["timestamp"]
    assert [o["id"] for o in exchange.fetch_closed_orders(BTC, since=since)] == [order["id"]]
    assert exchange.fetch_closed_orders(BTC, since=since + 2_000) == []


def test_cancel_all_orders_of_a_pair(live: LiveServer, maker: User) -> None:
    exchange = client(live, maker)
    for price in (50000, 51000, 52000):
        exchange.create_order(BTC, "limit", "buy", 0.1, price)
    cancelled = exchange.cancel_all_orders(BTC)
    assert len(cancelled) == 3 and all(o["status"] == "canceled" for o in cancelled)
    assert exchange.fetch_open_orders(BTC) == []


def test_fetch_my_trades_reports_each_sides_role_and_fee(
    live: LiveServer, maker: User, taker: User
) -> None:
    seller, buyer = client(live, maker), client(live, taker)
    ask = seller.create_order(BTC, "limit", "sell", 1, 60000)
    bid = buyer.create_order(BTC, "limit", "buy", 0.5, 60000)
    (mine,) = seller.fetch_my_trades(BTC)
    assert mine["order"] == ask["id"] and mine["takerOrMaker"] == "maker"
    assert mine["side"] == "sell" and mine["amount"] == 0.5 and mine["price"] == 60000
    assert mine["fee"] == {"currency": "USDT", "cost": 30.0}  # 0.1 % of 30,000 USDT
    (theirs,) = buyer.fetch_my_trades(BTC)
    assert theirs["order"] == bid["id"] and theirs["takerOrMaker"] == "taker"
    assert theirs["fee"] == {"currency": "BTC", "cost": 0.001}  # 0.2 % of 0.5 BTC
    assert buyer.fetch_order_trades(bid["id"], BTC)[0]["id"] == theirs["id"]


def test_edit_order_changes_price_and_amount(live: LiveServer, maker: User) -> None:
    exchange = client(live, maker)
    order = exchange.create_order(BTC, "limit", "buy", 0.5, 50000)
    edited = exchange.edit_order(order["id"], BTC, "limit", "buy", 0.4, 51000)
    assert edited["id"] == order["id"]
    assert (edited["amount"], edited["price"], edited["status"]) == (0.4, 51000, "open")
    assert exchange.fetch_order_book(BTC)["bids"] == [[51000, 0.4]]
    assert exchange.fetch_balance()["USDT"]["used"] == 0.4 * 51000


def test_insufficient_funds_is_a_typed_error_and_changes_nothing(
    live: LiveServer, maker: User
) -> None:
    exchange = client(live, maker)
    before = observable(live.venue)
    with pytest.raises(ccxt.InsufficientFunds):
        exchange.create_order(BTC, "limit", "buy", 5, 60000)  # 300,000 USDT > 100,000
    assert observable(live.venue) == before


def test_unknown_order_is_order_not_found(live: LiveServer, maker: User) -> None:
    exchange = client(live, maker)
    with pytest.raises(ccxt.OrderNotFound):
        exchange.fetch_order("999999", BTC)
    before = observable(live.venue)
    with pytest.raises(ccxt.OrderNotFound):
        exchange.cancel_order("999999", BTC)
    assert observable(live.venue) == before


def test_wrong_secret_is_an_authentication_error(live: LiveServer, maker: User) -> None:
    exchange = gate_client(live, User(maker.uid, maker.key, "0" * 64))
    with pytest.raises(ccxt.AuthenticationError):
        exchange.fetch_balance()


def test_amount_below_the_minimum_is_an_invalid_order_and_changes_nothing(
    live: LiveServer, maker: User
) -> None:
    exchange = client(live, maker)
    before = observable(live.venue)
    with pytest.raises(ccxt.InvalidOrder):
        exchange.create_order(BTC, "limit", "buy", 0.00001, 100)  # 0.001 USDT < 3 USDT
    with pytest.raises(ccxt.InvalidOrder):
        exchange.create_order(BTC, "limit", "buy", 0.00001, 50000.001, {"text": "t-x"})
    assert observable(live.venue) == before


def test_trigger_order_fires_when_the_last_price_crosses(
    live: LiveServer, maker: User, taker: User
) -> None:
    seller, buyer = client(live, maker), client(live, taker)
    trigger = buyer.create_order(BTC, "limit", "buy", 0.1, 62000, {"triggerPrice": 61000})
    (listed,) = buyer.fetch_open_orders(BTC, params={"trigger": True})
    assert listed["id"] == trigger["id"] and listed["triggerPrice"] == 61000
    seller.create_order(BTC, "limit", "sell", 1, 61000)
    client(live, funded(Admin(live))).create_order(BTC, "limit", "buy", 0.1, 61000)
    fired = buyer.fetch_order(trigger["id"], BTC, {"trigger": True})
    assert fired["info"]["status"] == "finish" and fired["info"]["fired_order_id"] > 0
    assert buyer.fetch_open_orders(BTC, params={"trigger": True}) == []


def test_trigger_order_can_be_cancelled(live: LiveServer, maker: User) -> None:
    exchange = client(live, maker)
    trigger = exchange.create_order(BTC, "limit", "sell", 0.1, 40000, {"stopLossPrice": 41000})
    cancelled = exchange.cancel_order(trigger["id"], BTC, {"trigger": True})
    assert cancelled["info"]["status"] == "cancelled"
    assert exchange.fetch_open_orders(BTC, params={"trigger": True}) == []


def test_withdrawal_and_deposit_history(live: LiveServer, maker: User) -> None:
    exchange = client(live, maker)
    sent = exchange.withdraw("USDT", 250, "0xabc0000000000000000000000000000000000001")
    assert sent["type"] == "withdrawal" and sent["status"] == "pending"
    (withdrawal,) = exchange.fetch_withdrawals("USDT")
    assert withdrawal["id"] == sent["id"] and withdrawal["amount"] == 250
    deposits = exchange.fetch_deposits("USDT")
    assert [d["amount"] for d in deposits] == [100000] and deposits[0]["status"] == "ok"
    assert exchange.fetch_balance()["USDT"]["used"] == 250


def test_trading_fee_follows_the_accounts_fee_tier(live: LiveServer, maker: User) -> None:
    exchange = client(live, maker)
    assert exchange.fetch_trading_fee(BTC)["taker"] == 0.002
    Admin(live).ok("PUT", "/config", json={"accounts": {str(maker.uid): {"fee_tier": 3}}})
    fee = exchange.fetch_trading_fee(BTC)
    assert (fee["maker"], fee["taker"]) == (0.0, 0.001)
