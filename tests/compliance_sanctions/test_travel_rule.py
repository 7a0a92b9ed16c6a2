"""The Travel Rule (FATF R.16) on withdrawals: at or above the threshold (USD 1,000 by default)
a withdrawal carries valid IVMS101 originator and beneficiary data, stored with it; missing or
invalid data is refused with a label and a message naming the rule, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from screening_support import (
    BTC_USDT,
    CLEAN_BTC,
    CLEAN_ETH,
    HOME,
    Venue,
    legal,
    natural,
    of_type,
    onboard,
    payload,
)

from clearhouse.core import canonical
from clearhouse.core.book import BUY, SELL
from clearhouse.core.commands import (
    AdvanceTime,
    ConfigureTravelRule,
    RequestWithdrawal,
    SetIndexPrice,
)
from clearhouse.core.compliance.travel_rule import UNPRICED, TravelRuleRecord, value_usd_cents
from clearhouse.core.compliance.travel_rule_ivms import (
    Address,
    DateAndPlaceOfBirth,
    IdentityPayload,
    NationalIdentification,
)
from clearhouse.core.compliance.travel_rule_validation import (
    days_from_civil,
    is_valid_lei,
    parse_date_days,
)
from clearhouse.core.errors import (
    INVALID_PARAM_VALUE,
    NO_CHANGE,
    TRAVEL_RULE_INVALID,
    TRAVEL_RULE_REQUIRED,
)
from clearhouse.core.events import (
    CommandRejected,
    TravelRuleConfigured,
    TravelRuleRecorded,
    WithdrawalRequested,
)

USDT = 10**8
BTC = 10**8
DAY_NS = 86_400 * 10**9
LEI = "5493001KJTIIGC8Y1R12"  # a well-formed LEI (check digits 12)


NOW_NS = days_from_civil(2025, 6, 1) * DAY_NS


def venue_with_alice() -> tuple[Venue, int]:
    """A venue whose clock reads 2025-06-01 (C2 compares dates of birth with it)."""
    venue = Venue()
    venue.apply(AdvanceTime(), advance_ns=NOW_NS)
    return venue, onboard(venue, "Alice Smith", USDT=100_000, BTC=2, ETH=10)


def withdraw(account: int, units: int, data: IdentityPayload | None = None, *,
             asset: str = "USDT", address: str = CLEAN_ETH, client_id: str = "w-1",
             ) -> RequestWithdrawal:  # fmt: skip
    return RequestWithdrawal(account, asset, units, client_id, address, "ETH", data)


# --- the threshold and how an amount is valued -------------------------------------------------
def test_below_the_threshold_no_data_is_needed_and_the_valuation_is_kept() -> None:
    venue, alice = venue_with_alice()
    events = venue.ok(withdraw(alice, 999 * USDT + 99_999_999))  # 999.99999999: just below
    record = venue.state.withdrawals[of_type(events, WithdrawalRequested)[0].withdrawal_id]
    version = venue.state.sanctions.version  # the destination was screened clear against it
    assert record.travel_rule == TravelRuleRecord(99_999, 100_000, None, version)
    assert not of_type(events, TravelRuleRecorded)


def test_at_the_threshold_data_is_required_and_the_refusal_changes_nothing() -> None:
    venue, alice = venue_with_alice()
    assert venue.reject(withdraw(alice, 1_000 * USDT)) == TRAVEL_RULE_REQUIRED
    [refusal] = venue.apply(withdraw(alice, 1_000 * USDT))
    assert isinstance(refusal, CommandRejected)
    assert "USD 1,000.00" in refusal.message and "IVMS101" in refusal.message


def test_at_the_threshold_valid_data_is_accepted_and_stored_with_the_withdrawal() -> None:
    venue, alice = venue_with_alice()
    data = payload(CLEAN_ETH)
    events = venue.ok(withdraw(alice, 1_000 * USDT, data))
    withdrawal_id = of_type(events, WithdrawalRequested)[0].withdrawal_id
    assert of_type(events, TravelRuleRecorded) == [
        TravelRuleRecorded(withdrawal_id, 100_000, 100_000, "Alice Smith", "Bob Jones")
    ]
    stored = venue.state.withdrawals[withdrawal_id].travel_rule
    assert stored == TravelRuleRecord(100_000, 100_000, data, venue.state.sanctions.version)
    restored = canonical.load(canonical.encode(venue.state))
    assert restored.withdrawals[withdrawal_id].travel_rule == stored
    assert canonical.state_hash(restored) == canonical.state_hash(venue.state)


def test_other_assets_are_valued_by_index_price_else_last_trade_else_need_data() -> None:
    venue, alice = venue_with_alice()
    state = venue.state
    assert value_usd_cents(state, "USDT", 12_345_678) == 12  # 0.12345678 USDT, recorded down
    assert value_usd_cents(state, "BTC", BTC) == UNPRICED
    assert value_usd_cents(state, "DOGE", BTC) == UNPRICED
    bob = onboard(venue, "Bob Jones", USDT=100_000, BTC=1)
    venue.place(bob, SELL, "40000", "0.01")
    venue.ok(venue.limit(alice, BUY, "40000", "0.01"))
    assert value_usd_cents(state, "BTC", BTC) == 4_000_000  # last trade: 40,000.00
    venue.ok(SetIndexPrice(BTC_USDT, venue.price("60000")))
    assert value_usd_cents(state, "BTC", BTC) == 6_000_000  # the index wins over the last trade
    assert value_usd_cents(state, "BTC", 1) == 0  # 0.06 of a cent, recorded as 0


def test_an_unpriced_asset_needs_data_whatever_the_amount() -> None:
    venue, alice = venue_with_alice()
    command = withdraw(alice, 1, asset="ETH")
    assert venue.reject(command) == TRAVEL_RULE_REQUIRED
    events = venue.ok(withdraw(alice, 1, payload(CLEAN_ETH), asset="ETH"))
    stored = venue.state.withdrawals[of_type(events, WithdrawalRequested)[0].withdrawal_id]
    assert stored.travel_rule is not None and stored.travel_rule.value_usd_cents == UNPRICED


def test_a_priced_asset_below_the_threshold_goes_without_data() -> None:
    venue, alice = venue_with_alice()
    venue.ok(SetIndexPrice(BTC_USDT, venue.price("60000")))
    venue.ok(withdraw(alice, BTC // 100, asset="BTC", address=CLEAN_BTC))  # USD 600
    assert venue.reject(withdraw(alice, BTC // 50, asset="BTC", address=CLEAN_BTC,
                                 client_id="w-2")) == TRAVEL_RULE_REQUIRED  # fmt: skip


def test_the_threshold_is_configurable_and_zero_means_from_the_first_cent() -> None:
    venue, alice = venue_with_alice()
    events = venue.ok(ConfigureTravelRule(0))
    assert of_type(events, TravelRuleConfigured) == [TravelRuleConfigured(0)]
    assert venue.reject(withdraw(alice, 1)) == TRAVEL_RULE_REQUIRED
    venue.ok(ConfigureTravelRule(300_000))  # the US threshold, USD 3,000
    venue.ok(withdraw(alice, 2_999 * USDT))
    assert venue.reject(ConfigureTravelRule(300_000)) == NO_CHANGE
    assert venue.reject(ConfigureTravelRule(-1)) == INVALID_PARAM_VALUE
    assert venue.reject(ConfigureTravelRule(10**16)) == INVALID_PARAM_VALUE


def test_data_sent_below_the_threshold_is_still_validated() -> None:
    venue, alice = venue_with_alice()
    bad = payload(CLEAN_ETH, beneficiary=natural(name_type="NICK"))
    assert venue.reject(withdraw(alice, USDT, bad)) == TRAVEL_RULE_INVALID


# --- one accepted and one refused payload per rule ---------------------------------------------
@dataclass(frozen=True)
class Rule:
    name: str
    accepted: Callable[[], IdentityPayload]
    refused: Callable[[], IdentityPayload]
    message: str  # what the refusal's message must contain


def _originator(**kw: object) -> Callable[[], IdentityPayload]:
    return lambda: payload(CLEAN_ETH, originator=natural(**kw))  # type: ignore[arg-type]


def _legal_originator(**kw: object) -> Callable[[], IdentityPayload]:
    return lambda: payload(CLEAN_ETH, originator=legal(**kw))  # type: ignore[arg-type]


def _birth(date: str) -> DateAndPlaceOfBirth:
    return DateAndPlaceOfBirth(date, "Hamburg")


def _raid(**kw: str) -> NationalIdentification:
    fields = {"national_identifier": "HRB 12345", "national_identifier_type": "RAID",
              "registration_authority": "RA000242"}  # fmt: skip
    fields.update(kw)
    return NationalIdentification(**fields)


GEOG = Address("GEOG", "Berlin", "DE", address_line=("Friedrichstr. 1",))
RULES = [
    Rule("C1 a natural-person originator is identified beyond the name",
         _originator(addresses=(HOME,)), _originator(),
         "C1 OriginatorInformationNaturalPerson"),
    Rule("C1 a customer identification is enough", _originator(customer_id="10000001"),
         _originator(residence="DE"), "C1 OriginatorInformationNaturalPerson"),
    Rule("C1 a date and place of birth is enough", _originator(birth=_birth("1980-02-29")),
         _originator(customer_id="  "), "C1 OriginatorInformationNaturalPerson"),
    Rule("C2 a date of birth lies in the past", _originator(birth=_birth("1970-01-01")),
         _originator(birth=_birth("2030-01-01")), "C2 DateInPast"),
    Rule("C2 a date of birth is a real date", _originator(birth=_birth("2000-02-29")),
         _originator(birth=_birth("1999-02-29")), "is not a YYYY-MM-DD date"),
    Rule("C4 a legal-person originator is identified beyond the name",
         _legal_originator(customer_number="C-1"), _legal_originator(addresses=(HOME,)),
         "C4 OriginatorInformationLegalPerson"),
    Rule("C4 a GEOG address is enough", _legal_originator(addresses=(GEOG,)),
         _legal_originator(registration="DE"), "C4 OriginatorInformationLegalPerson"),
    Rule("C5 a legal person has a legal name", _legal_originator(customer_number="C-1"),
         _legal_originator(customer_number="C-1", name_type="TRAD"),
         "C5 LegalNamePresentLegalPerson"),
    Rule("C6 a natural person has a legal name", _originator(customer_id="1", name_type="LEGL"),
         _originator(customer_id="1", name_type="ALIA"), "C6 LegalNamePresent"),
    Rule("C7 a legal person's identifier type is RAID, MISC, LEIX or TXID",
         _legal_originator(national=_raid()),
         _legal_originator(national=_raid(national_identifier_type="CCPT")),
         "C7 ValidNationalIdentifierLegalPerson"),
    Rule("C8 an address has a line or a street and building",
         _originator(addresses=(GEOG,)),
         _originator(addresses=(Address("HOME", "Berlin", "DE", street_name="Main St"),)),
         "C8 ValidAddress"),
    Rule("C9 a legal person's identification has no country of issue",
         _legal_originator(national=_raid()),
         _legal_originator(national=_raid(country_of_issue="DE")),
         "C9 CompleteNationalIdentifierLegalPerson"),
    Rule("C9 a registration authority unless LEIX",
         _legal_originator(national=NationalIdentification(LEI, "LEIX")),
         _legal_originator(national=_raid(registration_authority="")),
         "C9 CompleteNationalIdentifierLegalPerson"),
    Rule("C10 a registration authority is a GLEIF RA code",
         _originator(national=NationalIdentification("X1", "MISC",
                                                      registration_authority="RA000001")),
         _originator(national=NationalIdentification("X1", "MISC",
                                                     registration_authority="HRB")),
         "C10 RegistrationAuthority"),
    Rule("C11 an LEI has valid check digits",
         _legal_originator(national=NationalIdentification(LEI, "LEIX")),
         _legal_originator(national=NationalIdentification(LEI[:-2] + "13", "LEIX")),
         "C11 ValidLEI"),
    Rule("countries are ISO 3166-1 alpha-2 (or XX)", _originator(customer_id="1", residence="XX"),
         _originator(customer_id="1", residence="ZZ"), "not an ISO 3166-1 alpha-2"),
    Rule("name identifier types are IVMS101's", _originator(customer_id="1", name_type="LEGL"),
         _originator(customer_id="1", name_type="NICK"), "nameIdentifierType 'NICK'"),
    Rule("a person is natural or legal, not neither",
         lambda: payload(CLEAN_ETH),
         lambda: payload(CLEAN_ETH, beneficiary=natural().__class__()),
         "exactly one of naturalPerson or legalPerson"),
    Rule("R.16 the originator's account number is given", lambda: payload(CLEAN_ETH),
         lambda: payload(CLEAN_ETH, originator_accounts=()),
         "the originator's accountNumber is required"),
    Rule("R.16 the beneficiary's account is the withdrawal address",
         lambda: payload(CLEAN_ETH, beneficiary_accounts=(CLEAN_ETH.upper().replace("0X", "0x"),)),
         lambda: payload(CLEAN_ETH, beneficiary_accounts=(CLEAN_BTC,)),
         "must include the withdrawal address"),
    Rule("IVMS101 text lengths", _originator(customer_id="1", primary="S" * 100),
         _originator(customer_id="1", primary="S" * 101), "longer than 100 characters"),
]  # fmt: skip


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_each_rule_accepts_good_data_and_refuses_bad_data_naming_the_rule(rule: Rule) -> None:
    venue, alice = venue_with_alice()
    venue.ok(withdraw(alice, 1_000 * USDT, rule.accepted(), client_id="good"))
    refused = withdraw(alice, 1_000 * USDT, rule.refused(), client_id="bad")
    assert venue.reject(refused) == TRAVEL_RULE_INVALID  # and the state is untouched
    [refusal] = venue.apply(refused)
    assert isinstance(refusal, CommandRejected) and rule.message in refusal.message


def test_the_engine_clock_decides_what_is_in_the_past() -> None:
    """C2 compares with the engine's time, not the wall clock: replay gives the same answer."""
    venue = Venue()  # the stand-in clock starts at 1970-01-01
    alice = onboard(venue, "Alice Smith", USDT=100_000)
    assert venue.state.time_ns // DAY_NS == 0
    born_today = payload(CLEAN_ETH, originator=natural(birth=_birth("1970-01-01")))
    assert venue.reject(withdraw(alice, 1_000 * USDT, born_today)) == TRAVEL_RULE_INVALID


def test_calendar_helpers() -> None:
    assert days_from_civil(1970, 1, 1) == 0
    assert days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28) == 2
    assert parse_date_days("2024-02-29") == days_from_civil(2024, 2, 29)
    assert parse_date_days("1900-02-29") is None and parse_date_days("2024-13-01") is None
    assert parse_date_days("24-01-01") is None
    assert is_valid_lei(LEI) and not is_valid_lei(LEI.lower()) and not is_valid_lei("123")
