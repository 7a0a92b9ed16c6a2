"""The policy gate's sanctions rules: they read state and refuse; they never write.

- A party held by screening (review or blocked) cannot trade, withdraw or move funds between
  accounts: not on an account they own, nor on one they are the beneficial owner of, nor on one
  of a business they own or control. Cancelling stays possible (their orders were cancelled
  when the hold began anyway).
- A withdrawal to a listed address is refused, and so is approving a pending withdrawal whose
  address has been listed since it was requested.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from clearhouse.core.commands import (
    AmendOrder,
    ApproveWithdrawal,
    Command,
    Facts,
    PlaceOrder,
    PlaceTriggerOrder,
    RequestWithdrawal,
    TransferBetweenAccounts,
)
from clearhouse.core.compliance.sanctions_engine import held_party
from clearhouse.core.compliance.sanctions_state import BLOCKED
from clearhouse.core.errors import (
    ADDRESS_SANCTIONED,
    SANCTIONS_BLOCKED,
    SANCTIONS_REVIEW,
    Rejected,
)

if TYPE_CHECKING:
    from clearhouse.core.policy import PolicyGate
    from clearhouse.core.state import State

# Commands that trade or move money on behalf of an account's parties.
HELD_PARTY_COMMANDS: Final[tuple[type[Command], ...]] = (
    PlaceOrder,
    AmendOrder,
    PlaceTriggerOrder,
    RequestWithdrawal,
    TransferBetweenAccounts,
)


def _accounts(command: Command) -> tuple[int, ...]:
    if isinstance(command, TransferBetweenAccounts):
        return (command.from_account, command.to_account)
    account: int = getattr(command, "account", 0)
    return (account,)


def require_parties_not_held(state: State, command: Command, facts: Facts) -> None:
    if not state.sanctions.held:  # the common case costs one truth test
        return
    for account_id in _accounts(command):
        account = state.accounts.get(account_id)
        if account is None:
            continue  # the handler refuses an unknown account with its own label
        found = held_party(state, account)
        if found is None:
            continue
        party, status = found
        top = state.sanctions.screenings[party].top_hit()
        entry = f" (matches {top.entry_id})" if top is not None else ""
        if status == BLOCKED:
            raise Rejected(
                SANCTIONS_BLOCKED,
                f"account {account_id}: party {party} is blocked by sanctions screening{entry}",
            )
        raise Rejected(
            SANCTIONS_REVIEW,
            f"account {account_id}: party {party} is held for a sanctions screening review{entry}",
        )


def _refuse_if_listed(state: State, chain: str, address: str, what: str) -> None:
    _, addresses = state.sanctions.screeners()
    if addresses is None:
        return
    try:
        result = addresses.screen(chain, address)
    except ValueError:
        return  # not an address at all: the handler refuses it with its own label
    if result.hits:
        hit = result.hits[0]
        entry = hit.entry_id or f"{hit.source}:{result.normalized}"
        raise Rejected(
            ADDRESS_SANCTIONED,
            f"{what} {address} is on a sanctions list ({entry}, list version "
            f"{state.sanctions.version})",
        )


def require_destination_not_listed(state: State, command: Command, facts: Facts) -> None:
    assert isinstance(command, RequestWithdrawal)
    _refuse_if_listed(state, command.chain, command.address, "withdrawal address")


def require_approved_destination_not_listed(state: State, command: Command, facts: Facts) -> None:
    assert isinstance(command, ApproveWithdrawal)
    withdrawal = state.withdrawals.get(command.withdrawal_id)
    if withdrawal is None or withdrawal.status != "pending":
        return  # the handler refuses it with its own label
    what = f"withdrawal {withdrawal.withdrawal_id}: its address"
    _refuse_if_listed(state, withdrawal.chain, withdrawal.address, what)


def install(gate: PolicyGate) -> None:
    for command_type in HELD_PARTY_COMMANDS:
        gate.add_rule(command_type, require_parties_not_held)
    gate.add_rule(RequestWithdrawal, require_destination_not_listed)
    gate.add_rule(ApproveWithdrawal, require_approved_destination_not_listed)
