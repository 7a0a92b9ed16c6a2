"""Loading sanctions lists into the engine: a journaled command carrying the entries, versioned
by the content hash of the files it came from; a malformed list is refused whole with the entry
named, and changes nothing. Fixture files in the official formats need no shared data; the
shared OFAC and UN files are used when present."""

from __future__ import annotations

import hashlib
from pathlib import Path

import msgspec
import pytest
from screening_support import (
    LISTED_ETH,
    Onboarded,
    Venue,
    entry,
    fixture_list,
    of_type,
    onboard,
)

from clearhouse.core.commands import (
    CreditDeposit,
    Envelope,
    LoadSanctionsList,
    RequestWithdrawal,
    encode_envelope,
)
from clearhouse.core.compliance import sanctions_lists
from clearhouse.core.compliance.sanctions_list import combined_version
from clearhouse.core.compliance.sanctions_payload import ListAlias, ListEntry, ListWallet
from clearhouse.core.compliance.sanctions_state import BLOCKED, REVIEW
from clearhouse.core.errors import INVALID_PARAM_VALUE, NO_CHANGE, SANCTIONS_BLOCKED
from clearhouse.core.events import FundsFrozen, PartyScreened, SanctionsListLoaded
from clearhouse.journal.record import MAX_PAYLOAD_BYTES
from clearhouse.sanctions.commands import load_command
from clearhouse.sanctions.paths import sanctions_data_dir

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_the_venue_ships_no_list_and_runs_without_one() -> None:
    venue = Venue()
    assert venue.state.sanctions.lists == {}
    assert venue.state.sanctions.version == combined_version(())
    alice = onboard(venue, "Alice Smith", USDT=10)
    venue.ok(RequestWithdrawal(alice, "USDT", 10**8, "w-1", LISTED_ETH))


def test_a_list_from_ofac_legacy_csv_files_is_versioned_by_their_content_hash() -> None:
    command = load_command("ofac_csv", FIXTURES / "ofac_csv")
    assert command.source == "OFAC-SDN"
    assert (
        command.version
        == hashlib.sha256(  # the loader's framing of the two files
            b"".join(
                len(name).to_bytes(8, "big") + name + len(data).to_bytes(8, "big") + data
                for name, data in (
                    (b"sdn.csv", (FIXTURES / "ofac_csv" / "sdn.csv").read_bytes()),
                    (b"alt.csv", (FIXTURES / "ofac_csv" / "alt.csv").read_bytes()),
                )
            )
        ).hexdigest()
    )
    venue = Venue()
    events = venue.ok(command)
    [loaded] = of_type(events, SanctionsListLoaded)
    assert (loaded.entries, loaded.addresses) == (2, 2)
    assert loaded.list_version == combined_version([("OFAC-SDN", command.version)])
    user = Onboarded(venue, "Sol Mercer")  # the strong alias from alt.csv
    assert of_type(user.events, PartyScreened)[0].status == BLOCKED
    weak = Onboarded(venue, "Solly")  # the weak alias from Remarks: review, never block
    assert of_type(weak.events, PartyScreened)[0].status in (REVIEW, "clear")
    alice = onboard(venue, "Alice Smith")
    deposit = CreditDeposit(alice, "BTC", 10**6, "tx", "XBT", "1AjZPMsnmpdK2Rv9KQNfMurTXinscVro9V")
    assert of_type(venue.ok(deposit), FundsFrozen)[0].entry_id == "OFAC-SDN:102"


def test_lists_of_several_sources_screen_together_under_one_version() -> None:
    venue = Venue()
    venue.ok(fixture_list())
    csv = load_command("ofac_csv", FIXTURES / "ofac_csv")
    venue.ok(csv)
    addresses = load_command("ofac_crypto_addresses", FIXTURES / "crypto_2024")
    venue.ok(addresses)
    expected = combined_version(
        sorted([("TEST", "v1"), ("OFAC-SDN", csv.version), ("OFAC-DCA", addresses.version)])
    )
    assert venue.state.sanctions.version == expected
    assert of_type(Onboarded(venue, "Kim Jong Un").events, PartyScreened)[0].status == BLOCKED
    assert of_type(Onboarded(venue, "Sol Mercer").events, PartyScreened)[0].status == BLOCKED


def test_a_list_command_carries_its_entries_and_fits_one_journal_record() -> None:
    command = load_command("ofac_csv", FIXTURES / "ofac_csv")
    decoded = msgspec.msgpack.decode(msgspec.msgpack.encode(command), type=LoadSanctionsList)
    assert decoded == command
    assert len(encode_envelope(Envelope(1, 1, command))) < MAX_PAYLOAD_BYTES


# --- refusals: the whole list or nothing, the entry named --------------------------------------
def _with(*entries: ListEntry, **extra: object) -> LoadSanctionsList:
    return LoadSanctionsList("BAD", "v1", entries, **extra)  # type: ignore[arg-type]


