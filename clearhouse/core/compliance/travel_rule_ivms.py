"""IVMS101 (interVASP Messaging Standard, 2020): the originator and beneficiary of a transfer.

Only the parts FATF Recommendation 16 asks a sending VASP for are modelled: the originator and
beneficiary persons and their account numbers. Field names follow IVMS101's JSON (camelCase on
the wire, e.g. ``originatorPersons``, ``nameIdentifierType``), so the same structs are the
withdrawal command's payload, the REST extension field and what the journal and the snapshot
keep. Fields this model does not know (``originatingVASP``, ``transferPath``, local-script
names, ...) are ignored on decoding rather than refused.

Everything is a plain string, tuple or nested struct; validation, with messages naming the
IVMS101 constraint that failed, is in `travel_rule_validation.py`.
"""

from __future__ import annotations

import msgspec


class _Ivms(msgspec.Struct, frozen=True, rename="camel", omit_defaults=True):
    pass


class NaturalPersonNameId(_Ivms, frozen=True):
    primary_identifier: str  # the family name, or the whole name if it cannot be split
    name_identifier_type: str  # LEGL, ALIA, BIRT, MAID or MISC
    secondary_identifier: str = ""  # given names


class NaturalPersonName(_Ivms, frozen=True):
    name_identifier: tuple[NaturalPersonNameId, ...]


class LegalPersonNameId(_Ivms, frozen=True):
    legal_person_name: str
    legal_person_name_identifier_type: str  # LEGL, SHRT or TRAD


class LegalPersonName(_Ivms, frozen=True):
    name_identifier: tuple[LegalPersonNameId, ...]


class Address(_Ivms, frozen=True):
    address_type: str  # HOME, BIZZ or GEOG
    town_name: str
    country: str  # ISO 3166-1 alpha-2, or XX
    street_name: str = ""
    building_number: str = ""
    building_name: str = ""
    postcode: str = ""
    country_sub_division: str = ""
    address_line: tuple[str, ...] = ()


class NationalIdentification(_Ivms, frozen=True):
    national_identifier: str
    national_identifier_type: str  # ARNU, CCPT, RAID, DRLC, FIIN, TXID, SOCS, IDCD, LEIX, MISC
    country_of_issue: str = ""
    registration_authority: str = ""  # GLEIF RA code, e.g. RA000665


class DateAndPlaceOfBirth(_Ivms, frozen=True):
    date_of_birth: str  # YYYY-MM-DD
    place_of_birth: str


class NaturalPerson(_Ivms, frozen=True):
    name: NaturalPersonName
    geographic_address: tuple[Address, ...] = ()
    national_identification: NationalIdentification | None = None
    customer_identification: str = ""
    date_and_place_of_birth: DateAndPlaceOfBirth | None = None
    country_of_residence: str = ""


class LegalPerson(_Ivms, frozen=True):
    name: LegalPersonName
    geographic_address: tuple[Address, ...] = ()
    customer_number: str = ""  # IVMS101 2020 calls it customerNumber for legal persons
    national_identification: NationalIdentification | None = None
    country_of_registration: str = ""


class Person(_Ivms, frozen=True):
    """Exactly one of the two is set."""

    natural_person: NaturalPerson | None = None
    legal_person: LegalPerson | None = None


class Originator(_Ivms, frozen=True):
    originator_persons: tuple[Person, ...]
    account_number: tuple[str, ...] = ()


class Beneficiary(_Ivms, frozen=True):
    beneficiary_persons: tuple[Person, ...]
    account_number: tuple[str, ...] = ()


class IdentityPayload(_Ivms, frozen=True):
    """IVMS101's top-level message, restricted to the originator and the beneficiary."""

    originator: Originator
    beneficiary: Beneficiary


def person_name(person: Person) -> str:
    """The legal name of a person as one line ("secondary primary"), for events and screens."""
    if person.natural_person is not None:
        ids = person.natural_person.name.name_identifier
        chosen = next((n for n in ids if n.name_identifier_type == "LEGL"), None)
        if chosen is None:
            return ""
        return f"{chosen.secondary_identifier} {chosen.primary_identifier}".strip()
    if person.legal_person is not None:
        legal = person.legal_person.name.name_identifier
        return next(
            (n.legal_person_name for n in legal if n.legal_person_name_identifier_type == "LEGL"),
            "",
        )
    return ""
