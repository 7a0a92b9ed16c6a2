"""The operator API: onboarding, keys, deposits, withdrawals, markets, config, demo controls."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from api_support import Admin, LiveServer, Signed, User, gate_client, observable, settings

from clearhouse.venue import Venue

ORDER = {"currency_pair": "ETH_USDT", "side": "buy", "amount": "1", "price": "2000"}


def refused(response: httpx.Response, status: int, label: str) -> str:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["label"] == label
    message: str = body["message"]
    return message


# --- users and keys ------------------------------------------------------------------------------
def test_onboarding_returns_a_uid_and_a_working_key_shown_once(
    live: LiveServer, admin: Admin
) -> None:
    user = admin.user()
    assert user.uid >= 10_000_001 and len(user.key) == 32 and len(user.secret) == 64
    detail = Signed(live, user).request("GET", "/account/detail").json()
    assert detail["user_id"] == user.uid and detail["key"] == {"mode": 1}
    assert user.secret not in str(admin.ok("GET", "/markets"))


def test_onboarding_a_sub_account_with_its_own_beneficial_owner(
    live: LiveServer, admin: Admin
) -> None:
    master = admin.user()
    sub = admin.user(
        parent_uid=master.uid, beneficial_owner_name="Carol Client", beneficial_owner_country="FR"
    )
    account = live.venue.engine.state.accounts[sub.uid]
    assert account.parent == master.uid
    owner = live.venue.engine.state.parties[account.beneficial_owner]
    assert (owner.name, owner.country) == ("Carol Client", "FR")


@pytest.mark.parametrize(
    ("change", "status", "label"),
    [
        ({"country": "Germany"}, 400, "INVALID_PARAM_VALUE"),
        ({"kyc_tier": 9}, 400, "INVALID_PARAM_VALUE"),
        ({"permissions": ["admin"]}, 400, "INVALID_PARAM_VALUE"),
        ({"ip_allowlist": ["not-a-network"]}, 400, "INVALID_PARAM_VALUE"),
        ({"parent_uid": 99_999_999}, 404, "SUB_ACCOUNT_NOT_FOUND"),
        ({"beneficial_owner_name": "X"}, 400, "INVALID_PARAM_VALUE"),  # only for sub-accounts
        ({"email": "not-an-address"}, 400, "INVALID_PARAM_VALUE"),
        ({"name": ""}, 400, "INVALID_PARAM_VALUE"),
        ({"surname": "x"}, 400, "INVALID_PARAM_VALUE"),
    ],
)
def test_an_invalid_onboarding_is_refused_and_changes_nothing(
    live: LiveServer, admin: Admin, change: dict[str, Any], status: int, label: str
) -> None:
    body = {"name": "Dora", "email": "d@example.com", "country": "DE", "kyc_tier": 1, **change}
    before = observable(live.venue)
    refused(admin.request("POST", "/users", json=body), status, label)
    assert observable(live.venue) == before


def test_an_additional_key_carries_its_permissions_and_allow_list(
    live: LiveServer, admin: Admin
) -> None:
    user = admin.user()
    created = admin.ok(
        "POST", f"/users/{user.uid}/api_keys",
        json={"permissions": ["read"], "ip_allowlist": ["127.0.0.0/8"], "label": "bot"},
    )  # fmt: skip
    reader = User(user.uid, created["key"], created["secret"])
    assert Signed(live, reader).request("GET", "/spot/accounts").status_code == 200
    response = Signed(live, reader).request("POST", "/spot/orders", body=ORDER)
    refused(response, 403, "FORBIDDEN")
    before = observable(live.venue)
    refused(
        admin.request("POST", "/users/99999999/api_keys", json={"permissions": ["read"]}),
        404,
        "USER_NOT_FOUND",
    )
    assert observable(live.venue) == before


# --- money ---------------------------------------------------------------------------------------
def test_a_deposit_is_credited_once_per_txid(live: LiveServer, admin: Admin) -> None:
    user = admin.user()
    body = {"uid": user.uid, "currency": "USDT", "amount": "250.5", "chain": "ETH",
            "address": "0xdep", "txid": "0xfeed"}  # fmt: skip
    first = admin.ok("POST", "/deposits", json=body)
    again = admin.ok("POST", "/deposits", json=body)
    assert (first["duplicate"], again["duplicate"], again["id"]) == (False, True, first["id"])
    balances = Signed(live, user).request("GET", "/spot/accounts").json()
    assert balances == [{"currency": "USDT", "available": "250.5", "locked": "0"}]
    (record,) = Signed(live, user).request("GET", "/wallet/deposits").json()
    assert (record["txid"], record["chain"], record["address"]) == ("0xfeed", "ETH", "0xdep")


@pytest.mark.parametrize(
    ("change", "label"),
    [
        ({"currency": "XRP"}, "INVALID_CURRENCY"),
        ({"amount": "0"}, "INVALID_PARAM_VALUE"),
        ({"amount": "0.000000001"}, "INVALID_PRECISION"),
        ({"uid": 99_999_999}, "USER_NOT_FOUND"),
    ],
)
def test_an_invalid_deposit_is_refused_and_changes_nothing(
    live: LiveServer, admin: Admin, change: dict[str, Any], label: str
) -> None:
    user = admin.user()
    body = {"uid": user.uid, "currency": "USDT", "amount": "1", **change}
    before = observable(live.venue)
    response = admin.request("POST", "/deposits", json=body)
    assert response.json()["label"] == label
    assert observable(live.venue) == before


def test_withdrawals_are_held_until_approved_or_rejected(live: LiveServer, admin: Admin) -> None:
    user = admin.user()
    admin.deposit(user.uid, "USDT", "1000")
    exchange = gate_client(live, user)
    first = exchange.withdraw("USDT", 100, "0xaaa", {"withdraw_order_id": "w-1"})
    second = exchange.withdraw("USDT", 200, "0xbbb")
    assert exchange.fetch_balance()["USDT"] == {"free": 700.0, "used": 300.0, "total": 1000.0}
    pending = admin.ok("GET", "/withdrawals", params={"status": "pending", "uid": user.uid})
    assert [(w["amount"], w["status"]) for w in pending] == [("200", "pending"), ("100", "pending")]
    first_id, second_id = int(first["id"][1:]), int(second["id"][1:])
    approved = admin.ok("POST", f"/withdrawals/{first_id}/approve", json={"txid": "0xsent"})
    assert (approved["status"], approved["txid"]) == ("done", "0xsent")
    rejected = admin.ok("POST", f"/withdrawals/{second_id}/reject", json={"reason": "review"})
    assert rejected["status"] == "rejected"
    assert exchange.fetch_balance()["USDT"] == {"free": 900.0, "used": 0.0, "total": 900.0}
    statuses = {w["id"]: w["status"] for w in exchange.fetch_withdrawals("USDT")}
    assert statuses == {first["id"]: "ok", second["id"]: "failed"}
    before = observable(live.venue)
    refused(admin.request("POST", f"/withdrawals/{first_id}/reject", json={}), 400, "ORDER_CLOSED")
    refused(admin.request("POST", "/withdrawals/999999/approve"), 400, "INVALID_PARAM_VALUE")
    assert observable(live.venue) == before


def test_a_withdrawal_retried_with_its_id_is_not_doubled(live: LiveServer, admin: Admin) -> None:
    user = admin.user()
    admin.deposit(user.uid, "USDT", "1000")
    client = Signed(live, user)
    body = {"currency": "USDT", "amount": "10", "address": "0xabc", "withdraw_order_id": "once"}
    first = client.request("POST", "/withdrawals", body=body).json()
    again = client.request("POST", "/withdrawals", body=body).json()
    assert first["id"] == again["id"]
    assert len(client.request("GET", "/wallet/withdrawals").json()) == 1


def test_sub_account_transfers_both_ways(live: LiveServer, admin: Admin) -> None:
    master = admin.user()
    sub = admin.user(parent_uid=master.uid)
    admin.deposit(master.uid, "USDT", "500")
    client = Signed(live, master)
    out = {"currency": "USDT", "sub_account": str(sub.uid), "direction": "to", "amount": "200"}
    assert client.request("POST", "/wallet/sub_account_transfers", body=out).status_code == 200
    back = {**out, "direction": "from", "amount": "50", "client_order_id": "back-1"}
    created = client.request("POST", "/wallet/sub_account_transfers", body=back)
    assert created.status_code == 200 and created.json()["tx_id"] > 0
    assert Signed(live, sub).request("GET", "/spot/accounts").json()[0]["available"] == "150"
    history = client.request("GET", "/wallet/sub_account_transfers").json()
    assert [(h["direction"], h["amount"]) for h in history] == [("from", "50"), ("to", "200")]
    stranger = admin.user()
    before = observable(live.venue)
    wrong = {**out, "sub_account": str(stranger.uid)}
    response = client.request("POST", "/wallet/sub_account_transfers", body=wrong)
    refused(response, 404, "SUB_ACCOUNT_NOT_FOUND")
    too_much = {**out, "amount": "10000"}
    response = client.request("POST", "/wallet/sub_account_transfers", body=too_much)
    refused(response, 400, "BALANCE_NOT_ENOUGH")
    assert observable(live.venue) == before


# --- markets and configuration -------------------------------------------------------------------
def test_markets_list_their_configuration(admin: Admin) -> None:
    markets = {m["name"]: m for m in admin.ok("GET", "/markets")}
    btc = markets["BTC_USDT"]
    assert (btc["tick_size"], btc["lot_size"], btc["min_notional"]) == ("0.01", "0.00001", "3")
    assert btc["fee_tiers"][0] == {"maker": "0.001", "taker": "0.002"}


def test_config_suspends_and_resumes_trading(live: LiveServer, admin: Admin) -> None:
    user = admin.user()
    admin.deposit(user.uid, "USDT", "10000")
    client = Signed(live, user)
    changed = admin.ok("PUT", "/config", json={"markets": {"ETH_USDT": {"trading_enabled": False}}})
    assert changed["changes"] == ["ETH_USDT: trading suspended"]
    pairs = httpx.get(f"{live.url}/api/v4/spot/currency_pairs/ETH_USDT").json()
    assert pairs["trade_status"] == "untradable"
    before = observable(live.venue)
    refused(client.request("POST", "/spot/orders", body=ORDER), 400, "TRADE_RESTRICTED")
    assert observable(live.venue) == before
    admin.ok("PUT", "/config", json={"markets": {"ETH_USDT": {"trading_enabled": True}}})
    assert client.request("POST", "/spot/orders", body=ORDER).status_code == 201


def test_config_replaces_a_markets_fee_tiers(live: LiveServer, admin: Admin) -> None:
    tiers = [{"maker": "-0.0001", "taker": "0.0015"}, {"maker": "0", "taker": "0.001"}]
    admin.ok("PUT", "/config", json={"markets": {"ETH_USDT": {"fee_tiers": tiers}}})
    user = admin.user()
    fee = Signed(live, user).request("GET", "/spot/fee", "currency_pair=ETH_USDT").json()
    assert (fee["maker_fee"], fee["taker_fee"]) == ("-0.0001", "0.0015")
    shown = {m["name"]: m for m in admin.ok("GET", "/markets")}["ETH_USDT"]["fee_tiers"]
    assert shown == tiers


@pytest.mark.parametrize(
    ("config", "status", "label"),
    [
        ({"markets": {"DOGE_USDT": {"trading_enabled": False}}}, 400, "INVALID_CURRENCY_PAIR"),
        ({"markets": {"BTC_USDT": {"fee_tiers": [{"maker": "0.5", "taker": "0.5"}]}}}, 400,
         "INVALID_PARAM_VALUE"),
        ({"markets": {"BTC_USDT": {"fee_tiers": [{"maker": "-0.003", "taker": "0.001"}]}}}, 400,
         "INVALID_PARAM_VALUE"),
        ({"markets": {"BTC_USDT": {"fee_tiers": [{"maker": "0.0000001", "taker": "0"}]}}}, 400,
         "INVALID_PRECISION"),
        ({"markets": {"BTC_USDT": {"fee_tiers": []}}}, 400, "INVALID_PARAM_VALUE"),
        ({"accounts": {"99999999": {"fee_tier": 1}}}, 404, "USER_NOT_FOUND"),
        ({"accounts": {"10000001": {"fee_tier": 40}}}, 400, "INVALID_PARAM_VALUE"),
        ({"markets": {"BTC_USDT": {"trading_enabled": False}}, "accounts": {"99999999":
         {"fee_tier": 1}}}, 404, "USER_NOT_FOUND"),
        ({}, 400, "INVALID_PARAM_VALUE"),
        ({"market": {}}, 400, "INVALID_PARAM_VALUE"),
    ],
)  # fmt: skip
def test_an_invalid_config_is_refused_whole_and_changes_nothing(
    live: LiveServer, admin: Admin, config: dict[str, Any], status: int, label: str
) -> None:
    admin.user()  # uid 10000001 exists
    seq, before = live.state_seq, observable(live.venue)
    message = refused(admin.request("PUT", "/config", json=config), status, label)
    assert message
    assert (live.state_seq, observable(live.venue)) == (seq, before)


# --- demo controls -------------------------------------------------------------------------------
def test_demo_index_prices_are_set_per_market(live: LiveServer, admin: Admin) -> None:
    result = admin.ok("POST", "/prices", json={"index": {"BTC_USDT": "60000", "ETH_USDT": "3000"}})
    assert result == {"index": {"BTC_USDT": "60000", "ETH_USDT": "3000"}}
    shown = {m["name"]: m["index_price"] for m in admin.ok("GET", "/markets")}
    assert shown == {"BTC_USDT": "60000", "ETH_USDT": "3000"}
    before = observable(live.venue)
    bad = admin.request("POST", "/prices", json={"index": {"BTC_USDT": "1", "DOGE_USDT": "1"}})
    refused(bad, 400, "INVALID_CURRENCY_PAIR")
    refused(admin.request("POST", "/prices", json={"index": {"BTC_USDT": "0.001"}}), 400,
            "INVALID_PRECISION")  # fmt: skip
    assert observable(live.venue) == before


def test_advancing_the_demo_clock_expires_due_trigger_orders(
    live: LiveServer, admin: Admin
) -> None:
    user = admin.user()
    client = Signed(live, user)
    body = {
        "market": "BTC_USDT",
        "trigger": {"price": "80000", "rule": ">=", "expiration": 3600},
        "put": {"side": "buy", "price": "80000", "amount": "0.01"},
    }
    created = client.request("POST", "/spot/price_orders", body=body)
    assert created.status_code == 201, created.text
    trigger_id = created.json()["id"]
    advanced = admin.ok("POST", "/clock/advance", json={"seconds": 7200})
    assert advanced["offset_s"] >= 7200
    shown = client.request("GET", f"/spot/price_orders/{trigger_id}").json()
    assert shown["status"] == "expired"
    before = observable(live.venue)
    refused(admin.request("POST", "/clock/advance", json={"seconds": 0}), 400,
            "INVALID_PARAM_VALUE")  # fmt: skip
    assert observable(live.venue) == before


def test_demo_controls_are_refused_on_a_live_venue() -> None:
    # the test client is on loopback, which a live venue refuses unless told to allow it
    with LiveServer(Venue(None), settings(demo=False, local_addresses="allow")) as server:
        admin = Admin(server)
        before = observable(server.venue)
        for path, body in (
            ("/prices", {"index": {"BTC_USDT": "60000"}}),
            ("/clock/advance", {"seconds": 60}),
        ):
            refused(admin.request("POST", path, json=body), 403, "FORBIDDEN")
        assert observable(server.venue) == before
        assert admin.ok("GET", "/markets")
