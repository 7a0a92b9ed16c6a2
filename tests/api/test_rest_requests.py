"""Bad requests get Gate's error label and change nothing; limits are enforced and announced."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from api_support import Admin, LiveServer, Signed, User, observable, settings

from clearhouse.venue import Venue

ORDER = {"currency_pair": "BTC_USDT", "side": "buy", "amount": "0.1", "price": "50000"}


@pytest.fixture(scope="module")
def trader(admin: Admin) -> User:
    user = admin.user()
    admin.deposit(user.uid, "USDT", "100000")
    admin.deposit(user.uid, "BTC", "5")
    return user


def refused(live: LiveServer, response: httpx.Response, status: int, label: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["label"] == label and body["message"]
    return body


def unchanged(live: LiveServer) -> tuple[int, tuple[Any, ...]]:
    return live.state_seq, observable(live.venue)


# (change to a valid order, label, refused by the engine?) The gateway refuses malformed input
# before anything is journaled; the engine refuses what needs its state (minimums, shapes of a
# market order), journaling the refusal as evidence. Either way no balance or order changes.
MALFORMED_ORDERS: list[tuple[dict[str, Any], str, bool]] = [
    ({"amount": "-1"}, "INVALID_PARAM_VALUE", False),
    ({"amount": "1e3"}, "INVALID_PARAM_VALUE", False),
    ({"amount": "0.000001"}, "INVALID_PRECISION", False),
    ({"price": "50000.001"}, "INVALID_PRECISION", False),
    ({"price": "NaN"}, "INVALID_PARAM_VALUE", False),
    ({"side": "long"}, "INVALID_PARAM_VALUE", False),
    ({"currency_pair": "DOGE_USDT"}, "INVALID_CURRENCY_PAIR", False),
    ({"time_in_force": "gtd"}, "INVALID_PARAM_VALUE", False),
    ({"type": "market", "side": "sell", "time_in_force": "gtc"}, "INVALID_PARAM_VALUE", False),
    ({"account": "margin"}, "INVALID_PARAM_VALUE", False),
    ({"auto_borrow": True}, "INVALID_PARAM_VALUE", False),
    ({"text": "no-prefix"}, "INVALID_PARAM_VALUE", False),
    ({"amount": 0.1}, "INVALID_PARAM_VALUE", False),  # numbers travel as strings
    ({"leverage": "10"}, "INVALID_PARAM_VALUE", False),  # unknown field
    ({"amount": "1001"}, "AMOUNT_TOO_MUCH", False),
    ({"iceberg": "0.2"}, "INVALID_PARAM_VALUE", True),  # must show less than the amount
    ({"amount": "0.00001"}, "AMOUNT_TOO_LITTLE", True),  # 0.5 USDT < 3 USDT minimum
    ({"amount": "100"}, "BALANCE_NOT_ENOUGH", True),
]


@pytest.mark.parametrize(("change", "label", "by_engine"), MALFORMED_ORDERS)
def test_a_malformed_order_is_refused_with_gates_label_and_changes_nothing(
    live: LiveServer, trader: User, change: dict[str, Any], label: str, by_engine: bool
) -> None:
    seq, before = unchanged(live)
    response = Signed(live, trader).request("POST", "/spot/orders", body={**ORDER, **change})
    refused(live, response, 400, label)
    assert observable(live.venue) == before
    assert live.state_seq == seq + (1 if by_engine else 0)


def test_a_missing_required_parameter_is_named(live: LiveServer, trader: User) -> None:
    client = Signed(live, trader)
    before = unchanged(live)
    body = refused(
        live,
        client.request(
            "POST", "/spot/orders", body={k: v for k, v in ORDER.items() if k != "price"}
        ),
        400,
        "MISSING_REQUIRED_PARAM",
    )
    assert "price" in body["message"]
    body = refused(live, client.request("GET", "/spot/orders", "status=open"), 400,
                   "MISSING_REQUIRED_PARAM")  # fmt: skip
    assert "currency_pair" in body["message"]
    assert unchanged(live) == before


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/spot/order_book", "currency_pair=BTC_USDT&depth=5"),
        ("/spot/order_book", "currency_pair=BTC_USDT&limit=0"),
        ("/spot/order_book", "currency_pair=BTC_USDT&limit=5&limit=6"),
        ("/spot/order_book", "currency_pair=btc_usdt"),
        ("/spot/candlesticks", "currency_pair=BTC_USDT&interval=3m"),
        ("/spot/trades", "currency_pair=BTC_USDT&reverse=maybe"),
        ("/spot/tickers", "timezone=utc5"),
    ],
)
def test_unknown_or_malformed_query_parameters_are_invalid_param_value(
    live: LiveServer, path: str, query: str
) -> None:
    before = unchanged(live)
    response = httpx.get(f"{live.url}/api/v4{path}?{query}")
    refused(live, response, 400, "INVALID_PARAM_VALUE")
    assert unchanged(live) == before


def test_unknown_currency_pair_in_a_query_is_invalid_currency_pair(live: LiveServer) -> None:
    response = httpx.get(f"{live.url}/api/v4/spot/order_book?currency_pair=DOGE_USDT")
    refused(live, response, 400, "INVALID_CURRENCY_PAIR")


def test_a_body_that_is_not_json_or_not_declared_json_is_refused(
    live: LiveServer, trader: User
) -> None:
    client = Signed(live, trader)
    before = unchanged(live)
    raw = b'{"currency_pair": "BTC_USDT",'
    headers = client.headers("POST", "/spot/orders", body=raw)
    response = client.http.post("/api/v4/spot/orders", content=raw, headers=headers)
    refused(live, response, 400, "INVALID_REQUEST_BODY")
    raw = json.dumps(ORDER).encode()
    headers = {**client.headers("POST", "/spot/orders", body=raw), "Content-Type": "text/plain"}
    response = client.http.post("/api/v4/spot/orders", content=raw, headers=headers)
    refused(live, response, 415, "INVALID_CONTENT_TYPE")
    headers = client.headers("GET", "/spot/accounts", body=b'{"x": 1}')
    response = client.http.request("GET", "/api/v4/spot/accounts", content=b'{"x": 1}',
                                   headers=headers)  # fmt: skip
    refused(live, response, 400, "INVALID_REQUEST_BODY")
    assert unchanged(live) == before


def test_request_size_limits(live: LiveServer, trader: User) -> None:
    client = Signed(live, trader)
    before = unchanged(live)
    huge = {**ORDER, "text": "t-" + "x" * 100_000}
    refused(live, client.request("POST", "/spot/orders", body=huge), 413, "REQUEST_TOO_LARGE")
    long_query = "currency_pair=BTC_USDT&x=" + "y" * 5_000
    response = httpx.get(f"{live.url}/api/v4/spot/order_book?{long_query}")
    refused(live, response, 400, "INVALID_PARAM_VALUE")
    many = "&".join(f"p{i}=1" for i in range(40))
    refused(live, httpx.get(f"{live.url}/api/v4/spot/tickers?{many}"), 400, "INVALID_PARAM_VALUE")
    assert unchanged(live) == before


def test_unknown_routes_and_methods_answer_in_gates_error_shape(live: LiveServer) -> None:
    refused(live, httpx.get(f"{live.url}/api/v4/spot/nothing_here"), 404, "NOT_FOUND")
    response = httpx.put(f"{live.url}/api/v4/spot/tickers")
    refused(live, response, 405, "METHOD_NOT_ALLOWED")


def test_an_order_id_that_is_not_an_id_is_refused(live: LiveServer, trader: User) -> None:
    response = Signed(live, trader).request("GET", "/spot/orders/12ab", "currency_pair=BTC_USDT")
    refused(live, response, 400, "INVALID_PARAM_VALUE")


def test_amend_without_a_change_is_refused_and_changes_nothing(
    live: LiveServer, trader: User
) -> None:
    client = Signed(live, trader)
    placed = client.request("POST", "/spot/orders", body={**ORDER, "price": "41000"}).json()
    before = unchanged(live)
    response = client.request("PATCH", f"/spot/orders/{placed['id']}", "currency_pair=BTC_USDT")
    refused(live, response, 400, "INVALID_PARAM_VALUE")
    assert unchanged(live) == before


def test_a_batch_cancel_reports_each_order(live: LiveServer, trader: User) -> None:
    client = Signed(live, trader)
    placed = client.request("POST", "/spot/orders", body={**ORDER, "price": "42000"}).json()
    result = client.request(
        "POST",
        "/spot/cancel_batch_orders",
        body=[
            {"currency_pair": "BTC_USDT", "id": placed["id"]},
            {"currency_pair": "BTC_USDT", "id": "987654"},
        ],
    ).json()
    assert [(r["id"], r["succeeded"], r["label"]) for r in result] == [
        (placed["id"], True, ""),
        ("987654", False, "ORDER_NOT_FOUND"),
    ]


def test_an_iceberg_order_shows_only_its_slice_in_the_book(live: LiveServer, trader: User) -> None:
    client = Signed(live, trader)
    body = {**ORDER, "side": "sell", "amount": "1", "price": "90000", "iceberg": "0.1"}
    placed = client.request("POST", "/spot/orders", body=body)
    assert placed.status_code == 201 and placed.json()["iceberg"] == "0.1"
    book = httpx.get(f"{live.url}/api/v4/spot/order_book?currency_pair=BTC_USDT&limit=50").json()
    assert ["90000", "0.1"] in book["asks"]


# --- rate limits ---------------------------------------------------------------------------------
def test_rate_limits_per_ip_and_per_key_answer_too_many_requests_with_gates_headers() -> None:
    with LiveServer(
        Venue(None), settings(ip_rate_per_s=1, ip_burst=3, key_rate_per_s=1, key_burst=2)
    ) as server:
        statuses = []
        for _ in range(4):
            response = httpx.get(f"{server.url}/api/v4/spot/time")
            statuses.append(response.status_code)
            assert int(response.headers["X-Gate-RateLimit-Limit"]) == 3
            assert int(response.headers["X-Gate-RateLimit-Reset-Timestamp"]) > 0
        assert statuses == [200, 200, 200, 429]
        assert response.json()["label"] == "TOO_MANY_REQUESTS"
        assert response.headers["X-Gate-RateLimit-Requests-Remain"] == "0"


def test_the_key_limit_is_separate_from_the_ip_limit() -> None:
    with LiveServer(
        Venue(None), settings(ip_rate_per_s=100, ip_burst=100, key_rate_per_s=1, key_burst=2)
    ) as server:
        user = Admin(server).user()
        client = Signed(server, user)
        statuses = [client.request("GET", "/spot/accounts").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert client.request("GET", "/spot/accounts").headers["X-Gate-RateLimit-Limit"] == "2"
        other = Signed(server, Admin(server).user())
        assert other.request("GET", "/spot/accounts").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "label"),
    [
        ("POST", "/withdrawals", {"currency": "USDT", "amount": "1", "address": "a", "memo": "m"},
         400, "INVALID_PARAM_VALUE"),
        ("POST", "/withdrawals", {"currency": "XRP", "amount": "1", "address": "a"}, 400,
         "INVALID_CURRENCY"),
        ("POST", "/withdrawals", {"currency": "USDT", "amount": "1"}, 400,
         "MISSING_REQUIRED_PARAM"),
        ("GET", "/spot/price_orders/424242", None, 404, "ORDER_NOT_FOUND"),
        ("DELETE", "/spot/price_orders/424242", None, 404, "ORDER_NOT_FOUND"),
        ("POST", "/spot/price_orders", {"market": "BTC_USDT", "put": {"side": "buy", "price":
         "1", "amount": "1"}, "trigger": {"price": "1", "rule": ">"}}, 400,
         "INVALID_PARAM_VALUE"),
        ("POST", "/spot/cancel_batch_orders", [], 400, "INVALID_PARAM_VALUE"),
        ("GET", "/spot/accounts?currency=XRP", None, 400, "INVALID_CURRENCY"),
    ],
)  # fmt: skip
def test_wallet_and_price_order_requests_that_cannot_be_served_change_nothing(
    live: LiveServer, trader: User, method: str, path: str, body: Any, status: int, label: str
) -> None:
    before = unchanged(live)
    route, _, query = path.partition("?")
    response = Signed(live, trader).request(method, route, query, body=body)
    refused(live, response, status, label)
    assert unchanged(live) == before


def test_a_finished_price_order_cannot_be_cancelled_again(live: LiveServer, trader: User) -> None:
    client = Signed(live, trader)
    body = {
        "market": "BTC_USDT",
        "trigger": {"price": "99000", "rule": ">="},
        "put": {"side": "sell", "price": "99000", "amount": "0.01"},
    }
    trigger_id = client.request("POST", "/spot/price_orders", body=body).json()["id"]
    assert client.request("DELETE", f"/spot/price_orders/{trigger_id}").json()["status"] == (
        "cancelled"
    )
    before = unchanged(live)
    response = client.request("DELETE", f"/spot/price_orders/{trigger_id}")
    refused(live, response, 404, "ORDER_NOT_FOUND")
    assert unchanged(live) == before


def test_admin_actor_and_reason_headers_are_validated(live: LiveServer, admin: Admin) -> None:
    before = unchanged(live)
    response = admin.request("POST", "/deposits", headers={"X-Actor": "x" * 200},
                             json={"uid": 1, "currency": "USDT", "amount": "1"})  # fmt: skip
    refused(live, response, 400, "INVALID_PARAM_VALUE")
    assert unchanged(live) == before
