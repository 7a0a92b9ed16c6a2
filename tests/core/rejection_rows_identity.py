"""Rows of the rejection table (test_rejections_change_nothing.py) for identities, KYC,
jurisdictions, limits and network risk: one per way such a command can be refused.

Each row is (name, command, label, facts, setup) on the table's `World`: Alice (party 1, verified
in DE) with a master account and a sub-account, Carol (party 2), Bob (a funded trader), Alice's
resting orders and a pending withdrawal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import pytest
from core_harness import BTC_USDT, verify

from clearhouse.core.book import BUY
from clearhouse.core.commands import (
    AnyCommand,
    ApproveCountryCorrection,
    ApproveWithdrawal,
    CreateApiKey,
    DecideKyc,
    DeclareBusinessStructure,
    EnrolStepUp,
    Facts,
    LoadNetworkRiskList,
    OnboardUser,
    OpenAccount,
    PlaceOrder,
    ProposeCountryCorrection,
    RegisterParty,
    RejectCountryCorrection,
    RequestWithdrawal,
    SetAccountStatus,
    SetJurisdictionList,
    SetKycLimits,
    SetLocalAddressPolicy,
    SetPartyStatus,
    TransferBetweenAccounts,
)
from clearhouse.core.compliance import jurisdiction_commands, network_risk
from clearhouse.core.errors import (
    ACCOUNT_LOCKED,
    FORBIDDEN,
    INVALID_CURRENCY,
    INVALID_PARAM_VALUE,
    JURISDICTION_BLOCKED,
    JURISDICTION_RESTRICTED,
    KYC_REQUIRED,
    NO_CHANGE,
    STEP_UP_REQUIRED,
    USER_NOT_FOUND,
    WITHDRAWAL_OVER_LIMIT,
)

World = Any
Build = Callable[[World], AnyCommand]
Setup = Callable[[World, pytest.MonkeyPatch], None]
Row = tuple[str, Build, str, Facts | None, Setup | None]

OFFICER: Final = Facts(channel="admin", actor="officer-1", reason="rulebook 4.2")
SECOND_OFFICER: Final = Facts(channel="admin", actor="officer-2", reason="rulebook 4.2")
TOR_EXIT: Final = "185.220.101.7"
A: Final = 10**8


def _alice(world: World) -> int:
    party: int = world.venue.state.accounts[world.alice].owner
    return party


def _newest_account(world: World) -> int:
    return max(world.venue.state.accounts)  # type: ignore[no-any-return]


def _newest_party(world: World) -> int:
    return max(world.venue.state.parties)  # type: ignore[no-any-return]


def _steps(*builds: Build, facts: Facts = OFFICER) -> Setup:
    def setup(world: World, _: pytest.MonkeyPatch) -> None:
        for build in builds:
            world.venue.ok(build(world), facts)

    return setup


def _newcomer(country: str, tier: int = 1, *before: Build) -> Setup:
    """A new person verified in `country` with a funded account (after `before` commands)."""

    def setup(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
        _steps(*before)(world, monkeypatch)
        venue = world.venue
        party = venue.party("Newcomer", country[:2], tier=0)  # registers UA for UA-43
        if tier:
            venue.ok(verify(party, tier, country))
        account = venue.account(party)
        venue.fund(account, USDT=10_000)

    return setup


def _unverified_sub(world: World, _: pytest.MonkeyPatch) -> None:
    venue = world.venue
    zed = venue.party("Zed", "FR", tier=0)
    venue.ok(OpenAccount(_alice(world), world.alice, zed))


def _kyc(**changes: Any) -> Build:
    def build(world: World) -> AnyCommand:
        fields: dict[str, Any] = {
            "party": _alice(world),
            "tier": 1,
            "provider": "test-kyc",
            "evidence_refs": ("check-1",),
            "verified_country": "DE",
            "document_hash": "doc-1",
            "decided_by": "kyc-officer",
        }
        fields.update({k: (v(world) if callable(v) else v) for k, v in changes.items()})
        return DecideKyc(**fields)

    return build


def _structure(owners: Any = (), controllers: Any = ()) -> Build:
    def build(world: World) -> AnyCommand:
        return DeclareBusinessStructure(
            _newest_party(world),
            tuple(owners(world) if callable(owners) else owners),
            tuple(controllers(world) if callable(controllers) else controllers),
        )

    return build


def _business(world: World, _: pytest.MonkeyPatch) -> None:
    world.venue.ok(RegisterParty("business", "Shell Ltd", "VG"))


def _order(world: World) -> AnyCommand:
    order: PlaceOrder = world.venue.limit(world.alice, BUY, "60000", "0.1")
    return order


def _newcomer_order(world: World) -> AnyCommand:
    return PlaceOrder(_newest_account(world), BTC_USDT, BUY, world.ticks("60000"), 100)


def _withdraw(amount_units: int = A, asset: str = "USDT", client_id: str = "w-9") -> Build:
    return lambda w: RequestWithdrawal(w.alice, asset, amount_units, client_id, "addr")


def _rest(ip: str, country: str) -> Facts:
    return Facts(channel="rest", ip=ip, country=country)


def _network(kind: str, action: str) -> Setup:
    return _steps(lambda w: LoadNetworkRiskList(kind, action, ("185.220.101.0/24",), "test"))


def _correction(world: World) -> AnyCommand:
    return ProposeCountryCorrection(_alice(world), "AT", "passport-2")


def _patch(module: object, name: str, value: int) -> Setup:
    def setup(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(module, name, value)

    return setup


ROWS: Final[list[Row]] = [
    # --- where the request comes from ------------------------------------------------------
    ("order from a blocked IP country", _order, FORBIDDEN, _rest("2.176.0.1", "IR"), None),
    ("order from an IP of unknown country", _order, FORBIDDEN, _rest("100.64.0.1", ""), None),
    (
        "admin command from a blocked IP country",
        _kyc(),
        FORBIDDEN,
        Facts(channel="admin", ip="2.176.0.1", country="IR", actor="a", reason="r"),
        None,
    ),
    (
        "order from a local address when local addresses are refused",
        _order,
        FORBIDDEN,
        _rest("127.0.0.1", ""),
        _steps(lambda w: SetLocalAddressPolicy(False)),
    ),
    (
        "order from a restricted IP country",
        _order,
        JURISDICTION_RESTRICTED,
        _rest("8.8.8.8", "US"),
        _steps(lambda w: SetJurisdictionList("restricted", ("US",))),
    ),
    # --- who may trade ----------------------------------------------------------------------
    (
        "order by an unverified person",
        _order,
        KYC_REQUIRED,
        None,
        _steps(_kyc(tier=0, evidence_refs=(), verified_country="", document_hash="")),
    ),
    (
        "order by a blocked person",
        _order,
        ACCOUNT_LOCKED,
        None,
        _steps(lambda w: SetPartyStatus(_alice(w), "blocked")),
    ),
    (
        "order by a person held for review",
        _order,
        ACCOUNT_LOCKED,
        None,
        _steps(lambda w: SetPartyStatus(_alice(w), "review")),
    ),
    (
        "order by a person verified in Iran",
        _newcomer_order,
        JURISDICTION_BLOCKED,
        None,
        _newcomer("IR"),
    ),
    (
        "order by a person verified in Crimea",
        _newcomer_order,
        JURISDICTION_BLOCKED,
        None,
        _newcomer("UA-43"),
    ),
    (
        "order by a person verified in a restricted country",
        _newcomer_order,
        JURISDICTION_RESTRICTED,
        None,
        _newcomer("US", 1, lambda w: SetJurisdictionList("restricted", ("US",))),
    ),
    # --- money out --------------------------------------------------------------------------
    (
        "withdrawal by an unverified person",
        _withdraw(),
        KYC_REQUIRED,
        None,
        _steps(_kyc(tier=0, evidence_refs=(), verified_country="", document_hash="")),
    ),
    (
        "withdrawal over the 24 h limit",
        _withdraw(6 * A, "BTC"),
        WITHDRAWAL_OVER_LIMIT,
        None,
        None,
    ),
    (
        "withdrawal of an asset without an allowance",
        _withdraw(1, "DOT"),
        WITHDRAWAL_OVER_LIMIT,
        None,
        None,
    ),
    (
        "withdrawal from a Tor exit that the list denies",
        _withdraw(),
        FORBIDDEN,
        _rest(TOR_EXIT, "DE"),
        _network("tor", "deny"),
    ),
    (
        "withdrawal from a VPN without a second factor",
        _withdraw(),
        STEP_UP_REQUIRED,
        _rest(TOR_EXIT, "DE"),
        _network("vpn", "step_up"),
    ),
    (
        "withdrawal from another country than the verified one",
        _withdraw(),
        STEP_UP_REQUIRED,
        _rest("8.8.8.8", "US"),
        None,
    ),
    (
        "transfer to a sub-account run for an unverified person",
        lambda w: TransferBetweenAccounts(w.alice, _newest_account(w), "USDT", 1),
        KYC_REQUIRED,
        None,
        _unverified_sub,
    ),
    (
        "payout of a withdrawal after the person was blocked",
        lambda w: ApproveWithdrawal(w.pending_withdrawal),
        ACCOUNT_LOCKED,
        None,
        _steps(lambda w: SetPartyStatus(_alice(w), "blocked")),
    ),
    (
        "api key created from another country than the verified one",
        lambda w: CreateApiKey(w.alice, "K" * 32, b"s", ("spot",)),
        STEP_UP_REQUIRED,
        _rest("8.8.8.8", "US"),
        None,
    ),
    # --- operator commands ------------------------------------------------------------------
    ("kyc decision from a customer channel", _kyc(), FORBIDDEN, _rest("10.1.2.3", ""), None),
    (
        "kyc decision without a reason",
        _kyc(),
        INVALID_PARAM_VALUE,
        Facts(channel="admin", actor="officer-1"),
        None,
    ),
    ("kyc decision for an unknown party", _kyc(party=404), USER_NOT_FOUND, OFFICER, None),
    ("kyc tier out of range", _kyc(tier=4), INVALID_PARAM_VALUE, OFFICER, None),
    ("kyc without a provider", _kyc(provider=" "), INVALID_PARAM_VALUE, OFFICER, None),
    (
        "kyc with too much evidence",
        _kyc(evidence_refs=("e",) * 17),
        INVALID_PARAM_VALUE,
        OFFICER,
        None,
    ),
    (
        "kyc with an over-long document hash",
        _kyc(document_hash="h" * 300),
        INVALID_PARAM_VALUE,
        OFFICER,
        None,
    ),
    (
        "verified tier on self-declaration alone",
        _kyc(evidence_refs=()),
        INVALID_PARAM_VALUE,
        OFFICER,
        None,
    ),
    (
        "kyc with a made-up country",
        _kyc(verified_country="Germany"),
        INVALID_PARAM_VALUE,
        OFFICER,
        None,
    ),
    (
        "kyc that would overwrite the verified country",
        _kyc(verified_country="AT"),
        INVALID_PARAM_VALUE,
        OFFICER,
        None,
    ),
    (
        "kyc of a business without owners and controllers",
        _kyc(party=_newest_party, document_hash="reg-1"),
        INVALID_PARAM_VALUE,
        OFFICER,
        _business,
    ),
    (
        "onboarding a verified tier without a country",
        lambda w: OnboardUser("Dora", "", "", 1, "DORA" + "0" * 28, b"s", ("spot",)),
        INVALID_PARAM_VALUE,
        None,
        None,
    ),
    (
        "party status made up",
        lambda w: SetPartyStatus(_alice(w), "banned"),
        INVALID_PARAM_VALUE,
        OFFICER,
        None,
    ),
    (
        "party status unchanged",
        lambda w: SetPartyStatus(_alice(w), "active"),
        NO_CHANGE,
        OFFICER,
        None,
    ),
    (
        "account status made up",
        lambda w: SetAccountStatus(w.alice, "closed"),
        INVALID_PARAM_VALUE,
        OFFICER,
        None,
    ),
    (
        "account status unchanged",
        lambda w: SetAccountStatus(w.alice, "active"),
        NO_CHANGE,
        OFFICER,
        None,
    ),
    (
        "business structure of a person",
        lambda w: DeclareBusinessStructure(_alice(w), (), (_alice(w),)),
        INVALID_PARAM_VALUE,
        OFFICER,
        None,
    ),
    (
        "business with five owners of 25 %",
        _structure(lambda w: ((_alice(w), 2_500),) * 5, lambda w: (_alice(w),)),
        INVALID_PARAM_VALUE,
        OFFICER,
        _business,
    ),
    (
        "business without a controller",
        _structure(lambda w: ((_alice(w), 5_000),)),
        INVALID_PARAM_VALUE,
        OFFICER,
        _business,
    ),
    (
        "business owner below 25 %",
        _structure(lambda w: ((_alice(w), 2_000),), lambda w: (_alice(w),)),
        INVALID_PARAM_VALUE,
        OFFICER,
        _business,
    ),
    (
        "business owners above 100 %",
        _structure(lambda w: ((_alice(w), 6_000), (w.carol_party, 6_000)), lambda w: (_alice(w),)),
        INVALID_PARAM_VALUE,
        OFFICER,
        _business,
    ),
    (
        "business owner listed twice",
        _structure(lambda w: ((_alice(w), 3_000), (_alice(w), 3_000)), lambda w: (_alice(w),)),
        INVALID_PARAM_VALUE,
        OFFICER,
        _business,
    ),
    (
        "business owned by another business",
        _structure(lambda w: ((_newest_party(w), 5_000),), lambda w: (_alice(w),)),
        INVALID_PARAM_VALUE,
        OFFICER,
        _business,
    ),
    (
        "business controller unknown",
        _structure((), (404,)),
        USER_NOT_FOUND,
        OFFICER,
        _business,
    ),
    (
        "step-up secret empty",
        lambda w: EnrolStepUp(_alice(w), b""),
        INVALID_PARAM_VALUE,
        OFFICER,
        None,
    ),
    # --- jurisdictions and corrections -----------------------------------------------------
    (
        "jurisdiction list of a made-up name",
        lambda w: SetJurisdictionList("grey", ("US",)),
        INVALID_PARAM_VALUE,
        OFFICER,
        None,
    ),
    (
        "jurisdiction list with a bad code",
        lambda w: SetJurisdictionList("restricted", ("USA",)),
        INVALID_PARAM_VALUE,
        OFFICER,
        None,
    ),
    (
        "jurisdiction list too long",
        lambda w: SetJurisdictionList("restricted", ("US", "CA")),
        INVALID_PARAM_VALUE,
        OFFICER,
        _patch(jurisdiction_commands, "MAX_CODES", 1),
    ),
    (
        "jurisdiction list unchanged",
        lambda w: SetJurisdictionList("restricted", ()),
        NO_CHANGE,
        OFFICER,
        None,
    ),
    (
        "local-address policy unchanged",
        lambda w: SetLocalAddressPolicy(True),
        NO_CHANGE,
        OFFICER,
        None,
    ),
    ("country correction without an actor", _correction, FORBIDDEN, None, None),
    (
        "country correction for an unknown party",
        lambda w: ProposeCountryCorrection(404, "AT", "passport-2"),
        USER_NOT_FOUND,
        OFFICER,
        None,
    ),
    (
        "country correction without a verified country",
        lambda w: ProposeCountryCorrection(_newest_party(w), "AT", "passport-2"),
        INVALID_PARAM_VALUE,
        OFFICER,
        _newcomer("DE", 0),
    ),
    (
        "country correction to the same country",
        lambda w: ProposeCountryCorrection(_alice(w), "DE", "passport-2"),
        NO_CHANGE,
        OFFICER,
        None,
    ),
    (
        "country correction without evidence",
        lambda w: ProposeCountryCorrection(_alice(w), "AT", ""),
        INVALID_PARAM_VALUE,
        OFFICER,
        None,
    ),
    (
        "second pending country correction",
        _correction,
        INVALID_PARAM_VALUE,
        OFFICER,
        _steps(_correction),
    ),
    (
        "approving an unknown correction",
        lambda w: ApproveCountryCorrection(404),
        INVALID_PARAM_VALUE,
        SECOND_OFFICER,
        None,
    ),
    (
        "approving one's own correction",
        lambda w: ApproveCountryCorrection(1),
        FORBIDDEN,
        OFFICER,
        _steps(_correction),
    ),
    (
        "approving a rejected correction",
        lambda w: ApproveCountryCorrection(1),
        NO_CHANGE,
        SECOND_OFFICER,
        _steps(_correction, lambda w: RejectCountryCorrection(1)),
    ),
    # --- limits -----------------------------------------------------------------------------
    (
        "any withdrawal allowance for tier 0",
        lambda w: SetKycLimits(0, (("USDT", 1),)),
        INVALID_PARAM_VALUE,
        OFFICER,
        None,
    ),
    ("limits for tier 4", lambda w: SetKycLimits(4, ()), INVALID_PARAM_VALUE, OFFICER, None),
    (
        "limit in an unknown asset",
        lambda w: SetKycLimits(1, (("DOGE", 1),)),
        INVALID_CURRENCY,
        OFFICER,
        None,
    ),
    (
        "limit listed twice",
        lambda w: SetKycLimits(1, (("USDT", 1), ("USDT", 2))),
        INVALID_PARAM_VALUE,
        OFFICER,
        None,
    ),
    (
        "negative limit",
        lambda w: SetKycLimits(1, (("USDT", -1),)),
        INVALID_PARAM_VALUE,
        OFFICER,
        None,
    ),
    # --- network-risk lists -----------------------------------------------------------------
    (
        "network list of a made-up kind",
        lambda w: LoadNetworkRiskList("proxy", "deny", (), "test"),
        INVALID_PARAM_VALUE,
        OFFICER,
        None,
    ),
    (
        "network list with a made-up action",
        lambda w: LoadNetworkRiskList("tor", "warn", (), "test"),
        INVALID_PARAM_VALUE,
        OFFICER,
        None,
    ),
    (
        "network list too long",
        lambda w: LoadNetworkRiskList("tor", "deny", ("1.1.1.0/24", "2.2.2.0/24"), "test"),
        INVALID_PARAM_VALUE,
        OFFICER,
        _patch(network_risk, "MAX_NETWORKS", 1),
    ),
    (
        "network list without a source",
        lambda w: LoadNetworkRiskList("tor", "deny", (), " "),
        INVALID_PARAM_VALUE,
        OFFICER,
        None,
    ),
    (
        "network list with a bad network",
        lambda w: LoadNetworkRiskList("tor", "deny", ("1.2.3.400/24",), "test"),
        INVALID_PARAM_VALUE,
        OFFICER,
        None,
    ),
]
