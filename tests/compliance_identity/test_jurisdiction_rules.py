"""Jurisdictions in the engine: the verified country is write-once and corrected only by two
different operators; the blocked and restricted lists apply to the verified country and to the
request's IP country; an unknown IP country is blocked, never neutral; an IP country other than
the verified one needs a second factor for sensitive actions."""

from __future__ import annotations

import pytest
from core_harness import Venue, of_type
from identity_support import (
    OFFICER,
    SECOND_OFFICER,
    A,
    assert_eligibility_consistent,
    kyc,
    rest,
    withdraw,
)

from clearhouse.core.book import BUY
from clearhouse.core.commands import (
    ApproveCountryCorrection,
    CancelAllOrders,
    CreateApiKey,
    CreditDeposit,
    DecideKyc,
    Facts,
    ProposeCountryCorrection,
    RejectCountryCorrection,
    SetJurisdictionList,
    SetLocalAddressPolicy,
)
from clearhouse.core.compliance.identity_state import DEFAULT_BLOCKED
from clearhouse.core.compliance.jurisdiction import (
    IP_BLOCKED,
    IP_LOCAL,
    IP_OK,
    IP_RESTRICTED,
    IP_UNKNOWN,
    ip_verdict,
)
from clearhouse.core.errors import (
    FORBIDDEN,
    INVALID_PARAM_VALUE,
    JURISDICTION_BLOCKED,
    JURISDICTION_RESTRICTED,
    NO_CHANGE,
    STEP_UP_REQUIRED,
)
from clearhouse.core.events import CountryCorrected, CountryCorrectionProposed, OrderClosed

IRAN_IP = "2.176.0.1"
US_IP = "8.8.8.8"
CGNAT_IP = "100.64.0.1"  # public-looking, but no country in any database


@pytest.fixture
def venue() -> Venue:
    return Venue()


# --- the verified country -------------------------------------------------------------------------
def test_the_default_blocked_list_names_the_comprehensively_sanctioned_jurisdictions() -> None:
    assert {"CU", "IR", "KP", "SY", "UA-43", "UA-40"} <= DEFAULT_BLOCKED
    assert "US" not in DEFAULT_BLOCKED


@pytest.mark.parametrize("country", ["IR", "KP", "CU", "SY", "UA-43"])
def test_a_person_verified_in_a_blocked_jurisdiction_can_neither_trade_nor_withdraw(
    venue: Venue, country: str
) -> None:
    party = venue.party("Someone", country[:2], tier=0)
    venue.ok(kyc(party, country=country))
    account = venue.account(party)
    venue.fund(account, USDT=1_000)
    assert venue.reject(venue.limit(account, BUY, "50000", "0.01")) == JURISDICTION_BLOCKED
    assert venue.reject(withdraw(account, A, "w-1")) == JURISDICTION_BLOCKED


def test_a_restricted_country_may_cancel_and_withdraw_but_not_trade(venue: Venue) -> None:
    party = venue.party("Sam", "US")
    sam = venue.account(party)
    venue.fund(sam, USDT=10_000)
    order = venue.place(sam, BUY, "50000", "0.01")
    events = venue.ok(SetJurisdictionList("restricted", ("US",)), OFFICER)
    # restricting the country cancels its people's resting orders in that same command
    assert {e.order_id for e in of_type(events, OrderClosed)} == {order}
    assert venue.reject(venue.limit(sam, BUY, "50000", "0.01")) == JURISDICTION_RESTRICTED
    venue.ok(CancelAllOrders(sam, "BTC_USDT"))
    venue.ok(withdraw(sam, A, "w-1"))
    assert_eligibility_consistent(venue)


