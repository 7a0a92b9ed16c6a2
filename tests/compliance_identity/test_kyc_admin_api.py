"""KYC, limits, corrections and step-up through the live API: an unverified user can neither
trade nor withdraw (their deposit is held); an operator's KYC decision lets them; limits refuse
tier 0 any allowance; a country correction takes two different operators; a withdrawal from
another country needs a TOTP second factor; blocking someone cancels their orders and no order
fills against them afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pyotp
import pytest
from api_support import Admin, LiveServer, Signed, User, observable, settings

from clearhouse.venue import Venue

US = {"X-Forwarded-For": "8.8.8.8"}
WHY = {"X-Reason": "rulebook 4.2"}
ORDER = {"currency_pair": "BTC_USDT", "side": "buy", "amount": "0.01", "price": "50000"}


@pytest.fixture(scope="module")
def live() -> Iterator[LiveServer]:
    with LiveServer(Venue(None), settings(trusted_proxies=("127.0.0.1/32",))) as server:
        yield server


@pytest.fixture(scope="module")
def admin(live: LiveServer) -> Admin:
    return Admin(live)


def _party(live: LiveServer, user: User) -> int:
    party: int = live.venue.engine.state.accounts[user.uid].owner
    return party


def _refused(response: httpx.Response, status: int, label: str) -> None:
    assert (response.status_code, response.json()["label"]) == (status, label), response.text


def _kyc(admin: Admin, party: int, **change: Any) -> httpx.Response:
    body = {"tier": 1, "provider": "onfido", "decided_by": "kyc-officer",
            "evidence_refs": ["check-77"], "verified_country": "DE",
            "document_hash": f"sha256:{party:064x}", **change}  # fmt: skip
    return admin.request("POST", f"/parties/{party}/kyc", headers=WHY, json=body)


def test_an_unverified_user_cannot_trade_or_withdraw_until_an_operator_records_kyc(
    live: LiveServer, admin: Admin
) -> None:
    user = admin.user(kyc_tier=0)
    admin.deposit(user.uid, "USDT", "1000")
    client = Signed(live, user)
    balances = client.request("GET", "/spot/accounts", "currency=USDT").json()
    assert balances == [{"currency": "USDT", "available": "0", "locked": "1000"}]
    before = observable(live.venue)
    _refused(client.request("POST", "/spot/orders", body=ORDER), 403, "KYC_REQUIRED")
    withdrawal = {"currency": "USDT", "amount": "10", "address": "0xabc"}
    _refused(client.request("POST", "/withdrawals", body=withdrawal), 403, "KYC_REQUIRED")
    assert observable(live.venue) == before
    decided = _kyc(admin, _party(live, user))
    assert decided.is_success, decided.text
    identity = decided.json()
    assert (identity["kyc_tier"], identity["verified_country"]) == (1, "DE")
    assert identity["kyc_records"][-1]["evidence_refs"] == ["check-77"]
    balances = client.request("GET", "/spot/accounts", "currency=USDT").json()
    assert balances == [{"currency": "USDT", "available": "1000", "locked": "0"}]
    assert client.request("POST", "/spot/orders", body=ORDER).status_code == 201


def test_an_operator_decision_needs_a_reason(live: LiveServer, admin: Admin) -> None:
    user = admin.user(kyc_tier=0)
    response = admin.request(
        "POST", f"/parties/{_party(live, user)}/kyc",
        json={"tier": 1, "provider": "p", "decided_by": "d", "evidence_refs": ["e"],
              "verified_country": "DE", "document_hash": "h"},
    )  # fmt: skip
    _refused(response, 400, "INVALID_PARAM_VALUE")


def test_no_configuration_gives_tier_0_a_withdrawal_allowance(
    live: LiveServer, admin: Admin
) -> None:
    before = admin.ok("GET", "/kyc_limits")
    refused = admin.request(
        "PUT", "/kyc_limits/0", headers=WHY, json={"withdrawal_limits": {"USDT": "1"}}
    )
    _refused(refused, 400, "INVALID_PARAM_VALUE")
    assert "0" not in admin.ok("GET", "/kyc_limits")["tiers"]
    assert admin.ok("GET", "/kyc_limits") == before


def test_withdrawals_beyond_the_persons_daily_limit_are_refused(
    live: LiveServer, admin: Admin
) -> None:
    user = admin.user(kyc_tier=3)
    admin.deposit(user.uid, "USDT", "5000")
    limits = admin.request(
        "PUT", "/kyc_limits/3", headers=WHY, json={"withdrawal_limits": {"USDT": "300"}}
    )
    assert limits.json()["tiers"]["3"] == {"USDT": "300"}
    client = Signed(live, user)
    withdrawal = {"currency": "USDT", "amount": "200", "address": "0xabc"}
    assert client.request("POST", "/withdrawals", body=withdrawal).is_success
    _refused(client.request("POST", "/withdrawals", body=withdrawal), 400, "WITHDRAWAL_OVER_LIMIT")


def test_a_country_correction_takes_two_different_operators(live: LiveServer, admin: Admin) -> None:
    party = _party(live, admin.user())
    proposed = admin.request(
        "POST", f"/parties/{party}/country_corrections", headers=WHY,
        json={"country": "AT", "evidence_ref": "passport-AT-9"},
    )  # fmt: skip
    assert proposed.status_code == 201, proposed.text
    correction = proposed.json()["id"]
    approve = f"/country_corrections/{correction}/approve"
    _refused(admin.request("POST", approve, headers=WHY), 403, "FORBIDDEN")  # same "tests" actor
    assert admin.ok("GET", f"/parties/{party}")["verified_country"] == "DE"
    second = admin.request("POST", approve, headers={**WHY, "X-Actor": "second-officer"})
    assert second.json()["status"] == "approved"
    identity = admin.ok("GET", f"/parties/{party}")
    assert identity["verified_country"] == "AT"
    assert [(r["country"], r["source"], r["approved_by"]) for r in identity["country_records"]] == [
        ("DE", "kyc", ""),
        ("AT", "correction", "second-officer"),
    ]


def test_a_withdrawal_from_another_country_needs_a_totp_second_factor(
    live: LiveServer, admin: Admin
) -> None:
    user = admin.user()
    admin.deposit(user.uid, "USDT", "1000")
    party = _party(live, user)
    enrolment = admin.request("POST", f"/parties/{party}/step_up", headers=WHY)
    assert enrolment.status_code == 201, enrolment.text
    totp = pyotp.TOTP(enrolment.json()["secret"])
    client = Signed(live, user)
    withdrawal = {"currency": "USDT", "amount": "10", "address": "0xabc"}
    _refused(
        client.request("POST", "/withdrawals", body=withdrawal, extra_headers=US),
        403, "STEP_UP_REQUIRED",
    )  # fmt: skip
    wrong = {**US, "X-CH-TOTP": "000000" if totp.now() != "000000" else "111111"}
    _refused(
        client.request("POST", "/withdrawals", body=withdrawal, extra_headers=wrong),
        401, "INVALID_CREDENTIALS",
    )  # fmt: skip
    stepped = {**US, "X-CH-TOTP": totp.now()}
    assert client.request("POST", "/withdrawals", body=withdrawal, extra_headers=stepped).is_success
    facts = live.venue.engine.state.identity  # the engine saw the verified factor
    assert party in facts.step_up_secrets


def test_blocking_a_user_cancels_their_orders_and_nothing_fills_against_them(
    live: LiveServer, admin: Admin
) -> None:
    maker, taker = admin.user(), admin.user()
    admin.deposit(maker.uid, "BTC", "1")
    admin.deposit(taker.uid, "USDT", "100000")
    seller, buyer = Signed(live, maker), Signed(live, taker)
    ask = {**ORDER, "side": "sell", "price": "60001"}
    assert seller.request("POST", "/spot/orders", body=ask).status_code == 201
    blocked = admin.request(
        "POST", f"/parties/{_party(live, maker)}/status", headers=WHY, json={"status": "blocked"}
    )
    assert blocked.json()["status"] == "blocked"
    assert seller.request("GET", "/spot/open_orders").json() == []
    eligibility = admin.ok("GET", f"/users/{maker.uid}/eligibility")
    assert (eligibility["may_trade"], eligibility["label"]) == (False, "ACCOUNT_LOCKED")
    bid = {**ORDER, "price": "60001", "time_in_force": "ioc"}
    filled = buyer.request("POST", "/spot/orders", body=bid).json()
    assert filled["filled_amount"] == "0" and filled["finish_as"] == "ioc"
    _refused(seller.request("POST", "/spot/orders", body=ask), 403, "ACCOUNT_LOCKED")
