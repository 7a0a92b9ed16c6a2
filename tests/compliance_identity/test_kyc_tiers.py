"""KYC tiers, in the engine: tier 0 may neither trade nor withdraw, and what it deposits is
credited but held; verification needs evidence; a blocked identity coming back is held for
review; businesses stand or fall with their owners and controllers; a sub-account is as good as
the person it is run for, never its master's verification."""

from __future__ import annotations

import pytest
from core_harness import Venue, of_type
from identity_support import (
    OFFICER,
    SECOND_OFFICER,
    A,
    assert_eligibility_consistent,
    held_for_kyc,
    kyc,
    rest,
    sub_account,
    unverified,
    withdraw,
)

from clearhouse.core.book import BUY, SELL
from clearhouse.core.commands import (
    ApproveCountryCorrection,
    CreditDeposit,
    DecideKyc,
    DeclareBusinessStructure,
    OnboardUser,
    OpenAccount,
    ProposeCountryCorrection,
    RegisterParty,
    SetAccountStatus,
    SetJurisdictionList,
    SetPartyStatus,
    TransferBetweenAccounts,
)
from clearhouse.core.errors import (
    ACCOUNT_LOCKED,
    INVALID_PARAM_VALUE,
    JURISDICTION_RESTRICTED,
    KYC_REQUIRED,
)
from clearhouse.core.events import (
    AccountEligibilityChanged,
    DepositHeldForKyc,
    KycHoldReleased,
    OrderClosed,
    PartyRegistered,
    PartyStatusChanged,
)


@pytest.fixture
def venue() -> Venue:
    return Venue()


# --- tier 0 --------------------------------------------------------------------------------------
def test_an_unverified_person_cannot_trade_or_withdraw_and_nothing_changes(venue: Venue) -> None:
    party = unverified(venue, "Zed")
    zed = venue.account(party)
    own_sub = sub_account(venue, zed, party)
    venue.ok(CreditDeposit(zed, "USDT", 1_000 * A, "tx-zed"))
    assert venue.reject(venue.limit(zed, BUY, "50000", "0.01")) == KYC_REQUIRED
    assert venue.reject(withdraw(zed, A, "w-1")) == KYC_REQUIRED
    assert venue.reject(TransferBetweenAccounts(zed, own_sub, "USDT", 1)) == KYC_REQUIRED


def test_a_deposit_to_an_unverified_person_is_credited_but_held_until_kyc_passes(
    venue: Venue,
) -> None:
    party = unverified(venue, "Zed")
    zed = venue.account(party)
    events = venue.ok(CreditDeposit(zed, "USDT", 1_000 * A, "tx-zed"))
    assert of_type(events, DepositHeldForKyc)[0].amount_units == 1_000 * A
    assert (venue.available(zed, "USDT"), held_for_kyc(venue, zed, "USDT")) == (0, 1_000 * A)
    # held funds are not tradable even by way of an order's reservation
    assert venue.reject(venue.limit(zed, BUY, "50000", "0.01")) == KYC_REQUIRED
    events = venue.ok(kyc(party))
    assert of_type(events, KycHoldReleased) == [KycHoldReleased(zed, "USDT", 1_000 * A)]
    assert of_type(events, AccountEligibilityChanged)[0].eligible
    assert (venue.available(zed, "USDT"), held_for_kyc(venue, zed, "USDT")) == (1_000 * A, 0)
    venue.place(zed, BUY, "50000", "0.01")  # now it trades


def test_verification_needs_evidence_a_document_and_a_country(venue: Venue) -> None:
    party = unverified(venue, "Zed")
    for bad in (
        DecideKyc(party, 1, "self", (), "DE", "doc", "zed"),  # self-declaration
        DecideKyc(party, 1, "kyc", ("check-1",), "DE", "", "officer"),  # no document
        DecideKyc(party, 1, "kyc", ("check-1",), "", "doc", "officer"),  # no country
    ):
        assert venue.reject(bad) == INVALID_PARAM_VALUE
    assert venue.state.parties[party].kyc_tier == 0


def test_revoking_a_verification_cancels_the_persons_resting_orders_in_the_same_command(
    venue: Venue,
) -> None:
    alice = venue.trader("Alice", USDT=100_000)
    order = venue.place(alice, BUY, "50000", "0.1")
    events = venue.ok(kyc(venue.state.accounts[alice].owner, tier=0))
    assert {e.order_id: e.finish_as for e in of_type(events, OrderClosed)} == {order: "cancelled"}
    assert venue.held(alice, "USDT") == 0 and not venue.book().orders
    assert_eligibility_consistent(venue)


def test_onboarding_at_a_verified_tier_is_recorded_as_an_attributed_kyc_decision(
    venue: Venue,
) -> None:
    events = venue.ok(
        OnboardUser("Eve", "", "NL", 2, "E" * 32, b"sealed", ("spot",)),
        OFFICER,
    )
    party = of_type(events, PartyRegistered)[0].party
    (record,) = venue.state.identity.kyc_history(party)
    assert (record.tier, record.verified_country, record.decided_by) == (2, "NL", "officer-1")
    assert venue.state.identity.verified_country[party] == "NL"


