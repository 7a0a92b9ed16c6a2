"""Every party is name-screened as it is registered, and every decision records the screening
version it was made against: clear parties trade, review holds a party until a reviewer decides,
block stops them for good. Small fixture lists only: no shared data needed."""

from __future__ import annotations

from screening_support import (
    LISTED_ETH,
    Onboarded,
    Venue,
    fixture_list,
    of_type,
    onboard,
)

from clearhouse.core.book import BUY
from clearhouse.core.commands import (
    CreditDeposit,
    DeclareBusinessStructure,
    OnboardUser,
    RegisterParty,
    RequestWithdrawal,
    TransferBetweenAccounts,
)
from clearhouse.core.compliance.sanctions_list import combined_version
from clearhouse.core.compliance.sanctions_state import BLOCKED, CLEAR, REVIEW
from clearhouse.core.errors import SANCTIONS_BLOCKED, SANCTIONS_REVIEW
from clearhouse.core.events import PartyScreened, SanctionsHit


def listed_venue() -> Venue:
    venue = Venue()
    venue.ok(fixture_list())
    return venue


def test_with_no_list_loaded_every_party_is_screened_clear_against_the_empty_version() -> None:
    venue = Venue()
    user = Onboarded(venue, "Viktor Anatolyevich Bout")
    [screened] = of_type(user.events, PartyScreened)
    assert (screened.decision, screened.status, screened.trigger) == ("clear", CLEAR, "onboarding")
    assert screened.list_version == combined_version(()) == venue.state.sanctions.version


def test_onboarding_a_listed_name_blocks_the_party_with_the_list_version_recorded() -> None:
    venue = listed_venue()
    version = venue.state.sanctions.version
    user = Onboarded(venue, "Viktor Anatolyevich Bout")
    [screened] = of_type(user.events, PartyScreened)
    assert screened.decision == "block" and screened.status == BLOCKED
    assert (screened.entry_id, screened.score_ppm) == ("TEST:1", 1_000_000)
    assert screened.list_version == version
    [hit] = of_type(user.events, SanctionsHit)
    assert (hit.kind, hit.party, hit.entry_id, hit.list_version) == (
        "name",
        user.party,
        "TEST:1",
        version,
    )
    assert venue.state.sanctions.status_of(user.party) == BLOCKED
    venue.ok(CreditDeposit(user.account, "USDT", 10**12, "tx-1"))  # deposits are still credited
    assert venue.reject(venue.limit(user.account, BUY, "50000", "0.1")) == SANCTIONS_BLOCKED
    withdrawal = RequestWithdrawal(user.account, "USDT", 10**8, "w-1", LISTED_ETH)
    assert venue.reject(withdrawal) == SANCTIONS_BLOCKED


def test_a_name_in_another_script_is_matched_too() -> None:
    venue = listed_venue()
    user = Onboarded(venue, "Виктор Бут")
    assert of_type(user.events, PartyScreened)[0].status == BLOCKED


def test_a_near_match_holds_the_party_for_review_until_a_reviewer_decides() -> None:
    venue = listed_venue()
    user = Onboarded(venue, "Viktor Bout")
    [screened] = of_type(user.events, PartyScreened)
    assert (screened.decision, screened.status) == ("review", REVIEW)
    assert 850_000 <= screened.score_ppm < 950_000
    venue.ok(CreditDeposit(user.account, "USDT", 10**12, "tx-1"))
    assert venue.reject(venue.limit(user.account, BUY, "50000", "0.1")) == SANCTIONS_REVIEW
    withdrawal = RequestWithdrawal(user.account, "USDT", 10**8, "w-1", LISTED_ETH)
    assert venue.reject(withdrawal) == SANCTIONS_REVIEW


def test_a_weak_alias_alone_never_blocks_it_only_sends_to_review() -> None:
    venue = listed_venue()
    user = Onboarded(venue, "Little Rocket")
    [screened] = of_type(user.events, PartyScreened)
    assert (screened.decision, screened.status, screened.score_ppm) == ("review", REVIEW, 10**6)


def test_a_clear_name_trades_and_records_the_version_it_was_cleared_against() -> None:
    venue = listed_venue()
    user = Onboarded(venue, "Alice Smith")
    [screened] = of_type(user.events, PartyScreened)
    assert (screened.decision, screened.status, screened.entry_id) == ("clear", CLEAR, "")
    assert screened.list_version == venue.state.sanctions.version
    assert not of_type(user.events, SanctionsHit)
    venue.ok(CreditDeposit(user.account, "USDT", 10**12, "tx-1"))
    venue.ok(venue.limit(user.account, BUY, "50000", "0.1"))


def test_a_registered_party_is_screened_like_an_onboarded_one() -> None:
    venue = listed_venue()
    events = venue.ok(RegisterParty("business", "GARANTEX EUROPE OU", "EE"))
    [screened] = of_type(events, PartyScreened)
    assert (screened.status, screened.entry_id) == (BLOCKED, "TEST:2")


def test_a_sub_account_whose_beneficial_owner_is_listed_is_held_not_its_master() -> None:
    venue = listed_venue()
    master = onboard(venue, "Alice Smith", USDT=10_000)
    sub = Onboarded(venue, "Alice Smith", parent=master, bo_name="Kim Jong Un")
    owner_screen, bo_screen = of_type(sub.events, PartyScreened)
    assert owner_screen.status == CLEAR and bo_screen.status == BLOCKED
    venue.ok(CreditDeposit(sub.account, "USDT", 10**12, "tx-sub"))
    assert venue.reject(venue.limit(sub.account, BUY, "50000", "0.1")) == SANCTIONS_BLOCKED
    venue.ok(venue.limit(master, BUY, "50000", "0.01"))
    # money may not leave the held sub-account for its clean master, nor reach it from there
    assert venue.reject(TransferBetweenAccounts(sub.account, master, "USDT", 1)) == (
        SANCTIONS_BLOCKED
    )
    assert venue.reject(TransferBetweenAccounts(master, sub.account, "USDT", 1)) == (
        SANCTIONS_BLOCKED
    )


def test_a_business_with_a_listed_owner_is_held_through_its_declared_structure() -> None:
    venue = listed_venue()
    company = Onboarded(venue, "Northwind Trading GmbH", kind="business")
    clean = Onboarded(venue, "Alice Smith")
    venue.ok(DeclareBusinessStructure(company.party, ((clean.party, 5_000),), (clean.party,)))
    venue.ok(CreditDeposit(company.account, "USDT", 10**12, "tx-1"))
    venue.ok(venue.limit(company.account, BUY, "50000", "0.1"))
    owner = Onboarded(venue, "Kim Jong Un")
    owners = ((clean.party, 5_000), (owner.party, 5_000))
    venue.ok(DeclareBusinessStructure(company.party, owners, (clean.party,)))
    assert venue.reject(venue.limit(company.account, BUY, "50000", "0.1")) == SANCTIONS_BLOCKED


def test_onboarding_a_user_cannot_route_around_screening_from_any_entry_point() -> None:
    """OnboardUser (the admin API's path) screens the party exactly as RegisterParty does."""
    venue = listed_venue()
    events = venue.ok(
        OnboardUser("Kim Jong Un", "k@example.com", "DE", 2, "Z" * 32, b"s", ("spot",))
    )
    assert of_type(events, PartyScreened)[0].status == BLOCKED
