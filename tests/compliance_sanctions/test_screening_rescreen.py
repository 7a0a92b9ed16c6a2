"""Whenever a list changes, everyone is screened again: an addition blocks an existing user and
cancels their orders and triggers in the same command; a removal lifts the hit; a reviewer's
decision (with actor and reason) settles a review and survives later list versions."""

from __future__ import annotations

from screening_support import (
    CLEAN_ETH,
    FIXTURE_ENTRIES,
    OFFICER,
    Onboarded,
    Venue,
    address_list,
    entry,
    fixture_list,
    of_type,
    onboard,
)

from clearhouse.core.book import BUY, SELL
from clearhouse.core.commands import (
    CancelOrder,
    Facts,
    LoadSanctionsList,
    PlaceTriggerOrder,
    ResolveScreeningReview,
)
from clearhouse.core.compliance.sanctions_state import BLOCKED, CLEAR, REVIEW
from clearhouse.core.errors import (
    INVALID_PARAM_VALUE,
    NO_CHANGE,
    SANCTIONS_BLOCKED,
    SANCTIONS_REVIEW,
    USER_NOT_FOUND,
)
from clearhouse.core.events import (
    OrderClosed,
    PartiesRescreened,
    PartyScreened,
    SanctionsHit,
    SanctionsListLoaded,
    ScreeningReviewResolved,
    TriggerClosed,
)
from clearhouse.core.triggers import RULE_GE

WITH_DORA = FIXTURE_ENTRIES + (entry("TEST:9", "Dora Explorer"),)


def test_a_list_update_that_adds_a_name_blocks_an_existing_user_and_cancels_their_orders() -> None:
    venue = Venue()
    venue.ok(fixture_list("v1"))
    dora = onboard(venue, "Dora Explorer", USDT=100_000, BTC=1)
    bob = onboard(venue, "Bob Jones", USDT=100_000, BTC=1)
    bid = venue.place(dora, BUY, "50000", "0.1")
    ask = venue.place(dora, SELL, "70000", "0.2")
    order = venue.limit(dora, BUY, "40000", "0.01")
    venue.ok(PlaceTriggerOrder(dora, "BTC_USDT", venue.price("80000"), RULE_GE, 0, order))
    bob_bid = venue.place(bob, BUY, "49000", "0.1")

    events = venue.ok(fixture_list("v2", WITH_DORA))

    version = venue.state.sanctions.version
    [loaded] = of_type(events, SanctionsListLoaded)
    assert (loaded.source, loaded.version, loaded.entries, loaded.list_version) == (
        "TEST",
        "v2",
        4,
        version,
    )
    [screened] = of_type(events, PartyScreened)
    assert (screened.status, screened.entry_id, screened.trigger) == (
        BLOCKED,
        "TEST:9",
        "list_change",
    )
    assert screened.list_version == version
    assert [h.entry_id for h in of_type(events, SanctionsHit)] == ["TEST:9"]
    assert {e.order_id: e.finish_as for e in of_type(events, OrderClosed)} == {
        bid: "cancelled",
        ask: "cancelled",
    }
    assert [e.reason for e in of_type(events, TriggerClosed)] == ["cancelled"]
    assert of_type(events, PartiesRescreened) == [PartiesRescreened(version, 2, 1)]
    # Dora's funds are back from their holds; Bob's order is untouched
    assert venue.held(dora, "USDT") == 0 and venue.held(dora, "BTC") == 0
    assert [o[0] for o in venue.resting()] == [bob_bid]
    assert venue.reject(venue.limit(dora, BUY, "50000", "0.1")) == SANCTIONS_BLOCKED


def test_a_list_update_that_removes_the_entry_lifts_the_hit() -> None:
    venue = Venue()
    venue.ok(fixture_list("v1", WITH_DORA))
    dora = onboard(venue, "Dora Explorer", USDT=100_000)
    assert venue.reject(venue.limit(dora, BUY, "50000", "0.1")) == SANCTIONS_BLOCKED

    events = venue.ok(fixture_list("v2", FIXTURE_ENTRIES))

    [screened] = of_type(events, PartyScreened)
    assert (screened.decision, screened.status, screened.entry_id) == ("clear", CLEAR, "")
    assert screened.list_version == venue.state.sanctions.version
    assert venue.state.sanctions.held == {}
    venue.ok(venue.limit(dora, BUY, "50000", "0.1"))


def test_unloading_a_source_by_loading_it_empty_lifts_its_hits() -> None:
    venue = Venue()
    venue.ok(fixture_list("v1"))
    kim = Onboarded(venue, "Kim Jong Un")
    assert venue.state.sanctions.status_of(kim.party) == BLOCKED
    venue.ok(LoadSanctionsList("TEST", "empty"))
    assert venue.state.sanctions.status_of(kim.party) == CLEAR


def test_a_rescreen_that_changes_nobody_emits_only_the_summary() -> None:
    venue = Venue()
    venue.ok(fixture_list("v1"))
    onboard(venue, "Alice Smith")
    events = venue.ok(fixture_list("v2"))
    assert not of_type(events, PartyScreened)
    assert of_type(events, PartiesRescreened)[0].changed == 0