# --- status and re-onboarding -------------------------------------------------------------------
def test_blocking_a_person_cancels_every_order_of_all_their_accounts_in_the_same_command(
    venue: Venue,
) -> None:
    alice = venue.trader("Alice", USDT=100_000, BTC=1)
    party = venue.state.accounts[alice].owner
    sub = sub_account(venue, alice, party)
    venue.ok(TransferBetweenAccounts(alice, sub, "USDT", 10_000 * A))
    orders = {venue.place(alice, BUY, "50000", "0.1"), venue.place(sub, BUY, "49000", "0.1")}
    events = venue.ok(SetPartyStatus(party, "blocked"), OFFICER)
    assert {e.order_id for e in of_type(events, OrderClosed)} == orders
    assert of_type(events, PartyStatusChanged)[0].actor == "officer-1"
    assert venue.reject(venue.limit(sub, BUY, "50000", "0.1")) == ACCOUNT_LOCKED
    assert venue.reject(withdraw(alice, A, "w-1")) == ACCOUNT_LOCKED
    venue.ok(SetPartyStatus(party, "active"), OFFICER)
    venue.place(alice, BUY, "50000", "0.1")


def test_freezing_one_account_leaves_the_persons_other_accounts_alone(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=100_000)
    party = venue.state.accounts[alice].owner
    sub = sub_account(venue, alice, party)
    venue.ok(TransferBetweenAccounts(alice, sub, "USDT", 10_000 * A))
    venue.place(sub, BUY, "49000", "0.1")
    venue.ok(SetAccountStatus(alice, "frozen"), OFFICER)
    assert venue.reject(venue.limit(alice, BUY, "50000", "0.1")) == ACCOUNT_LOCKED
    venue.place(sub, BUY, "48000", "0.1")


@pytest.mark.parametrize(
    "comes_back_with",
    ["the same name and country", "the same document", "the same device"],
)
def test_re_onboarding_a_blocked_identity_is_held_for_review_not_activated(
    venue: Venue, comes_back_with: str
) -> None:
    mallory = unverified(venue, "Mallory Doe", "FR", rest("10.0.0.1", "", device="dev-1"))
    venue.ok(kyc(mallory, country="FR", document="passport-123", devices=("dev-1",)))
    venue.ok(SetPartyStatus(mallory, "blocked"), OFFICER)
    name, facts, document = "Mal Doe", None, "passport-999"
    if comes_back_with == "the same name and country":
        name = "  mallory   DOE "
    elif comes_back_with == "the same document":
        document = "passport-123"
    else:
        facts = rest("10.0.0.2", "", device="dev-1")
    again = unverified(venue, name, "FR", facts)
    venue.ok(kyc(again, country="FR", document=document))
    assert venue.state.parties[again].status == "review"
    account = venue.account(again)
    venue.fund(account, USDT=1_000)
    assert venue.reject(venue.limit(account, BUY, "50000", "0.01")) == ACCOUNT_LOCKED
    venue.ok(SetPartyStatus(again, "active"), OFFICER)  # an officer cleared it
    venue.place(account, BUY, "50000", "0.01")


def test_a_second_identity_on_an_already_verified_document_is_held_for_review(
    venue: Venue,
) -> None:
    first = venue.party("Alice")
    second = unverified(venue, "Alicia")
    venue.ok(kyc(second, document=f"doc-{first}"))
    assert venue.state.parties[second].status == "review"


# --- businesses ---------------------------------------------------------------------------------
def _business(venue: Venue) -> tuple[int, int, int, int]:
    owner, controller = venue.party("Olga Owner"), venue.party("Carl Controller")
    events = venue.ok(RegisterParty("business", "Offshore Ltd", "VG"))
    firm = of_type(events, PartyRegistered)[0].party
    venue.ok(DeclareBusinessStructure(firm, ((owner, 6_000),), (controller,)), OFFICER)
    venue.ok(kyc(firm, country="VG", document="registry-1"))
    account = venue.account(firm)
    venue.fund(account, USDT=100_000)
    return firm, owner, controller, account


def test_a_business_trades_once_verified_with_its_owners_and_controllers(venue: Venue) -> None:
    _, _, _, account = _business(venue)
    venue.place(account, BUY, "50000", "0.1")


def test_a_business_needs_its_structure_before_verification(venue: Venue) -> None:
    events = venue.ok(RegisterParty("business", "Shell Ltd", "VG"))
    firm = of_type(events, PartyRegistered)[0].party
    assert venue.reject(kyc(firm, country="VG")) == INVALID_PARAM_VALUE


