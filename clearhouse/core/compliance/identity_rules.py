"""The policy gate's identity, KYC and jurisdiction rules, installed in every `PolicyGate`.

Every command from a channel that observed a client address (REST, WebSocket, admin) is refused
when that address is in a blocked country or its country is unknown (defence in depth: the
gateway already answered 403). Then, per command:

- orders, amendments, trigger orders: the account must be eligible to trade (identity_eligibility)
  and the request must not come from a restricted country;
- withdrawals: owner and beneficial owner verified and in good standing; from a customer channel,
  a VPN/Tor/hosting address or an IP country other than the verified country needs a verified
  second factor (or is denied, as the list says); and the person's 24 h limit must allow it;
- transfers: both accounts in good standing; approving a payout: the account still is;
- API-key creation from a customer channel: the same network and country checks as withdrawals;
- operator commands (KYC, status, lists, limits, corrections): only from the admin API with an
  attributed actor and a reason, or from the venue itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from clearhouse.core.commands import (
    AmendOrder,
    ApproveCountryCorrection,
    ApproveWithdrawal,
    Command,
    CreateApiKey,
    DecideKyc,
    DeclareBusinessStructure,
    EnrolStepUp,
    Facts,
    LoadNetworkRiskList,
    PlaceOrder,
    PlaceTriggerOrder,
    ProposeCountryCorrection,
    RejectCountryCorrection,
    RequestWithdrawal,
    SetAccountStatus,
    SetJurisdictionList,
    SetKycLimits,
    SetLocalAddressPolicy,
    SetPartyStatus,
    TransferBetweenAccounts,
)
from clearhouse.core.compliance import limits, network_risk
from clearhouse.core.compliance.identity_eligibility import funds_problem, trade_problem
from clearhouse.core.compliance.jurisdiction import ip_refusal, listed
from clearhouse.core.errors import (
    ACCOUNT_LOCKED,
    FORBIDDEN,
    INVALID_PARAM_VALUE,
    JURISDICTION_RESTRICTED,
    STEP_UP_REQUIRED,
    Rejected,
)
from clearhouse.core.wallet import PENDING

if TYPE_CHECKING:
    from clearhouse.core.policy import PolicyGate
    from clearhouse.core.state import State

REST: Final = "rest"
WS: Final = "ws"
ADMIN: Final = "admin"
INTERNAL: Final = "internal"

OPERATOR_COMMANDS: Final[tuple[type[Command], ...]] = (
    DecideKyc,
    DeclareBusinessStructure,
    SetPartyStatus,
    SetAccountStatus,
    ProposeCountryCorrection,
    ApproveCountryCorrection,
    RejectCountryCorrection,
    SetJurisdictionList,
    SetLocalAddressPolicy,
    SetKycLimits,
    LoadNetworkRiskList,
    EnrolStepUp,
)
TRADING_COMMANDS: Final[tuple[type[Command], ...]] = (PlaceOrder, AmendOrder, PlaceTriggerOrder)


def require_ip_jurisdiction(state: State, command: Command, facts: Facts) -> None:
    channel = facts.channel
    if channel != REST and channel != WS and (channel != ADMIN or not facts.ip):
        # the venue's own commands (genesis, triggers, simulation) have no client; operator
        # tooling without a network hop (the CLI) observes no address
        return
    refusal = ip_refusal(state.identity, facts.ip, facts.country)
    if refusal:
        raise Rejected(FORBIDDEN, refusal)


def require_may_trade(state: State, command: Command, facts: Facts) -> None:
    account_id: int = command.account  # type: ignore[attr-defined]
    if account_id not in state.identity.eligible_accounts:
        problem = trade_problem(state, account_id)
        if problem is not None:
            raise Rejected(*problem)
        raise Rejected(ACCOUNT_LOCKED, "account not eligible to trade")  # pragma: no cover
    country = facts.country
    if country and listed(state.identity.restricted_jurisdictions, country):
        raise Rejected(JURISDICTION_RESTRICTED, f"trading is not offered from {country}")


def _require_sensitive_allowed(state: State, account_id: int, facts: Facts, what: str) -> None:
    """Network-risk and country-mismatch checks for requests a customer makes themself."""
    if facts.channel != REST and facts.channel != WS:
        return
    registry = state.identity
    action, kind = network_risk.verdict(registry, facts.ip)
    if action == network_risk.DENY:
        raise Rejected(FORBIDDEN, f"{what} from {kind} addresses are refused")
    stepped_up = bool(facts.step_up)
    if action == network_risk.STEP_UP and not stepped_up:
        raise Rejected(
            STEP_UP_REQUIRED, f"{what} from a {kind} address need a verified second factor"
        )
    verified = registry.verified_country.get(state.accounts[account_id].beneficial_owner, "")
    if facts.country and verified and facts.country != verified[:2] and not stepped_up:
        raise Rejected(
            STEP_UP_REQUIRED,
            f"{what} from {facts.country}, not the verified country {verified}, need a verified "
            "second factor",
        )


def require_may_withdraw(state: State, command: Command, facts: Facts) -> None:
    account_id: int = command.account  # type: ignore[attr-defined]
    problem = funds_problem(state, account_id)
    if problem is not None:
        raise Rejected(*problem)
    _require_sensitive_allowed(state, account_id, facts, "withdrawals")


def require_may_transfer(state: State, command: Command, facts: Facts) -> None:
    assert type(command) is TransferBetweenAccounts
    for account_id in (command.from_account, command.to_account):
        if account_id in state.accounts:
            problem = funds_problem(state, account_id)
            if problem is not None:
                raise Rejected(*problem)


def require_payout_allowed(state: State, command: Command, facts: Facts) -> None:
    assert type(command) is ApproveWithdrawal
    withdrawal = state.withdrawals.get(command.withdrawal_id)
    if withdrawal is None or withdrawal.status != PENDING:
        return  # the handler refuses it
    problem = funds_problem(state, withdrawal.account)
    if problem is not None:
        raise Rejected(problem[0], f"payout refused: {problem[1]}")


def require_key_creation_allowed(state: State, command: Command, facts: Facts) -> None:
    assert type(command) is CreateApiKey
    if command.account in state.accounts:
        _require_sensitive_allowed(state, command.account, facts, "API-key changes")


def require_attributed(state: State, command: Command, facts: Facts) -> None:
    channel = facts.channel
    if channel == INTERNAL:
        return
    if channel != ADMIN:
        raise Rejected(FORBIDDEN, f"{type(command).__name__} is an operator command")
    if not facts.actor.strip() or not facts.reason.strip():
        raise Rejected(
            INVALID_PARAM_VALUE, "an operator decision needs an actor and a reason (X-Reason)"
        )


def install(gate: PolicyGate) -> None:
    gate.add_global_rule(require_ip_jurisdiction)
    for command_type in TRADING_COMMANDS:
        gate.add_rule(command_type, require_may_trade)
    gate.add_rule(RequestWithdrawal, require_may_withdraw)
    gate.add_rule(RequestWithdrawal, limits.require_within_limit)
    gate.add_rule(TransferBetweenAccounts, require_may_transfer)
    gate.add_rule(ApproveWithdrawal, require_payout_allowed)
    gate.add_rule(CreateApiKey, require_key_creation_allowed)
    for command_type in OPERATOR_COMMANDS:
        gate.add_rule(command_type, require_attributed)