def test_a_reviewer_clears_a_false_positive_and_it_stays_cleared_on_the_next_version() -> None:
    venue = Venue()
    venue.ok(fixture_list("v1"))
    user = Onboarded(venue, "Viktor Bout")
    assert venue.state.sanctions.status_of(user.party) == REVIEW

    events = venue.ok(ResolveScreeningReview(user.party, "clear", "different birth date"), OFFICER)

    assert of_type(events, ScreeningReviewResolved) == [
        ScreeningReviewResolved(
            user.party,
            "clear",
            CLEAR,
            ("TEST:1",),
            "compliance-officer",
            "different birth date",
            venue.state.sanctions.version,
        )  # fmt: skip
    ]
    record = venue.state.sanctions.screenings[user.party]
    assert record.reviewed_by == "compliance-officer"
    assert record.review_reason == "different birth date"
    venue.ok(fixture_list("v2"))
    assert venue.state.sanctions.status_of(user.party) == CLEAR


def test_a_cleared_party_is_reviewed_again_when_a_new_entry_matches() -> None:
    venue = Venue()
    venue.ok(fixture_list("v1"))
    user = Onboarded(venue, "Viktor Bout")
    venue.ok(ResolveScreeningReview(user.party, "clear", "not him"), OFFICER)
    more = FIXTURE_ENTRIES + (entry("TEST:7", "Viktor Bout"),)
    events = venue.ok(fixture_list("v2", more))
    assert venue.state.sanctions.status_of(user.party) == BLOCKED
    assert of_type(events, PartyScreened)[0].entry_id == "TEST:7"


def test_a_reviewer_confirms_a_match_and_the_party_is_blocked_until_the_entry_goes() -> None:
    venue = Venue()
    venue.ok(fixture_list("v1"))
    user = Onboarded(venue, "Viktor Bout")
    events = venue.ok(ResolveScreeningReview(user.party, "block", "same passport"), OFFICER)
    assert of_type(events, ScreeningReviewResolved)[0].status == BLOCKED
    assert venue.reject(venue.limit(user.account, BUY, "50000", "0.1")) == SANCTIONS_BLOCKED
    without_bout = tuple(e for e in FIXTURE_ENTRIES if e.entry_id != "TEST:1")
    venue.ok(fixture_list("v2", without_bout))
    assert venue.state.sanctions.status_of(user.party) == CLEAR


def test_a_review_hold_cancels_resting_orders_placed_before_the_hit() -> None:
    venue = Venue()
    alice = onboard(venue, "Viktor Bout", USDT=100_000)
    bid = venue.place(alice, BUY, "50000", "0.1")
    events = venue.ok(fixture_list("v1"))
    assert of_type(events, PartyScreened)[0].status == REVIEW
    assert {e.order_id for e in of_type(events, OrderClosed)} == {bid}
    assert venue.reject(venue.limit(alice, BUY, "50000", "0.1")) == SANCTIONS_REVIEW


def test_cancelling_stays_possible_while_held() -> None:
    venue = Venue()
    venue.ok(fixture_list("v1"))
    alice = onboard(venue, "Viktor Bout", USDT=100_000)
    # nothing to cancel after the hold, but the gate lets a cancel through to its handler
    assert venue.reject(CancelOrder(alice, "BTC_USDT", 999)) == "ORDER_NOT_FOUND"


# --- refusals of a review decision: each with its label, each changing nothing ------------------
def test_review_decisions_that_are_refused_change_nothing() -> None:
    venue = Venue()
    venue.ok(fixture_list("v1"))
    held = Onboarded(venue, "Viktor Bout")
    clear = Onboarded(venue, "Alice Smith")
    assert venue.reject(ResolveScreeningReview(404, "clear", "r"), OFFICER) == USER_NOT_FOUND
    assert venue.reject(ResolveScreeningReview(held.party, "maybe", "r"), OFFICER) == (
        INVALID_PARAM_VALUE
    )
    assert venue.reject(ResolveScreeningReview(held.party, "clear", "r")) == INVALID_PARAM_VALUE
    no_reason = ResolveScreeningReview(held.party, "clear", "  ")
    assert venue.reject(no_reason, OFFICER) == INVALID_PARAM_VALUE
    assert venue.reject(ResolveScreeningReview(clear.party, "clear", "r"), OFFICER) == NO_CHANGE
    venue.ok(ResolveScreeningReview(held.party, "block", "confirmed"), OFFICER)
    again = ResolveScreeningReview(held.party, "block", "confirmed twice")
    assert venue.reject(again, OFFICER) == NO_CHANGE
    actorless = Facts(channel="admin", reason="x")
    assert venue.reject(ResolveScreeningReview(held.party, "clear", "r"), actorless) == (
        INVALID_PARAM_VALUE
    )


def test_loading_a_bare_address_list_leaves_every_name_decision_as_it_was() -> None:
    venue = Venue()
    venue.ok(fixture_list("v1"))
    kim = Onboarded(venue, "Kim Jong Un")
    events = venue.ok(address_list("v1", ("ETH", CLEAN_ETH)))
    assert not of_type(events, PartyScreened) and not of_type(events, PartiesRescreened)
    assert venue.state.sanctions.status_of(kim.party) == BLOCKED
    assert venue.state.sanctions.screenings[kim.party].hits[0].entry_id == "TEST:3"