def test_blocking_a_country_later_cancels_its_peoples_orders_in_the_same_command(
    venue: Venue,
) -> None:
    party = venue.party("Vlad", "VE")
    account = venue.account(party)
    venue.fund(account, USDT=10_000)
    order = venue.place(account, BUY, "50000", "0.01")
    events = venue.ok(SetJurisdictionList("blocked", tuple(DEFAULT_BLOCKED | {"VE"})), OFFICER)
    assert [e.order_id for e in of_type(events, OrderClosed)] == [order]
    assert venue.reject(withdraw(account, A, "w-1")) == JURISDICTION_BLOCKED


def test_the_verified_country_is_write_once(venue: Venue) -> None:
    alice = venue.party("Alice", "DE")
    assert venue.reject(kyc(alice, country="AT")) == INVALID_PARAM_VALUE
    venue.ok(kyc(alice, tier=2, country="DE"))  # a re-verification confirming it is fine
    assert venue.state.identity.verified_country[alice] == "DE"


def test_a_country_correction_needs_two_different_operators_and_keeps_the_old_record(
    venue: Venue,
) -> None:
    alice = venue.party("Alice", "DE")
    events = venue.ok(ProposeCountryCorrection(alice, "AT", "passport-AT-1"), OFFICER)
    correction = of_type(events, CountryCorrectionProposed)[0].correction_id
    # the proposer cannot approve their own correction, and nothing changes when they try
    assert venue.reject(ApproveCountryCorrection(correction), OFFICER) == FORBIDDEN
    # nor can the venue itself, without an attributed actor
    assert venue.reject(ApproveCountryCorrection(correction)) == FORBIDDEN
    assert venue.state.identity.verified_country[alice] == "DE"
    events = venue.ok(ApproveCountryCorrection(correction), SECOND_OFFICER)
    assert of_type(events, CountryCorrected) == [
        CountryCorrected(correction, alice, "DE", "AT", "officer-1", "officer-2")
    ]
    history = venue.state.identity.country_history(alice)
    assert [(r.country, r.source, r.supersedes) for r in history] == [
        ("DE", "kyc", 0),
        ("AT", "correction", history[0].record_id),
    ]
    assert (history[1].recorded_by, history[1].approved_by) == ("officer-1", "officer-2")
    assert venue.reject(ApproveCountryCorrection(correction), SECOND_OFFICER) == NO_CHANGE


def test_a_rejected_correction_changes_nothing_but_its_own_record(venue: Venue) -> None:
    alice = venue.party("Alice", "DE")
    venue.ok(ProposeCountryCorrection(alice, "AT", "passport-AT-1"), OFFICER)
    venue.ok(RejectCountryCorrection(1), SECOND_OFFICER)
    assert venue.state.identity.corrections[1].status == "rejected"
    assert venue.state.identity.verified_country[alice] == "DE"


def test_a_correction_into_a_blocked_country_stops_the_person_at_once(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=10_000)
    party = venue.state.accounts[alice].owner
    order = venue.place(alice, BUY, "50000", "0.01")
    venue.ok(ProposeCountryCorrection(party, "IR", "residence-permit"), OFFICER)
    events = venue.ok(ApproveCountryCorrection(1), SECOND_OFFICER)
    assert [e.order_id for e in of_type(events, OrderClosed)] == [order]
    assert venue.reject(withdraw(alice, A, "w-1")) == JURISDICTION_BLOCKED


# --- the request's IP -----------------------------------------------------------------------------
def test_ip_verdicts() -> None:
    registry = Venue().state.identity
    registry.restricted_jurisdictions = frozenset({"US"})
    assert ip_verdict(registry, IRAN_IP, "IR") == IP_BLOCKED
    assert ip_verdict(registry, US_IP, "US") == IP_RESTRICTED
    assert ip_verdict(registry, "81.2.69.160", "GB") == IP_OK
    assert ip_verdict(registry, CGNAT_IP, "") == IP_UNKNOWN
    assert ip_verdict(registry, "not-an-ip", "") == IP_UNKNOWN
    for local in ("127.0.0.1", "10.1.2.3", "192.168.1.5", "::1", "fe80::1"):
        assert ip_verdict(registry, local, "") == IP_LOCAL
    registry.local_addresses_allowed = False
    assert ip_verdict(registry, "127.0.0.1", "") == IP_UNKNOWN


