"""Authentication and authorisation: Gate v4 signatures, key scopes, IP allow-lists, secrets."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import ccxt  # type: ignore[import-untyped]
import pytest
from api_support import (
    ADMIN_TOKEN,
    Admin,
    LiveServer,
    Signed,
    User,
    gate_client,
    observable,
    settings,
)

from clearhouse.core.commands import decode_envelope
from clearhouse.journal import read_records
from clearhouse.venue import Venue

BTC = "BTC/USDT"
ORDER = {"currency_pair": "BTC_USDT", "side": "buy", "amount": "0.1", "price": "50000"}


@pytest.fixture(scope="module")
def alice(admin: Admin) -> User:
    user = admin.user()
    admin.deposit(user.uid, "USDT", "100000")
    admin.deposit(user.uid, "BTC", "5")
    return user


@pytest.fixture(scope="module")
def bob(admin: Admin) -> User:
    user = admin.user()
    admin.deposit(user.uid, "USDT", "100000")
    return user


def label(response: object) -> str:
    body = json.loads(response.text)  # type: ignore[attr-defined]
    assert set(body) == {"label", "message"}
    text: str = body["label"]
    return text


# --- one account cannot touch another's orders ---------------------------------------------------
def test_a_key_cannot_read_another_accounts_order(live: LiveServer, alice: User, bob: User) -> None:
    order = gate_client(live, alice).create_order(BTC, "limit", "buy", 0.1, 40000)
    intruder = gate_client(live, bob)
    with pytest.raises(ccxt.OrderNotFound):
        intruder.fetch_order(order["id"], BTC)
    assert intruder.fetch_open_orders(BTC) == []
    assert all(o["id"] != order["id"] for o in intruder.fetch_closed_orders(BTC))


def test_a_key_cannot_cancel_another_accounts_order_and_nothing_changes(
    live: LiveServer, alice: User, bob: User
) -> None:
    order = gate_client(live, alice).create_order(BTC, "limit", "buy", 0.1, 40001)
    before = observable(live.venue)
    with pytest.raises(ccxt.OrderNotFound):
        gate_client(live, bob).cancel_order(order["id"], BTC)
    response = Signed(live, bob).request(
        "PATCH", f"/spot/orders/{order['id']}", "currency_pair=BTC_USDT&price=40002"
    )
    assert response.status_code == 404 and label(response) == "ORDER_NOT_FOUND"
    assert observable(live.venue) == before
    assert gate_client(live, alice).fetch_order(order["id"], BTC)["status"] == "open"


# --- permissions ---------------------------------------------------------------------------------
def test_a_read_only_key_can_read_but_cannot_trade(live: LiveServer, admin: Admin) -> None:
    reader = admin.user(permissions=("read",))
    admin.deposit(reader.uid, "USDT", "1000")
    exchange = gate_client(live, reader)
    assert exchange.fetch_balance()["USDT"]["free"] == 1000
    before = observable(live.venue)
    with pytest.raises(ccxt.PermissionDenied) as refused:
        exchange.create_order(BTC, "limit", "buy", 0.001, 50000)
    assert "FORBIDDEN" in str(refused.value)
    with pytest.raises(ccxt.PermissionDenied):
        exchange.withdraw("USDT", 10, "0xabc0000000000000000000000000000000000001")
    assert observable(live.venue) == before


def test_a_trading_key_without_wallet_permission_cannot_withdraw(
    live: LiveServer, admin: Admin
) -> None:
    trader = admin.user(permissions=("read", "spot"))
    admin.deposit(trader.uid, "USDT", "1000")
    before = observable(live.venue)
    response = Signed(live, trader).request(
        "POST", "/withdrawals", body={"currency": "USDT", "amount": "10", "address": "0xabc"}
    )
    assert response.status_code == 403 and label(response) == "FORBIDDEN"
    assert observable(live.venue) == before


# --- IP allow-lists ------------------------------------------------------------------------------
def test_an_ip_outside_the_allow_list_is_refused_for_reads_and_writes(
    live: LiveServer, admin: Admin
) -> None:
    fenced = admin.user(ip_allowlist=["10.0.0.0/8"])
    admin.deposit(fenced.uid, "USDT", "1000")
    client = Signed(live, fenced)
    read = client.request("GET", "/spot/accounts")
    assert read.status_code == 403 and label(read) == "FORBIDDEN"
    before = observable(live.venue)
    write = client.request("POST", "/spot/orders", body=ORDER)
    assert write.status_code == 403 and label(write) == "FORBIDDEN"
    assert observable(live.venue) == before


def test_an_ip_inside_the_allow_list_is_served(live: LiveServer, admin: Admin) -> None:
    allowed = admin.user(ip_allowlist=["127.0.0.1/32", "10.0.0.0/8"])
    response = Signed(live, allowed).request("GET", "/account/detail")
    assert response.status_code == 200
    assert response.json()["ip_whitelist"] == ["127.0.0.1/32", "10.0.0.0/8"]


def test_a_forwarded_for_header_from_an_untrusted_peer_is_ignored(
    live: LiveServer, admin: Admin
) -> None:
    fenced = admin.user(ip_allowlist=["203.0.113.0/24"])
    response = Signed(live, fenced).request(
        "GET", "/spot/accounts", extra_headers={"X-Forwarded-For": "203.0.113.7"}
    )
    assert response.status_code == 403 and label(response) == "FORBIDDEN"


# --- signatures and replay -----------------------------------------------------------------------
def test_a_replayed_request_outside_the_window_is_refused_and_changes_nothing(
    live: LiveServer, alice: User
) -> None:
    client = Signed(live, alice)
    seq, before = live.state_seq, observable(live.venue)
    for skew in (-61, +61, -3600):
        response = client.request("POST", "/spot/orders", body=ORDER, ts=time.time() + skew)
        assert response.status_code == 401 and label(response) == "REQUEST_EXPIRED"
    assert (live.state_seq, observable(live.venue)) == (seq, before)
    assert client.request("GET", "/spot/accounts", ts=time.time() - 30).status_code == 200


def test_a_tampered_body_fails_the_signature_and_changes_nothing(
    live: LiveServer, alice: User
) -> None:
    client = Signed(live, alice)
    signed_body = json.dumps(ORDER).encode()
    headers = client.headers("POST", "/spot/orders", body=signed_body)
    tampered = json.dumps({**ORDER, "amount": "1.5"}).encode()
    seq, before = live.state_seq, observable(live.venue)
    response = client.http.post("/api/v4/spot/orders", content=tampered, headers=headers)
    assert response.status_code == 401 and label(response) == "INVALID_SIGNATURE"
    assert (live.state_seq, observable(live.venue)) == (seq, before)


def test_a_tampered_query_or_path_fails_the_signature(live: LiveServer, alice: User) -> None:
    client = Signed(live, alice)
    headers = client.headers("GET", "/spot/accounts", "currency=USDT")
    response = client.http.get("/api/v4/spot/accounts?currency=BTC", headers=headers)
    assert label(response) == "INVALID_SIGNATURE"
    response = client.http.get("/api/v4/spot/open_orders?currency=USDT", headers=headers)
    assert label(response) == "INVALID_SIGNATURE"


def test_unknown_key_missing_headers_and_wrong_secret_are_refused(
    live: LiveServer, alice: User
) -> None:
    stranger = Signed(live, User(0, "f" * 32, "0" * 64))
    assert label(stranger.request("GET", "/spot/accounts")) == "INVALID_KEY"
    wrong_secret = Signed(live, User(alice.uid, alice.key, "1" * 64))
    assert label(wrong_secret.request("GET", "/spot/accounts")) == "INVALID_SIGNATURE"
    bare = wrong_secret.http.get("/api/v4/spot/accounts")
    assert bare.status_code == 401 and label(bare) == "MISSING_REQUIRED_HEADER"
    garbled = wrong_secret.http.get(
        "/api/v4/spot/accounts", headers={"KEY": alice.key, "Timestamp": "soon", "SIGN": "x"}
    )
    assert label(garbled) == "REQUEST_EXPIRED"


def test_a_query_signed_in_its_raw_form_is_accepted(live: LiveServer, alice: User) -> None:
    """Gate's own SDKs sign the query exactly as sent; ccxt signs it decoded. Both verify."""
    client = Signed(live, alice)
    query = "currency_pair=BTC_USDT&status=finished&from=1600000000"
    assert client.request("GET", "/spot/orders", query).status_code == 200


