"""Same journal in, same decisions out: a replay of a journal with list loads, holds, reviews,
frozen deposits and Travel Rule data reproduces every event and the state hash, through the
encoded journal too, and a snapshot restores the lists so the restored engine decides the next
list change exactly like the original."""

from __future__ import annotations

from core_harness import STEP_NS
from screening_support import (
    CLEAN_ETH,
    FIXTURE_ENTRIES,
    LISTED_ETH,
    OFFICER,
    Onboarded,
    Venue,
    entry,
    fixture_list,
    onboard,
    payload,
)

from clearhouse.core import canonical, invariants
from clearhouse.core.book import BUY, SELL
from clearhouse.core.commands import (
    AnyCommand,
    CreditDeposit,
    Envelope,
    Facts,
    RequestWithdrawal,
    ResolveScreeningReview,
    decode_envelope,
    encode_envelope,
)
from clearhouse.core.engine import Engine
from clearhouse.core.events import Event, PartyScreened

USDT = 10**8


class RecordingVenue(Venue):
    """The stand-in venue, keeping the events the live engine produced for each envelope."""

    def __init__(self) -> None:
        self.produced: list[list[Event]] = []
        super().__init__()

    def apply(self, command: AnyCommand, facts: Facts | None = None, advance_ns: int = STEP_NS,
              ) -> list[Event]:  # fmt: skip
        events = super().apply(command, facts, advance_ns)
        self.produced.append(events)
        return events


def screened_venue() -> RecordingVenue:
    """A venue with something of everything the sanctions layer keeps."""
    venue = RecordingVenue()
    venue.ok(fixture_list("v1"))
    alice = onboard(venue, "Alice Smith", USDT=100_000, BTC=2)
    dora = onboard(venue, "Dora Explorer", USDT=100_000, BTC=2)
    venue.place(dora, BUY, "50000", "0.1")
    venue.place(alice, SELL, "70000", "0.1")
    held = Onboarded(venue, "Viktor Bout")
    Onboarded(venue, "Little Rocket")
    venue.ok(ResolveScreeningReview(held.party, "clear", "other person"), OFFICER)
    venue.ok(CreditDeposit(alice, "ETH", 10**8, "tx-listed", "ETH", LISTED_ETH))
    data = payload(CLEAN_ETH)
    venue.ok(RequestWithdrawal(alice, "USDT", 2_000 * USDT, "w-1", CLEAN_ETH, "ETH", data))
    venue.ok(fixture_list("v2", FIXTURE_ENTRIES + (entry("TEST:9", "Dora Explorer"),)))
    return venue


def test_replaying_the_journal_reproduces_every_decision_and_the_state_hash() -> None:
    venue = screened_venue()
    replayed = Engine()
    for envelope, produced in zip(venue.journal, venue.produced, strict=True):
        assert replayed.apply(envelope) == produced
    assert replayed.state_hash() == venue.engine.state_hash()
    decisions = [e for events in venue.produced for e in events if isinstance(e, PartyScreened)]
    assert {e.status for e in decisions} == {"clear", "review", "blocked"}


def test_replaying_the_encoded_journal_rebuilds_the_same_state() -> None:
    venue = screened_venue()
    replayed = Engine()
    for envelope in venue.journal:
        replayed.apply(decode_envelope(encode_envelope(envelope)))
    assert replayed.state_hash() == venue.engine.state_hash()


def test_a_snapshot_keeps_lists_hits_reviews_frozen_funds_and_travel_rule_data() -> None:
    venue = screened_venue()
    restored = canonical.load(canonical.encode(venue.state))
    assert canonical.state_hash(restored) == venue.engine.state_hash()
    invariants.assert_all(restored)
    original = venue.state.sanctions
    assert restored.sanctions.version == original.version
    assert restored.sanctions.held == original.held
    assert set(restored.sanctions.frozen) == set(original.frozen)
    assert [w.travel_rule for w in restored.withdrawals.values()] == [
        w.travel_rule for w in venue.state.withdrawals.values()
    ]


def test_a_restored_engine_decides_the_next_list_change_like_the_original() -> None:
    venue = screened_venue()
    restored = Engine(canonical.load(canonical.encode(venue.state)))
    seq = venue.state.seq + 1
    envelope = Envelope(seq, venue.time_ns + 1, fixture_list("v3", FIXTURE_ENTRIES))
    original_events = venue.engine.apply(envelope)
    assert restored.apply(envelope) == original_events
    assert any(isinstance(e, PartyScreened) for e in original_events)  # Dora's hit lifted
    assert restored.state_hash() == venue.engine.state_hash()