@pytest.mark.parametrize(
    ("ip", "country"), [(IRAN_IP, "IR"), (CGNAT_IP, ""), ("", ""), ("garbage", "")]
)
def test_a_command_from_a_blocked_or_unknown_ip_country_is_refused_whatever_it_is(
    venue: Venue, ip: str, country: str
) -> None:
    alice = venue.trader("Alice", USDT=10_000)
    for channel in ("rest", "ws"):
        facts = Facts(channel=channel, ip=ip, country=country)
        assert venue.reject(venue.limit(alice, BUY, "50000", "0.01"), facts) == FORBIDDEN
        assert venue.reject(CancelAllOrders(alice, "BTC_USDT"), facts) == FORBIDDEN
        assert venue.reject(CreditDeposit(alice, "USDT", 1, "tx-x"), facts) == FORBIDDEN


def test_local_addresses_follow_the_venues_explicit_policy(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=10_000)
    venue.place(alice, BUY, "50000", "0.01")
    venue.ok(venue.limit(alice, BUY, "50000", "0.01"), rest("127.0.0.1", ""))
    venue.ok(SetLocalAddressPolicy(False), OFFICER)
    assert venue.reject(venue.limit(alice, BUY, "50000", "0.01"), rest("127.0.0.1", "")) == (
        FORBIDDEN
    )


def test_an_operator_command_from_a_blocked_ip_country_is_refused(venue: Venue) -> None:
    alice = venue.party("Alice")
    facts = Facts(channel="admin", ip=IRAN_IP, country="IR", actor="op", reason="r")
    assert venue.reject(kyc(alice, tier=2), facts) == FORBIDDEN


def test_trading_from_a_restricted_ip_country_is_refused(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=10_000)
    venue.ok(venue.limit(alice, BUY, "50000", "0.01"), rest(US_IP, "US"))  # not restricted yet
    venue.ok(SetJurisdictionList("restricted", ("US",)), OFFICER)
    assert venue.reject(venue.limit(alice, BUY, "50000", "0.01"), rest(US_IP, "US")) == (
        JURISDICTION_RESTRICTED
    )
    venue.ok(CancelAllOrders(alice, "BTC_USDT"), rest(US_IP, "US"))


def test_a_withdrawal_from_another_country_than_the_verified_one_needs_a_second_factor(
    venue: Venue,
) -> None:
    alice = venue.trader("Alice", USDT=10_000)
    assert venue.reject(withdraw(alice, A, "w-1"), rest(US_IP, "US")) == STEP_UP_REQUIRED
    venue.ok(withdraw(alice, A, "w-1"), rest(US_IP, "US", step_up="totp"))
    venue.ok(withdraw(alice, A, "w-2"), rest("81.2.69.160", "DE"))  # from home: no step-up


def test_creating_an_api_key_from_another_country_needs_a_second_factor(venue: Venue) -> None:
    alice = venue.trader("Alice")
    key = CreateApiKey(alice, "K" * 32, b"sealed", ("spot",))
    assert venue.reject(key, rest(US_IP, "US")) == STEP_UP_REQUIRED
    venue.ok(key, rest(US_IP, "US", step_up="totp"))


def test_operator_commands_need_the_admin_channel_an_actor_and_a_reason(venue: Venue) -> None:
    alice = venue.party("Alice")
    command = DecideKyc(alice, 2, "kyc", ("c",), "DE", "doc-1", "officer")
    assert venue.reject(command, rest("10.0.0.1", "")) == FORBIDDEN
    assert venue.reject(command, Facts(channel="admin", actor="op")) == INVALID_PARAM_VALUE
    venue.ok(command, OFFICER)
    assert venue.state.identity.kyc_history(alice)[-1].actor == "officer-1"
