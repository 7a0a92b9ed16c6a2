"""Money crossing the venue's edge (deposits, withdrawals) and moving between a master account
and its sub-accounts. Deposits are idempotent by txid, withdrawals by (account, client id)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from clearhouse.core.commands import (
    ApproveWithdrawal,
    CreditDeposit,
    RejectWithdrawal,
    RequestWithdrawal,
    TransferBetweenAccounts,
)
from clearhouse.core.compliance import sanctions_engine, travel_rule
from clearhouse.core.context import Context
from clearhouse.core.errors import (
    FORBIDDEN,
    INVALID_PARAM_VALUE,
    ORDER_CLOSED,
    SUB_ACCOUNT_NOT_FOUND,
    Rejected,
)
from clearhouse.core.events import (
    AlreadyApplied,
    Deposited,
    Transferred,
    WithdrawalApproved,
    WithdrawalRejected,
    WithdrawalRequested,
)
from clearhouse.core.ledger import AVAILABLE, EXTERNAL, Hold, ledger_key

if TYPE_CHECKING:
    from clearhouse.core.state import State

MAX_AMOUNT_UNITS: Final = 10**30  # far above any real balance; refuses absurd input early
MAX_REF_CHARS: Final = 128

PENDING: Final = "pending"
DONE: Final = "done"
REJECTED: Final = "rejected"


class Withdrawal:
    __slots__ = (
        "withdrawal_id",
        "account",
        "asset",
        "amount_units",
        "address",
        "chain",
        "client_id",
        "status",
        "txid",
        "hold",
        "time_ns",
        "travel_rule",
    )

    def __init__(
        self,
        withdrawal_id: int,
        account: int,
        asset: str,
        amount_units: int,
        address: str,
        chain: str,
        client_id: str,
        hold: Hold,
        time_ns: int,
    ) -> None:
        self.withdrawal_id = withdrawal_id
        self.account = account
        self.asset = asset
        self.amount_units = amount_units
        self.address = address
        self.chain = chain
        self.client_id = client_id
        self.status = PENDING
        self.txid = ""
        self.hold = hold
        self.time_ns = time_ns
        self.travel_rule: travel_rule.TravelRuleRecord | None = None  # FATF R.16


def _check_amount(units: int) -> None:
    if not 0 < units <= MAX_AMOUNT_UNITS:
        raise Rejected(INVALID_PARAM_VALUE, "amount must be positive")


def _check_ref(name: str, value: str) -> None:
    if not value or len(value) > MAX_REF_CHARS:
        raise Rejected(INVALID_PARAM_VALUE, f"{name} must be 1..{MAX_REF_CHARS} characters")


def credit_deposit(state: State, cmd: CreditDeposit, ctx: Context) -> None:
    _check_ref("txid", cmd.txid)
    seen = state.deposit_txids.get(cmd.txid)
    if seen is not None:
        ctx.events.append(AlreadyApplied("deposit:" + cmd.txid, seen))
        return
    state.require_account(cmd.account)
    asset = state.require_asset(cmd.asset)
    _check_amount(cmd.amount_units)
    listed = sanctions_engine.screen_deposit(state, cmd)
    # --- nothing above this line writes ---
    deposit_id = state.next_deposit_id
    state.next_deposit_id += 1
    state.deposit_txids[cmd.txid] = deposit_id
    state.ledger.move(EXTERNAL, cmd.account, asset, cmd.amount_units)
    ctx.events.append(Deposited(deposit_id, cmd.account, cmd.asset, cmd.amount_units, cmd.txid))
    if listed is not None:
        sanctions_engine.freeze_deposit(state, deposit_id, cmd, listed, ctx)


def request_withdrawal(state: State, cmd: RequestWithdrawal, ctx: Context) -> None:
    _check_ref("client_id", cmd.client_id)
    seen = state.withdrawal_refs.get((cmd.account, cmd.client_id))
    if seen is not None:
        ctx.events.append(AlreadyApplied("withdrawal:" + cmd.client_id, seen))
        return
    state.require_account(cmd.account)
    asset = state.require_asset(cmd.asset)
    _check_amount(cmd.amount_units)
    _check_ref("address", cmd.address)
    state.ledger.require_available(cmd.account, asset, cmd.amount_units)
    travel = travel_rule.check_withdrawal(state, cmd)
    # --- nothing above this line writes ---
    hold = state.ledger.reserve(cmd.account, asset, cmd.amount_units)
    withdrawal_id = state.next_withdrawal_id
    state.next_withdrawal_id += 1
    withdrawal = state.withdrawals[withdrawal_id] = Withdrawal(
        withdrawal_id,
        cmd.account,
        cmd.asset,
        cmd.amount_units,
        cmd.address,
        cmd.chain,
        cmd.client_id,
        hold,
        ctx.time_ns,
    )
    state.withdrawal_refs[(cmd.account, cmd.client_id)] = withdrawal_id
    ctx.events.append(
        WithdrawalRequested(
            withdrawal_id, cmd.account, cmd.asset, cmd.amount_units, cmd.address, cmd.client_id
        )
    )
    travel_rule.record(withdrawal, travel, ctx)


def _pending_withdrawal(state: State, withdrawal_id: int) -> Withdrawal:
    withdrawal = state.withdrawals.get(withdrawal_id)
    if withdrawal is None:
        raise Rejected(INVALID_PARAM_VALUE, f"withdrawal {withdrawal_id} not found")
    if withdrawal.status != PENDING:
        raise Rejected(ORDER_CLOSED, f"withdrawal {withdrawal_id} is already {withdrawal.status}")
    return withdrawal


def approve_withdrawal(state: State, cmd: ApproveWithdrawal, ctx: Context) -> None:
    withdrawal = _pending_withdrawal(state, cmd.withdrawal_id)
    # --- nothing above this line writes ---
    hold = withdrawal.hold
    external = ledger_key(EXTERNAL, hold.asset, AVAILABLE)
    state.ledger.post(hold, external, hold.remaining_units)
    state.ledger.close_spent(hold)
    withdrawal.status = DONE
    withdrawal.txid = cmd.txid
    ctx.events.append(
        WithdrawalApproved(
            withdrawal.withdrawal_id,
            withdrawal.account,
            withdrawal.asset,
            withdrawal.amount_units,
            cmd.txid,
        )
    )


def reject_withdrawal(state: State, cmd: RejectWithdrawal, ctx: Context) -> None:
    withdrawal = _pending_withdrawal(state, cmd.withdrawal_id)
    # --- nothing above this line writes ---
    state.ledger.void(withdrawal.hold)
    withdrawal.status = REJECTED
    ctx.events.append(WithdrawalRejected(withdrawal.withdrawal_id, withdrawal.account, cmd.reason))


def transfer_between_accounts(state: State, cmd: TransferBetweenAccounts, ctx: Context) -> None:
    source = state.require_account(cmd.from_account)
    target = state.accounts.get(cmd.to_account)
    if target is None:
        raise Rejected(SUB_ACCOUNT_NOT_FOUND, f"account {cmd.to_account} not found")
    if source.master != target.master:
        raise Rejected(FORBIDDEN, "transfers only within one master account and its sub-accounts")
    if source.account_id == target.account_id:
        raise Rejected(INVALID_PARAM_VALUE, "cannot transfer to the same account")
    asset = state.require_asset(cmd.asset)
    _check_amount(cmd.amount_units)
    state.ledger.require_available(source.account_id, asset, cmd.amount_units)
    # --- nothing above this line writes ---
    state.ledger.move(source.account_id, target.account_id, asset, cmd.amount_units)
    ctx.events.append(
        Transferred(source.account_id, target.account_id, cmd.asset, cmd.amount_units)
    )
