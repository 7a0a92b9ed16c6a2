"""Identity state is part of the system of record: KYC and country records, corrections, business
structures, lists, limits, network lists, step-up secrets, held deposits and the eligible set all
survive a journal replay and a snapshot round trip bit for bit, and a restored engine decides
exactly as the original (limits windows, re-onboarding marks and network lookups included)."""

from __future__ import annotations

from typing import Any

from core_harness import Venue, of_type, state_fingerprint
from identity_support import (
    OFFICER,
    SECOND_OFFICER,
    A,
    kyc,
    rest,
    sub_account,
    unverified,
    withdraw,
)

from clearhouse.config.network_risk_samples import sample_commands
from clearhouse.core import canonical
from clearhouse.core.book import BUY
from clearhouse.core.commands import (
    AnyCommand,
    ApproveCountryCorrection,
    CreditDeposit,
    DeclareBusinessStructure,
    EnrolStepUp,
    Envelope,
    Facts,
    ProposeCountryCorrection,
    RegisterParty,
    SetJurisdictionList,
    SetKycLimits,
    SetPartyStatus,
    decode_envelope,
    encode_envelope,
)
from clearhouse.core.engine import Engine
from clearhouse.core.events import CommandRejected, Event, PartyRegistered


def identity_venue() -> Venue:
    venue = Venue()
    venue.ok(SetKycLimits(1, (("USDT", 300 * A),)), OFFICER)
    for command in sample_commands():
        venue.ok(command, OFFICER)
    venue.ok(SetJurisdictionList("restricted", ("US",)), OFFICER)
    alice = venue.trader("Alice", USDT=10_000)
    alice_party = venue.state.accounts[alice].owner
    client = venue.party("Client", "IT")
    desk = sub_account(venue, alice, client)
    venue.ok(withdraw(alice, 200 * A, "w-1"))
    venue.place(alice, BUY, "50000", "0.01")
    zed = venue.account(unverified(venue, "Zed", facts=rest("10.0.0.9", "", device="dev-z")))
    venue.ok(CreditDeposit(zed, "USDT", 50 * A, "tx-zed"))  # held for KYC
    mallory = unverified(venue, "Mallory", "FR")
    venue.ok(kyc(mallory, country="FR", document="passport-m", devices=("dev-m",)))
    venue.ok(SetPartyStatus(mallory, "blocked"), OFFICER)
    firm = of_type(venue.ok(RegisterParty("business", "Firm", "DE")), PartyRegistered)[0].party
    venue.ok(DeclareBusinessStructure(firm, ((alice_party, 5_000),), (client,)), OFFICER)
    venue.ok(kyc(firm, document="registry-f"))
    venue.ok(ProposeCountryCorrection(client, "AT", "passport-AT"), OFFICER)
    venue.ok(ApproveCountryCorrection(1), SECOND_OFFICER)
    venue.ok(ProposeCountryCorrection(alice_party, "CH", "permit"), OFFICER)  # left pending
    venue.ok(EnrolStepUp(alice_party, b"sealed-totp"), OFFICER)
    venue.fund(desk, USDT=1)
    return venue


def _next_commands(venue: Venue) -> list[tuple[AnyCommand, Facts]]:
    alice = min(venue.state.accounts)
    return [
        (withdraw(alice, 100 * A, "w-2"), Facts()),  # exactly fills the 24 h allowance
        (withdraw(alice, 1, "w-3"), Facts()),  # over it
        (withdraw(alice, 1, "w-4"), rest("185.220.101.7", "DE")),  # Tor: denied
        (RegisterParty("person", "Mallory", "FR"), Facts()),  # held for review (name mark)
        (RegisterParty("person", "M. Other", "FR"), rest("10.0.0.9", "", device="dev-m")),
        (kyc(99, document="passport-m"), Facts()),  # no such party
    ]


def _run(engine: Engine, start_seq: int, start_ns: int, commands: list[Any]) -> list[list[Event]]:
    out = []
    for i, (command, facts) in enumerate(commands, start=1):
        out.append(engine.apply(Envelope(start_seq + i, start_ns + i, command, facts)))
    return out


def test_replaying_the_journal_rebuilds_the_identity_state() -> None:
    venue = identity_venue()
    replayed = Engine()
    for envelope in venue.journal:
        replayed.apply(decode_envelope(encode_envelope(envelope)))
    assert replayed.state_hash() == venue.engine.state_hash()


def test_a_snapshot_round_trips_every_piece_of_identity_state() -> None:
    venue = identity_venue()
    payload = canonical.encode(venue.state)
    restored = canonical.load(payload)
    assert canonical.encode(restored) == payload
    dumped = canonical.dump(venue.state)["identity"]
    assert dumped["kyc_records"] and dumped["country_records"] and dumped["corrections"]
    assert dumped["structures"] and dumped["network_lists"] and dumped["step_up_secrets"]
    assert dumped["withdrawal_limits"] and dumped["eligible_accounts"]
    assert dumped["restricted"] == ["US"] and dumped["registration_devices"]


def test_a_restored_engine_decides_exactly_like_the_original() -> None:
    venue = identity_venue()
    restored = Engine(canonical.load(canonical.encode(venue.state)))
    seq, now = venue.state.seq, venue.state.time_ns
    live = _run(venue.engine, seq, now, _next_commands(venue))
    again = _run(restored, seq, now, _next_commands(venue))
    assert live == again
    labels = [e[0].label if isinstance(e[0], CommandRejected) else "" for e in live]
    assert labels == ["", "WITHDRAWAL_OVER_LIMIT", "FORBIDDEN", "", "", "USER_NOT_FOUND"]
    assert state_fingerprint(restored.state) == state_fingerprint(venue.engine.state)
    statuses = [venue.state.parties[p].status for p in sorted(venue.state.parties)[-2:]]
    assert statuses == ["review", "review"]


def test_the_state_hash_sees_identity_changes() -> None:
    venue = identity_venue()
    before = venue.engine.state_hash()
    venue.ok(SetJurisdictionList("restricted", ("US", "CA")), OFFICER)
    assert venue.engine.state_hash() != before