# --- secrets -------------------------------------------------------------------------------------
def test_secrets_are_sealed_at_rest_and_never_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "venue"
    caplog.set_level(logging.DEBUG)
    with LiveServer(Venue(data_dir), settings(data_dir=data_dir)) as server:
        user = Admin(server).user()
        Signed(server, user).request("GET", "/spot/accounts")
        Signed(server, User(user.uid, user.key, "2" * 64)).request("GET", "/spot/accounts")
        stored = server.venue.engine.state.api_keys[user.key]
        assert user.secret.encode() not in stored.secret_sealed
        server.venue.snapshot()
    master = data_dir / "master.key"
    assert master.stat().st_mode & 0o777 == 0o600
    for path in data_dir.rglob("*"):
        if path.is_file() and path != master:
            assert user.secret.encode() not in path.read_bytes(), path
    assert user.secret not in caplog.text
    # a restart with the same master key still verifies the key's signatures
    with LiveServer(Venue(data_dir), settings(data_dir=data_dir)) as again:
        assert Signed(again, user).request("GET", "/spot/accounts").status_code == 200


def test_the_admin_api_is_disabled_without_a_token_and_refuses_a_wrong_one(
    live: LiveServer,
) -> None:
    wrong = Admin(live, token="not-" + ADMIN_TOKEN).request("GET", "/markets")
    assert wrong.status_code == 401 and label(wrong) == "INVALID_CREDENTIALS"
    with LiveServer(Venue(None), settings(admin_token="")) as closed:
        response = Admin(closed, token="").request("GET", "/markets")
        assert response.status_code == 403 and label(response) == "FORBIDDEN"
        before = observable(closed.venue)
        attempt = Admin(closed, token="anything").request(
            "POST", "/users", json={"name": "x", "email": "", "country": "DE", "kyc_tier": 1}
        )
        assert attempt.status_code == 403 and observable(closed.venue) == before


