"""The policy gate: runs on every command, from every entry point, before any state changes.

`Engine.apply` calls `PolicyGate.check` before dispatching to a handler, and handlers are only
reachable through `apply`, so no entry point (REST, WebSocket, admin, a fired trigger, a batch)
can route around it. Rules are plain functions `(state, command, facts) -> None` that raise
`Rejected`; the compliance layer registers its rules here (KYC tiers, jurisdictions, sanctions).

The venue core's own rule: an account that is frozen or missing cannot act.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from clearhouse.core.accounts import ACTIVE
from clearhouse.core.api_keys import require_key_permission
from clearhouse.core.commands import (
    PERPETUAL_ACCOUNT_COMMANDS,
    AmendOrder,
    CancelAllOrders,
    CancelOrder,
    CancelTriggerOrder,
    Command,
    Facts,
    PlaceOrder,
    PlaceTriggerOrder,
    RequestWithdrawal,
    TransferBetweenAccounts,
)
from clearhouse.core.compliance import identity_rules, sanctions_gate
from clearhouse.core.errors import ACCOUNT_LOCKED, USER_NOT_FOUND, Rejected

if TYPE_CHECKING:
    from clearhouse.core.state import State

Rule = Callable[["State", Command, Facts], None]

MAX_RULES_PER_COMMAND: Final = 64


def require_active_account(state: State, command: Command, facts: Facts) -> None:
    account_id: int = getattr(command, "account", 0) or getattr(command, "from_account", 0)
    account = state.accounts.get(account_id)
    if account is None:
        raise Rejected(USER_NOT_FOUND, f"account {account_id} not found")
    if account.status != ACTIVE:
        raise Rejected(ACCOUNT_LOCKED, f"account {account_id} is {account.status}")


# Commands an account issues about its own money or orders. A frozen account can do none of
# them; freezing is the compliance layer's job and cancels the account's orders as it happens.
ACCOUNT_COMMANDS: Final[tuple[type[Command], ...]] = (
    PlaceOrder,
    CancelOrder,
    CancelAllOrders,
    AmendOrder,
    PlaceTriggerOrder,
    CancelTriggerOrder,
    RequestWithdrawal,
    TransferBetweenAccounts,
    *PERPETUAL_ACCOUNT_COMMANDS,
)


class PolicyGate:
    """Rules per command type; `check` is called by the engine for every command."""

    def __init__(self) -> None:
        self._rules: dict[type[Command], tuple[Rule, ...]] = {}
        self._global: tuple[Rule, ...] = ()
        for command_type in ACCOUNT_COMMANDS:
            self.add_rule(command_type, require_active_account)
        self.add_global_rule(require_key_permission)
        sanctions_gate.install(self)
        identity_rules.install(self)
        self.checks = 0  # how many commands passed through the gate (observability and tests)

    def add_rule(self, command_type: type[Command], rule: Rule) -> None:
        rules = self._rules.get(command_type, ()) + (rule,)
        assert len(rules) <= MAX_RULES_PER_COMMAND
        self._rules[command_type] = rules

    def add_global_rule(self, rule: Rule) -> None:
        """A rule that sees every command of every type."""
        assert len(self._global) < MAX_RULES_PER_COMMAND
        self._global = self._global + (rule,)

    def check(self, state: State, command: Command, facts: Facts) -> None:
        self.checks += 1
        for rule in self._global:
            rule(state, command, facts)
        rules = self._rules.get(type(command))
        if rules is not None:
            for rule in rules:
                rule(state, command, facts)