GOOD = entry("BAD:1", "Good Name")
REFUSALS = [
    ("a source with a space", LoadSanctionsList("OFAC SDN", "v1"), INVALID_PARAM_VALUE),
    ("an empty version", LoadSanctionsList("BAD", ""), INVALID_PARAM_VALUE),
    ("a published date too long", LoadSanctionsList("BAD", "v", published="x" * 40),
     INVALID_PARAM_VALUE),
    ("the version already loaded", fixture_list("v1"), NO_CHANGE),
    ("an entry id with a space", _with(entry("BAD 1", "Name")), INVALID_PARAM_VALUE),
    ("a made-up entity type", _with(entry("BAD:1", "Name", kind="robot")), INVALID_PARAM_VALUE),
    ("an alias of made-up strength", _with(entry("BAD:1", "Name", aliases=(("A", "mild"),))),
     INVALID_PARAM_VALUE),
    ("an empty name", _with(entry("BAD:1", "  ")), INVALID_PARAM_VALUE),
    ("a name too long", _with(entry("BAD:1", "x" * 1001)), INVALID_PARAM_VALUE),
    ("a wallet without a chain", _with(entry("BAD:1", "Name", wallets=(("", LISTED_ETH),))),
     INVALID_PARAM_VALUE),
    ("a wallet that is not an address", _with(entry("BAD:1", "N", wallets=(("ETH", " "),))),
     INVALID_PARAM_VALUE),
    ("a bare address that is not one", _with(addresses=(ListWallet("ETH", "x" * 300),)),
     INVALID_PARAM_VALUE),
    ("an entry id twice", _with(GOOD, GOOD), INVALID_PARAM_VALUE),
    ("an entry id of another loaded list", _with(entry("TEST:1", "Name")), INVALID_PARAM_VALUE),
]  # fmt: skip


@pytest.mark.parametrize(("name", "command", "label"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_malformed_list_is_refused_whole_and_changes_nothing(
    name: str, command: LoadSanctionsList, label: str
) -> None:
    venue = Venue()
    venue.ok(fixture_list("v1"))
    onboard(venue, "Alice Smith")
    version = venue.state.sanctions.version
    assert venue.reject(command) == label
    assert venue.state.sanctions.version == version


@pytest.mark.parametrize(
    ("limit", "value", "command"),
    [
        ("MAX_LISTS", 1, LoadSanctionsList("OTHER", "v1")),
        ("MAX_LIST_ENTRIES", 2, fixture_list("v2")),
        ("MAX_LIST_ADDRESSES", 1, fixture_list("v2")),
        ("MAX_ALIASES_PER_ENTRY", 0, fixture_list("v2")),
        ("MAX_PROGRAMS_PER_ENTRY", 0, fixture_list("v2")),
    ],
)
def test_every_list_bound_is_enforced(
    limit: str, value: int, command: LoadSanctionsList, monkeypatch: pytest.MonkeyPatch
) -> None:
    venue = Venue()
    venue.ok(fixture_list("v1"))
    monkeypatch.setattr(sanctions_lists, limit, value)
    assert venue.reject(command) == INVALID_PARAM_VALUE


def test_an_entry_list_with_an_alias_and_wallet_round_trips_into_the_screeners() -> None:
    venue = Venue()
    weird = ListEntry("X:1", "entity", "Ω Holdings", (ListAlias("Omega Holdings", "strong"),))
    venue.ok(LoadSanctionsList("X", "v1", (weird,)))
    assert of_type(Onboarded(venue, "Omega Holdings").events, PartyScreened)[0].status == BLOCKED


# --- the shared official files, when present ----------------------------------------------------
def shared() -> Path:
    path = sanctions_data_dir()
    if path is None:
        pytest.skip("shared sanctions data not present (../shared/data or CLEARHOUSE_SHARED_DATA)")
    return path


def test_the_official_tiny_ofac_csv_and_the_un_list_load_and_screen() -> None:
    data = shared()
    venue = Venue()
    venue.ok(load_command("ofac_csv", data / "ofac_sdn_csv_tiny_2025", drop_orphans=True))
    venue.ok(load_command("un_xml", data / "un_consolidated_2026-02" / "UN_consolidated.xml"))
    assert sorted(venue.state.sanctions.lists) == ["OFAC-SDN", "UN"]
    user = Onboarded(venue, "Elvis Angus Logan Morey")
    [screened] = of_type(user.events, PartyScreened)
    assert screened.status == BLOCKED and screened.entry_id.startswith("OFAC-SDN:")
    withdrawal = RequestWithdrawal(user.account, "USDT", 1, "w", LISTED_ETH)
    assert venue.reject(withdrawal) == SANCTIONS_BLOCKED
