"""Validation of an IVMS101 identity payload, with messages that name the rule that failed.

IVMS101's constraints, and what this module does with each:

- C1 OriginatorInformationNaturalPerson: a natural-person originator has a geographic address,
  a customer identification, a national identification or a date and place of birth. Checked.
- C2 DateInPast: a date of birth is before the current date (the engine's clock, UTC). Checked,
  together with the date being a real calendar date in YYYY-MM-DD form.
- C4 OriginatorInformationLegalPerson: a legal-person originator has a geographic address of
  type GEOG, a customer number or a national identification. Checked.
- C5 LegalNamePresentLegalPerson / C6 LegalNamePresent (natural person): at least one name
  identifier of type LEGL. Checked.
- C7 ValidNationalIdentifierLegalPerson: a legal person's national identifier is of type RAID,
  MISC, LEIX or TXID. Checked.
- C8 ValidAddress: an address has an address line, or a street name with a building name or
  number. Checked.
- C9 CompleteNationalIdentifierLegalPerson: a legal person's national identification has no
  country of issue, and has a registration authority unless its type is LEIX. Checked.
- C10 RegistrationAuthority: the authority is on GLEIF's Registration Authorities List. Only its
  form (``RA`` and six digits) is checked: the list itself is not in the engine.
- C11 ValidLEI: an LEIX identifier is an ISO 17442 LEI. Checked, check digits included
  (ISO 7064 MOD 97-10).
- C12 sequentialIntegrity: about the order of intermediary VASPs in a transfer path. Does not
  apply: a withdrawal leaves this venue directly and the payload carries no transfer path.
- C3: not implemented; its text was not available when this was written. The rule IVMS101
  states on every country field (an ISO 3166-1 alpha-2 code, or XX) is checked on all of them.

Also checked: the IVMS101 code lists (natural-person name types LEGL/ALIA/BIRT/MAID/MISC,
legal-person name types LEGL/SHRT/TRAD, address types HOME/BIZZ/GEOG, national identifier
types), the IVMS101 text lengths, that a person is exactly one of natural or legal, and what
FATF Recommendation 16 adds to IVMS101's shape: the originator's account number, and the
beneficiary's account number, which must be the address the withdrawal goes to.
"""

from __future__ import annotations

import re
from typing import Final, NoReturn

from clearhouse.core.compliance.addresses import normalize_address
from clearhouse.core.compliance.travel_rule_countries import is_country
from clearhouse.core.compliance.travel_rule_ivms import (
    Address,
    IdentityPayload,
    LegalPerson,
    NationalIdentification,
    NaturalPerson,
    Person,
)
from clearhouse.core.errors import TRAVEL_RULE_INVALID, Rejected

NATURAL_NAME_TYPES: Final = ("LEGL", "ALIA", "BIRT", "MAID", "MISC")
LEGAL_NAME_TYPES: Final = ("LEGL", "SHRT", "TRAD")
ADDRESS_TYPES: Final = ("HOME", "BIZZ", "GEOG")
NATIONAL_ID_TYPES: Final = (
    "ARNU", "CCPT", "RAID", "DRLC", "FIIN", "TXID", "SOCS", "IDCD", "LEIX", "MISC",
)  # fmt: skip
LEGAL_PERSON_ID_TYPES: Final = ("RAID", "MISC", "LEIX", "TXID")  # C7

# Bounds: IVMS101's multiplicities where it has them, ours where it says "n".
MAX_PERSONS: Final = 10
MAX_NAME_IDENTIFIERS: Final = 5
MAX_ADDRESSES: Final = 5
MAX_ADDRESS_LINES: Final = 7
MAX_ACCOUNT_NUMBERS: Final = 20
# IVMS101 text types: Max100Text, Max70Text, Max50Text, Max35Text, Max16Text.
NAME_CHARS: Final = 100
LINE_CHARS: Final = 70
CUSTOMER_ID_CHARS: Final = 50
SHORT_CHARS: Final = 35
CODE_CHARS: Final = 16
ACCOUNT_CHARS: Final = 100

NS_PER_DAY: Final = 86_400 * 10**9

_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_RA = re.compile(r"^RA[0-9]{6}$")
_LEI = re.compile(r"^[0-9A-Z]{18}[0-9]{2}$")


def _fail(where: str, message: str) -> NoReturn:
    raise Rejected(TRAVEL_RULE_INVALID, f"{where}: {message}")


def _text(where: str, field: str, value: str, limit: int, *, required: bool = False) -> None:
    if required and not value.strip():
        _fail(where, f"{field} is required")
    if len(value) > limit:
        _fail(where, f"{field} is longer than {limit} characters (IVMS101 Max{limit}Text)")


