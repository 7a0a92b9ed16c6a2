"""Shared pieces of the sanctions and Travel Rule tests: a venue with verified users, small
list fixtures that need no shared data, and IVMS101 payloads.

Everything goes through `Engine.apply` via the core tests' stand-in sequencer (core_harness);
the helpers only build commands and read state.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Final

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))

from core_harness import BTC_USDT, Venue, of_type, state_fingerprint  # noqa: E402

from clearhouse.core.commands import (  # noqa: E402
    CreditDeposit,
    Facts,
    LoadSanctionsList,
    OnboardUser,
)
from clearhouse.core.compliance.sanctions_payload import (  # noqa: E402
    ListAlias,
    ListEntry,
    ListWallet,
)
from clearhouse.core.compliance.travel_rule_ivms import (  # noqa: E402
    Address,
    Beneficiary,
    DateAndPlaceOfBirth,
    IdentityPayload,
    LegalPerson,
    LegalPersonName,
    LegalPersonNameId,
    NationalIdentification,
    NaturalPerson,
    NaturalPersonName,
    NaturalPersonNameId,
    Originator,
    Person,
)
from clearhouse.core.events import AccountOpened, PartyRegistered  # noqa: E402

__all__ = ["BTC_USDT", "Venue", "of_type", "state_fingerprint"]

OFFICER: Final = Facts(channel="admin", actor="compliance-officer", reason="screening review")

# Tornado Cash's router contract: listed by OFAC in 2022, delisted on 2025-03-21.
TORNADO: Final = "0xd90e2f925DA726b50C4Ed8D0Fb90Ad053324F31b"
# Listed in both shared OFAC address snapshots, for contrast with Tornado Cash.
STILL_LISTED_ETH: Final = "0x04DBA1194ee10112fE6C3207C0687DEf0e78baCf"
# The fixture list's address (any well-formed EVM address will do; mixed case on purpose).
LISTED_ETH: Final = "0x8589427373D6D84E98730D7795D8f6f8731FDA16"
CLEAN_ETH: Final = "0x1111111111111111111111111111111111111111"
CLEAN_BTC: Final = "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"

# Names of the tiny fixture list: one individual with a weak alias, one entity.
LISTED_PERSON: Final = "Viktor Bout"
LISTED_ENTITY: Final = "Garantex Europe"


def entry(
    entry_id: str,
    name: str,
    *,
    kind: str = "individual",
    aliases: tuple[tuple[str, str], ...] = (),
    wallets: tuple[tuple[str, str], ...] = (),
) -> ListEntry:
    return ListEntry(
        entry_id,
        kind,
        name,
        tuple(ListAlias(alias, strength) for alias, strength in aliases),
        tuple(ListWallet(chain, address) for chain, address in wallets),
        ("SDGT",),
    )


FIXTURE_ENTRIES: Final = (
    entry("TEST:1", "BOUT, Viktor Anatolyevich", aliases=(("Viktor BUT", "strong"),)),
    entry(
        "TEST:2",
        "GARANTEX EUROPE OU",
        kind="entity",
        wallets=(("ETH", LISTED_ETH), ("TRX", "TXeeUv8b4Ht5uTstgvn6hYAhPvZg8cL5TB")),
    ),
    entry("TEST:3", "Kim Jong Un", aliases=(("Little Rocket", "weak"),)),
)


def fixture_list(
    version: str = "v1", entries: tuple[ListEntry, ...] = FIXTURE_ENTRIES, **extra: Any
) -> LoadSanctionsList:
    return LoadSanctionsList("TEST", version, entries, **extra)


def address_list(version: str, *addresses: tuple[str, str]) -> LoadSanctionsList:
    """A bare address list (like OFAC's per-ticker extracts): no entities, only addresses."""
    return LoadSanctionsList(
        "TEST-DCA", version, addresses=tuple(ListWallet(c, a) for c, a in addresses)
    )


class Onboarded:
    """A user onboarded in one step (party, account, key), KYC-verified, as the admin API does."""

    def __init__(
        self, venue: Venue, name: str, *, parent: int = 0, bo_name: str = "", kind: str = "person"
    ) -> None:
        key = "K" + str(venue.state.next_party_id).zfill(31)
        events = venue.ok(
            OnboardUser(
                name,
                "user@example.com",
                "DE",
                2,
                key,
                b"sealed",
                ("spot", "wallet"),
                parent=parent,
                beneficial_owner_name=bo_name,
                kind=kind,
            )  # fmt: skip
        )
        self.events = events
        self.account = of_type(events, AccountOpened)[0].account
        self.parties = [e.party for e in of_type(events, PartyRegistered)]
        self.party = self.parties[-1]  # the beneficial owner, for a sub-account


def onboard(venue: Venue, name: str, **deposits: int) -> int:
    user = Onboarded(venue, name)
    for code, whole in deposits.items():
        units = whole * 10 ** venue.state.assets[code].scale
        venue.ok(CreditDeposit(user.account, code, units, f"fund-{user.account}-{code}"))
    return user.account


# --- IVMS101 ------------------------------------------------------------------------------------
def natural(
    primary: str = "Smith",
    secondary: str = "Alice",
    *,
    name_type: str = "LEGL",
    addresses: tuple[Address, ...] = (),
    customer_id: str = "",
    national: NationalIdentification | None = None,
    birth: DateAndPlaceOfBirth | None = None,
    residence: str = "",
) -> Person:
    return Person(
        natural_person=NaturalPerson(
            name=NaturalPersonName((NaturalPersonNameId(primary, name_type, secondary),)),
            geographic_address=addresses,
            national_identification=national,
            customer_identification=customer_id,
            date_and_place_of_birth=birth,
            country_of_residence=residence,
        )
    )


def legal(
    name: str = "Acme Trading GmbH",
    *,
    name_type: str = "LEGL",
    addresses: tuple[Address, ...] = (),
    customer_number: str = "",
    national: NationalIdentification | None = None,
    registration: str = "",
) -> Person:
    return Person(
        legal_person=LegalPerson(
            name=LegalPersonName((LegalPersonNameId(name, name_type),)),
            geographic_address=addresses,
            customer_number=customer_number,
            national_identification=national,
            country_of_registration=registration,
        )
    )


HOME: Final = Address("HOME", "Berlin", "DE", street_name="Unter den Linden", building_number="1")


def payload(
    destination: str,
    *,
    originator: Person | None = None,
    beneficiary: Person | None = None,
    originator_accounts: tuple[str, ...] = ("10000001",),
    beneficiary_accounts: tuple[str, ...] | None = None,
) -> IdentityPayload:
    return IdentityPayload(
        originator=Originator(
            (originator or natural(customer_id="10000001"),), originator_accounts
        ),
        beneficiary=Beneficiary(
            (beneficiary or natural("Jones", "Bob"),),
            (destination,) if beneficiary_accounts is None else beneficiary_accounts,
        ),
    )