@pytest.mark.parametrize("who", ["owner", "controller"])
def test_blocking_an_owner_or_controller_blocks_the_business_and_cancels_its_orders(
    venue: Venue, who: str
) -> None:
    firm, owner, controller, account = _business(venue)
    order = venue.place(account, BUY, "50000", "0.1")
    person = owner if who == "owner" else controller
    events = venue.ok(SetPartyStatus(person, "blocked"), OFFICER)
    reason = f"owner or controller {person} is blocked"
    assert PartyStatusChanged(firm, "blocked", reason, "officer-1") in events
    assert order in {e.order_id for e in of_type(events, OrderClosed)}
    assert venue.reject(venue.limit(account, BUY, "50000", "0.1")) == ACCOUNT_LOCKED
    assert_eligibility_consistent(venue)


def test_an_offshore_business_owned_from_a_restricted_country_may_not_trade(
    venue: Venue,
) -> None:
    firm, owner, _, account = _business(venue)
    venue.ok(ProposeCountryCorrection(owner, "US", "us-passport"), OFFICER)
    venue.ok(ApproveCountryCorrection(1), SECOND_OFFICER)
    venue.place(account, BUY, "50000", "0.1")  # the US is not restricted yet
    events = venue.ok(SetJurisdictionList("restricted", ("US",)), OFFICER)
    assert of_type(events, OrderClosed)  # its resting order went with the restriction
    assert venue.reject(venue.limit(account, BUY, "50000", "0.1")) == JURISDICTION_RESTRICTED
    assert venue.state.identity.verified_country[firm] == "VG"


def test_declaring_a_blocked_person_as_owner_blocks_the_business(venue: Venue) -> None:
    firm, _, controller, _ = _business(venue)
    mallory = venue.party("Mallory")
    venue.ok(SetPartyStatus(mallory, "blocked"), OFFICER)
    venue.ok(DeclareBusinessStructure(firm, ((mallory, 2_500),), (controller,)), OFFICER)
    assert venue.state.parties[firm].status == "blocked"


def test_an_unverified_controller_keeps_the_business_from_trading(venue: Venue) -> None:
    firm, owner, _, account = _business(venue)
    newcomer = unverified(venue, "Nina New")
    venue.ok(DeclareBusinessStructure(firm, ((owner, 6_000),), (newcomer,)), OFFICER)
    assert venue.reject(venue.limit(account, BUY, "50000", "0.1")) == KYC_REQUIRED


# --- sub-accounts ---------------------------------------------------------------------------------
def test_a_sub_account_never_borrows_its_masters_verification(venue: Venue) -> None:
    broker = venue.trader("Broker", USDT=100_000)
    client = unverified(venue, "Client")
    desk = sub_account(venue, broker, client)
    # a deposit straight to the desk is held: its beneficial owner is unverified
    venue.ok(CreditDeposit(desk, "USDT", 5_000 * A, "tx-desk"))
    assert held_for_kyc(venue, desk, "USDT") == 5_000 * A
    assert venue.reject(venue.limit(desk, BUY, "50000", "0.01")) == KYC_REQUIRED
    # the master cannot fund the unverified client's desk either
    assert venue.reject(TransferBetweenAccounts(broker, desk, "USDT", A)) == KYC_REQUIRED
    venue.ok(kyc(client, country="IT"))
    assert held_for_kyc(venue, desk, "USDT") == 0
    venue.place(desk, BUY, "50000", "0.01")


def test_blocking_a_sub_accounts_beneficial_owner_leaves_the_master_trading(
    venue: Venue,
) -> None:
    broker = venue.trader("Broker", USDT=100_000)
    client = venue.party("Client", "IT")
    desk = sub_account(venue, broker, client)
    venue.ok(TransferBetweenAccounts(broker, desk, "USDT", 10_000 * A))
    desk_order = venue.place(desk, BUY, "49000", "0.1")
    events = venue.ok(SetPartyStatus(client, "blocked"), OFFICER)
    assert [e.order_id for e in of_type(events, OrderClosed)] == [desk_order]
    venue.place(broker, BUY, "50000", "0.1")
    assert venue.reject(venue.limit(desk, BUY, "50000", "0.01")) == ACCOUNT_LOCKED


def test_the_beneficial_owner_of_every_trade_is_the_verified_person(venue: Venue) -> None:
    broker = venue.trader("Broker", BTC=1)
    client = venue.party("Client", "IT")
    desk = sub_account(venue, broker, client)
    buyer = venue.trader("Buyer", USDT=100_000)
    venue.ok(TransferBetweenAccounts(broker, desk, "BTC", A // 2))
    venue.place(desk, SELL, "50000", "0.1")
    events = venue.ok(venue.limit(buyer, BUY, "50000", "0.1"))
    (trade,) = [e for e in events if type(e).__name__ == "Traded"]
    assert trade.maker_owner == client  # type: ignore[attr-defined]


def test_opening_a_second_account_for_a_verified_person_makes_it_eligible_at_once(
    venue: Venue,
) -> None:
    alice = venue.party("Alice")
    second = of_type(venue.ok(OpenAccount(alice)), AccountEligibilityChanged)
    assert second and second[0].eligible