# --- the facts behind every command --------------------------------------------------------------
@pytest.fixture()
def proxied(tmp_path: Path) -> Iterator[LiveServer]:
    data_dir = tmp_path / "venue"
    with LiveServer(
        Venue(data_dir), settings(data_dir=data_dir, trusted_proxies=("127.0.0.1/32",))
    ) as server:
        yield server


def test_commands_carry_the_client_ip_country_key_and_channel_into_the_journal(
    proxied: LiveServer,
) -> None:
    admin = Admin(proxied)
    user = admin.user(ip_allowlist=["8.8.8.0/24"])
    admin.deposit(user.uid, "USDT", "100000")
    client = Signed(proxied, user)
    behind_proxy = {"X-Forwarded-For": "8.8.8.8, 127.0.0.1"}
    assert client.request("GET", "/spot/accounts", extra_headers=behind_proxy).status_code == 200
    placed = client.request("POST", "/spot/orders", body=ORDER, extra_headers=behind_proxy)
    assert placed.status_code == 201, placed.text
    direct = client.request("POST", "/spot/orders", body=ORDER)  # 127.0.0.1: not allowed
    assert label(direct) == "FORBIDDEN"
    data_dir = proxied.venue.data_dir
    assert data_dir is not None
    facts = [decode_envelope(r.payload).facts for r in read_records(data_dir / "journal")]
    rest = [f for f in facts if f.channel == "rest"]
    assert [(f.ip, f.country, f.api_key) for f in rest] == [
        ("8.8.8.8", "US", user.key),
        ("127.0.0.1", "", user.key),  # refused by the engine's gate, with its evidence
    ]
    admin_facts = [f for f in facts if f.channel == "admin"]
    assert admin_facts and all(f.actor == "tests" for f in admin_facts)
