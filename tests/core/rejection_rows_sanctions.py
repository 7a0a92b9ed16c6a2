"""Rows of the rejection table (test_rejections_change_nothing.py) for sanctions screening and
the Travel Rule: one per way such a command can be refused.

Each row is (name, command, label, facts, setup) on the table's `World`: Alice (a verified
person named "Alice") with a master account holding USDT, BTC and ETH, resting orders and a
pending withdrawal to "addr"; Carol (a party with no hit); Bob (a funded trader). BTC has a last
trade price (55,000), ETH none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import pytest

from clearhouse.core.book import BUY
from clearhouse.core.commands import (
    AnyCommand,
    ApproveWithdrawal,
    ConfigureTravelRule,
    CreditDeposit,
    Facts,
    LoadSanctionsList,
    PlaceOrder,
    ReleaseFrozenDeposit,
    RequestWithdrawal,
    ResolveScreeningReview,
)
from clearhouse.core.compliance import sanctions_lists
from clearhouse.core.compliance.sanctions_payload import ListAlias, ListEntry, ListWallet
from clearhouse.core.compliance.travel_rule_ivms import (
    Beneficiary,
    IdentityPayload,
    NaturalPerson,
    NaturalPersonName,
    NaturalPersonNameId,
    Originator,
    Person,
)
from clearhouse.core.errors import (
    ADDRESS_SANCTIONED,
    INVALID_PARAM_VALUE,
    NO_CHANGE,
    SANCTIONS_BLOCKED,
    SANCTIONS_REVIEW,
    TRAVEL_RULE_INVALID,
    TRAVEL_RULE_REQUIRED,
    USER_NOT_FOUND,
)

World = Any
Build = Callable[[World], AnyCommand]
Setup = Callable[[World, pytest.MonkeyPatch], None]
Row = tuple[str, Build, str, Facts | None, Setup | None]

OFFICER: Final = Facts(channel="admin", actor="compliance-officer", reason="review")
LISTED: Final = "0x8589427373D6D84E98730D7795D8f6f8731FDA16"
USDT: Final = 10**8


def _entry(entry_id: str, name: str, **changes: Any) -> ListEntry:
    fields: dict[str, Any] = {"entity_type": "individual", "aliases": (), "wallets": ()}
    fields.update(changes)
    return ListEntry(entry_id, primary_name=name, **fields)


BLOCKS_ALICE: Final = _entry("TEST:1", "Alice")
REVIEWS_ALICE: Final = _entry("TEST:2", "Zzyzx Qwerty", aliases=(ListAlias("Alice", "weak"),))
LISTS_ADDRESSES: Final = _entry(
    "TEST:3", "Mallory Exchange", wallets=(ListWallet("ETH", LISTED), ListWallet("XBT", "addr"))
)


def _load(*entries: ListEntry, version: str = "v1") -> LoadSanctionsList:
    return LoadSanctionsList("TEST", version, entries)


def _listing(*entries: ListEntry) -> Setup:
    def setup(world: World, _: pytest.MonkeyPatch) -> None:
        world.venue.ok(_load(*entries))

    return setup


def _confirmed(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    _listing(REVIEWS_ALICE)(world, monkeypatch)
    world.venue.ok(ResolveScreeningReview(_alice_party(world), "block", "same person"), OFFICER)


def _patch(name: str, value: int) -> Setup:
    def setup(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(sanctions_lists, name, value)

    return setup


def _alice_party(world: World) -> int:
    owner: int = world.venue.state.accounts[world.alice].owner
    return owner


def _order(world: World) -> PlaceOrder:
    limit: PlaceOrder = world.limit(world.alice, BUY, "50000", "0.01")
    return limit


def _payload(destination: str, name_type: str = "LEGL") -> IdentityPayload:
    def person(primary: str, secondary: str) -> Person:
        name = NaturalPersonName((NaturalPersonNameId(primary, name_type, secondary),))
        return Person(NaturalPerson(name, customer_identification="10000001"))

    return IdentityPayload(
        Originator((person("Alice", "A"),), ("10000001",)),
        Beneficiary((person("Jones", "Bob"),), (destination,)),
    )


ROWS: Final[list[Row]] = [
    # --- loading a list -----------------------------------------------------------------------
    ("list source with a space", lambda w: LoadSanctionsList("OFAC SDN", "v1"),
     INVALID_PARAM_VALUE, None, None),
    ("list without a version", lambda w: LoadSanctionsList("TEST", ""), INVALID_PARAM_VALUE,
     None, None),
    ("list published date too long", lambda w: LoadSanctionsList("TEST", "v", published="x" * 40),
     INVALID_PARAM_VALUE, None, None),
    ("list version already loaded", lambda w: _load(BLOCKS_ALICE), NO_CHANGE, None,
     _listing(BLOCKS_ALICE)),
    ("too many lists loaded", lambda w: _load(), INVALID_PARAM_VALUE, None,
     _patch("MAX_LISTS", 0)),
    ("list with too many entries", lambda w: _load(BLOCKS_ALICE), INVALID_PARAM_VALUE, None,
     _patch("MAX_LIST_ENTRIES", 0)),
    ("list with too many addresses", lambda w: _load(LISTS_ADDRESSES), INVALID_PARAM_VALUE, None,
     _patch("MAX_LIST_ADDRESSES", 1)),
    ("list entry id with a space", lambda w: _load(_entry("TEST 1", "X")), INVALID_PARAM_VALUE,
     None, None),
    ("list entry of a made-up type", lambda w: _load(_entry("T:1", "X", entity_type="robot")),
     INVALID_PARAM_VALUE, None, None),
    ("list entry with too many aliases",
     lambda w: _load(_entry("T:1", "X", aliases=(ListAlias("Y", "strong"),))),
     INVALID_PARAM_VALUE, None, _patch("MAX_ALIASES_PER_ENTRY", 0)),
    ("list entry with too many programs",
     lambda w: _load(_entry("T:1", "X", programs=("SDGT",))),
     INVALID_PARAM_VALUE, None, _patch("MAX_PROGRAMS_PER_ENTRY", 0)),
    ("list alias of a made-up strength",
     lambda w: _load(_entry("T:1", "X", aliases=(ListAlias("Y", "mild"),))),
     INVALID_PARAM_VALUE, None, None),
    ("list entry without a name", lambda w: _load(_entry("T:1", " ")), INVALID_PARAM_VALUE,
     None, None),
    ("list wallet without a chain",
     lambda w: _load(_entry("T:1", "X", wallets=(ListWallet("", LISTED),))),
     INVALID_PARAM_VALUE, None, None),
    ("list wallet that is not an address",
     lambda w: _load(_entry("T:1", "X", wallets=(ListWallet("ETH", "x" * 300),))),
     INVALID_PARAM_VALUE, None, None),
    ("list entry id twice", lambda w: _load(BLOCKS_ALICE, BLOCKS_ALICE), INVALID_PARAM_VALUE,
     None, None),
    # --- the gate: held parties and listed addresses -------------------------------------------
    ("order by a party blocked by screening", _order, SANCTIONS_BLOCKED, None,
     _listing(BLOCKS_ALICE)),
    ("order by a party held for screening review", _order, SANCTIONS_REVIEW, None,
     _listing(REVIEWS_ALICE)),
    ("withdrawal to a listed address",
     lambda w: RequestWithdrawal(w.alice, "USDT", USDT, "w-9", LISTED.lower(), "ETH"),
     ADDRESS_SANCTIONED, None, _listing(LISTS_ADDRESSES)),
    ("approving a withdrawal to an address listed since",
     lambda w: ApproveWithdrawal(w.pending_withdrawal, "tx"), ADDRESS_SANCTIONED, None,
     _listing(LISTS_ADDRESSES)),
    ("deposit from something that is not an address",
     lambda w: CreditDeposit(w.alice, "BTC", 1, "t-9", "XBT", "x" * 300), INVALID_PARAM_VALUE,
     None, None),
    # --- reviews and releases ------------------------------------------------------------------
    ("review of an unknown party", lambda w: ResolveScreeningReview(404, "clear", "r"),
     USER_NOT_FOUND, OFFICER, None),
    ("review with a made-up outcome",
     lambda w: ResolveScreeningReview(_alice_party(w), "maybe", "r"), INVALID_PARAM_VALUE,
     OFFICER, _listing(REVIEWS_ALICE)),
    ("review by nobody", lambda w: ResolveScreeningReview(_alice_party(w), "clear", "r"),
     INVALID_PARAM_VALUE, None, _listing(REVIEWS_ALICE)),
    ("review without a reason", lambda w: ResolveScreeningReview(_alice_party(w), "clear", ""),
     INVALID_PARAM_VALUE, OFFICER, _listing(REVIEWS_ALICE)),
    ("review of a party without a hit",
     lambda w: ResolveScreeningReview(w.carol_party, "clear", "r"), NO_CHANGE, OFFICER, None),
    ("confirming a confirmed hit again",
     lambda w: ResolveScreeningReview(_alice_party(w), "block", "again"), NO_CHANGE, OFFICER,
     _confirmed),
    ("releasing a deposit that is not frozen", lambda w: ReleaseFrozenDeposit(404, "licence"),
     INVALID_PARAM_VALUE, OFFICER, None),
    # --- the Travel Rule -----------------------------------------------------------------------
    ("withdrawal at the threshold without IVMS101 data",
     lambda w: RequestWithdrawal(w.alice, "USDT", 1_000 * USDT, "w-9", "addr"),
     TRAVEL_RULE_REQUIRED, None, None),
    ("withdrawal of an unpriced asset without IVMS101 data",
     lambda w: RequestWithdrawal(w.alice, "ETH", 1, "w-9", "addr"), TRAVEL_RULE_REQUIRED, None,
     None),
    ("withdrawal with invalid IVMS101 data",
     lambda w: RequestWithdrawal(w.alice, "USDT", 1_000 * USDT, "w-9", "addr", "",
                                 _payload("addr", name_type="ALIA")),
     TRAVEL_RULE_INVALID, None, None),
    ("travel rule threshold below zero", lambda w: ConfigureTravelRule(-1), INVALID_PARAM_VALUE,
     None, None),
    ("travel rule threshold unchanged", lambda w: ConfigureTravelRule(100_000), NO_CHANGE, None,
     None),
]  # fmt: skip