def _country(where: str, field: str, value: str, *, required: bool = False) -> None:
    if not value and not required:
        return
    if not is_country(value):
        _fail(where, f"{field} {value!r} is not an ISO 3166-1 alpha-2 country code (or XX)")


def _code(where: str, field: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        _fail(where, f"{field} {value[:16]!r} is not one of {', '.join(allowed)}")


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def parse_date_days(text: str) -> int | None:
    """Days since the epoch of a YYYY-MM-DD date, or None if it is not a real date."""
    match = _DATE.match(text)
    if match is None:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not 1 <= month <= 12 or not 1 <= day <= _days_in_month(year, month):
        return None
    return days_from_civil(year, month, day)


def is_valid_lei(lei: str) -> bool:
    """ISO 17442: 18 alphanumerics and 2 check digits; the whole, read in base 36 digit by
    digit (A=10 ... Z=35), is 1 modulo 97 (ISO 7064 MOD 97-10)."""
    if not _LEI.match(lei):
        return False
    return int("".join(str(int(c, 36)) for c in lei)) % 97 == 1


def _address(where: str, address: Address) -> None:
    _code(where, "addressType", address.address_type, ADDRESS_TYPES)
    _text(where, "townName", address.town_name, SHORT_CHARS, required=True)
    _country(where, "country", address.country, required=True)
    _text(where, "streetName", address.street_name, LINE_CHARS)
    _text(where, "buildingNumber", address.building_number, CODE_CHARS)
    _text(where, "buildingName", address.building_name, SHORT_CHARS)
    _text(where, "postcode", address.postcode, CODE_CHARS)
    _text(where, "countrySubDivision", address.country_sub_division, SHORT_CHARS)
    if len(address.address_line) > MAX_ADDRESS_LINES:
        _fail(where, f"at most {MAX_ADDRESS_LINES} addressLine entries")
    for line in address.address_line:
        _text(where, "addressLine", line, LINE_CHARS)
    has_line = any(line.strip() for line in address.address_line)
    has_street = bool(address.street_name.strip()) and bool(
        address.building_name.strip() or address.building_number.strip()
    )
    if not has_line and not has_street:
        _fail(
            where,
            "C8 ValidAddress: an address needs an addressLine, or a streetName with a "
            "buildingName or buildingNumber",
        )


def _addresses(where: str, addresses: tuple[Address, ...]) -> None:
    if len(addresses) > MAX_ADDRESSES:
        _fail(where, f"at most {MAX_ADDRESSES} geographicAddress entries")
    for i, address in enumerate(addresses, start=1):
        _address(f"{where} geographicAddress {i}", address)


def _national_id(where: str, national: NationalIdentification) -> None:
    _code(where, "nationalIdentifierType", national.national_identifier_type, NATIONAL_ID_TYPES)
    _text(where, "nationalIdentifier", national.national_identifier, SHORT_CHARS, required=True)
    _country(where, "countryOfIssue", national.country_of_issue)
    authority = national.registration_authority
    if authority and not _RA.match(authority):
        _fail(
            where,
            f"C10 RegistrationAuthority: {authority[:16]!r} is not a GLEIF registration "
            "authority code (RA and six digits)",
        )


def _natural(where: str, person: NaturalPerson, today_days: int, originator: bool) -> None:
    names = person.name.name_identifier
    if not 1 <= len(names) <= MAX_NAME_IDENTIFIERS:
        _fail(where, f"a natural person has 1..{MAX_NAME_IDENTIFIERS} nameIdentifier entries")
    for name in names:
        _text(where, "primaryIdentifier", name.primary_identifier, NAME_CHARS, required=True)
        _text(where, "secondaryIdentifier", name.secondary_identifier, NAME_CHARS)
        _code(where, "nameIdentifierType", name.name_identifier_type, NATURAL_NAME_TYPES)
    if not any(n.name_identifier_type == "LEGL" for n in names):
        _fail(
            where,
            "C6 LegalNamePresent: at least one nameIdentifier must have nameIdentifierType LEGL",
        )
    _addresses(where, person.geographic_address)
    if person.national_identification is not None:
        _national_id(f"{where} nationalIdentification", person.national_identification)
    _text(where, "customerIdentification", person.customer_identification, CUSTOMER_ID_CHARS)
    birth = person.date_and_place_of_birth
    if birth is not None:
        born = parse_date_days(birth.date_of_birth)
        if born is None:
            _fail(where, f"dateOfBirth {birth.date_of_birth[:16]!r} is not a YYYY-MM-DD date")
        elif born >= today_days:
            _fail(where, "C2 DateInPast: dateOfBirth must be before the current date")
        _text(where, "placeOfBirth", birth.place_of_birth, LINE_CHARS, required=True)
    _country(where, "countryOfResidence", person.country_of_residence)
    if originator and not (
        person.geographic_address
        or person.customer_identification.strip()
        or person.national_identification is not None
        or birth is not None
    ):
        _fail(
            where,
            "C1 OriginatorInformationNaturalPerson: the originator needs a geographicAddress, "
            "a customerIdentification, a nationalIdentification or a dateAndPlaceOfBirth",
        )


def _legal(where: str, person: LegalPerson, originator: bool) -> None:
    names = person.name.name_identifier
    if not 1 <= len(names) <= MAX_NAME_IDENTIFIERS:
        _fail(where, f"a legal person has 1..{MAX_NAME_IDENTIFIERS} nameIdentifier entries")
    for name in names:
        _text(where, "legalPersonName", name.legal_person_name, NAME_CHARS, required=True)
        _code(
            where,
            "legalPersonNameIdentifierType",
            name.legal_person_name_identifier_type,
            LEGAL_NAME_TYPES,
        )
    if not any(n.legal_person_name_identifier_type == "LEGL" for n in names):
        _fail(
            where,
            "C5 LegalNamePresentLegalPerson: at least one nameIdentifier must have "
            "legalPersonNameIdentifierType LEGL",
        )
    _addresses(where, person.geographic_address)
    _text(where, "customerNumber", person.customer_number, CUSTOMER_ID_CHARS)
    national = person.national_identification
    if national is not None:
        inner = f"{where} nationalIdentification"
        _national_id(inner, national)
        kind = national.national_identifier_type
        if kind not in LEGAL_PERSON_ID_TYPES:
            _fail(
                inner,
                "C7 ValidNationalIdentifierLegalPerson: a legal person's nationalIdentifierType "
                f"must be one of {', '.join(LEGAL_PERSON_ID_TYPES)}",
            )
        if national.country_of_issue:
            _fail(
                inner,
                "C9 CompleteNationalIdentifierLegalPerson: a legal person's national "
                "identification has no countryOfIssue",
            )
        if kind != "LEIX" and not national.registration_authority:
            _fail(
                inner,
                "C9 CompleteNationalIdentifierLegalPerson: a registrationAuthority is required "
                "unless nationalIdentifierType is LEIX",
            )
        if kind == "LEIX" and not is_valid_lei(national.national_identifier):
            _fail(
                inner,
                f"C11 ValidLEI: {national.national_identifier[:24]!r} is not an ISO 17442 LEI",
            )
    _country(where, "countryOfRegistration", person.country_of_registration)
    if originator and not (
        any(a.address_type == "GEOG" for a in person.geographic_address)
        or person.customer_number.strip()
        or national is not None
    ):
        _fail(
            where,
            "C4 OriginatorInformationLegalPerson: the originator needs a geographicAddress of "
            "type GEOG, a customerNumber or a nationalIdentification",
        )


def _person(where: str, person: Person, today_days: int, originator: bool) -> None:
    if (person.natural_person is None) == (person.legal_person is None):
        _fail(where, "a person is exactly one of naturalPerson or legalPerson")
    if person.natural_person is not None:
        _natural(f"{where} naturalPerson", person.natural_person, today_days, originator)
    elif person.legal_person is not None:
        _legal(f"{where} legalPerson", person.legal_person, originator)


def _persons(role: str, persons: tuple[Person, ...], today_days: int) -> None:
    if not 1 <= len(persons) <= MAX_PERSONS:
        _fail(role, f"FATF R.16: 1..{MAX_PERSONS} {role}Persons are required")
    for i, person in enumerate(persons, start=1):
        _person(f"{role} person {i}", person, today_days, role == "originator")


def _accounts(role: str, accounts: tuple[str, ...]) -> None:
    if not accounts:
        _fail(role, f"FATF R.16: the {role}'s accountNumber is required")
    if len(accounts) > MAX_ACCOUNT_NUMBERS:
        _fail(role, f"at most {MAX_ACCOUNT_NUMBERS} accountNumber entries")
    for account in accounts:
        _text(role, "accountNumber", account, ACCOUNT_CHARS, required=True)


def _same_address(a: str, b: str) -> bool:
    try:
        return normalize_address(a).value == normalize_address(b).value
    except ValueError:
        return a.strip() == b.strip()


def validate_identity_payload(payload: IdentityPayload, today_days: int, destination: str) -> None:
    """Raise `Rejected(TRAVEL_RULE_INVALID, ...)` naming the first rule the payload breaks."""
    _persons("originator", payload.originator.originator_persons, today_days)
    _accounts("originator", payload.originator.account_number)
    _persons("beneficiary", payload.beneficiary.beneficiary_persons, today_days)
    _accounts("beneficiary", payload.beneficiary.account_number)
    if not any(_same_address(a, destination) for a in payload.beneficiary.account_number):
        _fail(
            "beneficiary",
            "FATF R.16: the beneficiary's accountNumber must include the withdrawal address",
        )
