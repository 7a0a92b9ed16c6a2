"""Same journal in, same state out, bit for bit: a replay of the journal into a fresh engine and
a snapshot round trip both give the state hash of the engine that ran live, and a restored engine
carries on exactly like the original."""

from __future__ import annotations

from core_harness import BTC_USDT, STEP_NS, Venue, travel_rule_data

from clearhouse.core import canonical, invariants
from clearhouse.core.book import BUY, IOC, SELL
from clearhouse.core.commands import (
    AdvanceTime,
    AmendOrder,
    AnyCommand,
    ApproveWithdrawal,
    CancelOrder,
    CreateApiKey,
    Envelope,
    PlaceOrder,
    PlaceTriggerOrder,
    RequestWithdrawal,
    SetFeeTier,
    SetIndexPrice,
    SetStpGroup,
    decode_envelope,
    encode_envelope,
)
from clearhouse.core.engine import Engine
from clearhouse.core.triggers import RULE_GE, RULE_LE


def busy_venue() -> Venue:
    """A venue with something of everything in its state."""
    venue = Venue()
    alice = venue.trader("Alice", USDT=500_000, BTC=5)
    alice_sub = venue.account(venue.state.accounts[alice].owner, parent=alice)
    bob = venue.trader("Bob", USDT=500_000, BTC=5)
    venue.fund(alice_sub, USDT=1_000)
    venue.ok(SetFeeTier(bob, 2))
    venue.ok(SetStpGroup(bob, 11))
    venue.ok(CreateApiKey(alice, "A" * 32, b"sealed", ("spot",), ("10.0.0.0/8",)))
    venue.ok(SetIndexPrice(BTC_USDT, venue.price("60000")))
    venue.place(alice, SELL, "61000", "1", display_lots=venue.size("0.1"))
    venue.place(bob, SELL, "61000", "0.3")
    bid = venue.place(bob, BUY, "59000", "0.5")
    venue.ok(venue.limit(alice, BUY, "61000", "0.25", tif=IOC))
    venue.ok(AmendOrder(bob, BTC_USDT, bid, venue.price("59500"), 0))
    gone = venue.place(alice, BUY, "58000", "0.1")
    venue.ok(CancelOrder(alice, BTC_USDT, gone))
    data = travel_rule_data("addr")  # 0.1 BTC at the 60,000 index: above the Travel Rule threshold
    withdrawal = venue.ok(RequestWithdrawal(bob, "BTC", 10**7, "w-1", "addr", "", data))
    venue.ok(RequestWithdrawal(bob, "BTC", 10**7, "w-2", "addr", "", data))
    venue.ok(ApproveWithdrawal(withdrawal[0].withdrawal_id))  # type: ignore[attr-defined]
    order = venue.limit(alice, BUY, "50000", "0.01")
    expiry = venue.time_ns + 1_000 * STEP_NS
    venue.ok(PlaceTriggerOrder(alice, BTC_USDT, venue.price("62000"), RULE_GE, expiry, order))
    venue.ok(PlaceTriggerOrder(alice, BTC_USDT, venue.price("55000"), RULE_LE, 0, order))
    venue.ok(PlaceOrder(alice_sub, BTC_USDT, BUY, 0, 0, tif=IOC, quote_units=venue.quote("500")))
    return venue


def test_replaying_the_journal_rebuilds_the_same_state() -> None:
    venue = busy_venue()
    replayed = Engine()
    for envelope in venue.journal:
        replayed.apply(envelope)
    assert replayed.state_hash() == venue.engine.state_hash()


def test_replaying_the_encoded_journal_rebuilds_the_same_state() -> None:
    venue = busy_venue()
    replayed = Engine()
    for envelope in venue.journal:
        replayed.apply(decode_envelope(encode_envelope(envelope)))
    assert replayed.state_hash() == venue.engine.state_hash()


def test_a_snapshot_round_trips_to_the_same_hash() -> None:
    venue = busy_venue()
    restored = canonical.load(canonical.encode(venue.state))
    assert canonical.state_hash(restored) == venue.engine.state_hash()
    invariants.assert_all(restored)


def test_a_restored_engine_carries_on_exactly_like_the_original() -> None:
    venue = busy_venue()
    restored = Engine(canonical.load(canonical.encode(venue.state)))
    alice, bob = 10_000_001, 10_000_003
    later: list[AnyCommand] = [
        venue.limit(bob, BUY, "61000", "1"),  # eats the iceberg, fires the >= trigger
        venue.limit(alice, SELL, "55000", "0.2", tif=IOC),  # fires the <= trigger
        AdvanceTime(),
    ]
    for command in later:
        seq = venue.state.seq + 1
        envelope = Envelope(seq, venue.time_ns + seq * STEP_NS, command)
        assert venue.engine.apply(envelope) == restored.apply(envelope)
        assert venue.engine.state_hash() == restored.state_hash()
    invariants.assert_all(restored.state)


def test_the_hash_sees_every_change() -> None:
    venue = busy_venue()
    before = venue.engine.state_hash()
    venue.ok(SetFeeTier(10_000_001, 1))
    assert venue.engine.state_hash() != before


def test_a_sequence_gap_or_time_going_backwards_is_refused_before_anything_changes() -> None:
    venue = busy_venue()
    state = venue.state
    before = venue.engine.state_hash()
    for envelope in (
        Envelope(state.seq + 2, venue.time_ns + 1, AdvanceTime()),
        Envelope(state.seq, venue.time_ns + 1, AdvanceTime()),
        Envelope(state.seq + 1, venue.time_ns - 1, AdvanceTime()),
    ):
        try:
            venue.engine.apply(envelope)
        except ValueError:
            pass
        else:  # pragma: no cover - the assertion explains
            raise AssertionError(f"{envelope} was applied")
    assert venue.engine.state_hash() == before
