"""Deposit, withdrawal and transfer history per account.

Withdrawals themselves (and their status) live in the engine state; this keeps which ones each
account asked for, so listing them does not walk every withdrawal of the venue."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from clearhouse.core.commands import CreditDeposit, Envelope, TransferBetweenAccounts
from clearhouse.core.events import Deposited, Event, Transferred, WithdrawalRequested

MAX_DEPOSITS_PER_ACCOUNT: Final = 1_000
MAX_TRANSFERS_PER_ACCOUNT: Final = 1_000
MAX_WITHDRAWALS_PER_ACCOUNT: Final = 1_000


@dataclass(frozen=True, slots=True)
class DepositRecord:
    deposit_id: int
    account: int
    asset: str
    amount_units: int
    txid: str
    chain: str
    address: str
    time_ns: int


@dataclass(frozen=True, slots=True)
class TransferRecord:
    transfer_id: int  # the sequence number of the command that moved the funds
    from_account: int
    to_account: int
    asset: str
    amount_units: int
    client_id: str
    time_ns: int


class WalletHistory:
    def __init__(
        self,
        deposit_capacity: int = MAX_DEPOSITS_PER_ACCOUNT,
        transfer_capacity: int = MAX_TRANSFERS_PER_ACCOUNT,
        withdrawal_capacity: int = MAX_WITHDRAWALS_PER_ACCOUNT,
    ) -> None:
        self.deposit_capacity = deposit_capacity
        self.transfer_capacity = transfer_capacity
        self.deposits: dict[int, deque[DepositRecord]] = {}
        self.withdrawal_capacity = withdrawal_capacity
        self.transfers: dict[int, deque[TransferRecord]] = {}
        self.withdrawals: dict[int, deque[int]] = {}  # account -> withdrawal ids

    def handlers(self) -> dict[type[Event], Callable[[Envelope, Any], None]]:
        return {
            Deposited: self._on_deposited,
            Transferred: self._on_transferred,
            WithdrawalRequested: self._on_withdrawal,
        }

    def _on_deposited(self, envelope: Envelope, event: Deposited) -> None:
        command = envelope.command
        chain = command.chain if isinstance(command, CreditDeposit) else ""
        address = command.address if isinstance(command, CreditDeposit) else ""
        record = DepositRecord(
            event.deposit_id, event.account, event.asset, event.amount_units, event.txid,
            chain, address, envelope.time_ns,
        )  # fmt: skip
        _push(self.deposits, event.account, record, self.deposit_capacity)

    def _on_transferred(self, envelope: Envelope, event: Transferred) -> None:
        command = envelope.command
        client_id = command.client_id if isinstance(command, TransferBetweenAccounts) else ""
        record = TransferRecord(
            envelope.seq, event.from_account, event.to_account, event.asset,
            event.amount_units, client_id, envelope.time_ns,
        )  # fmt: skip
        _push(self.transfers, event.from_account, record, self.transfer_capacity)
        _push(self.transfers, event.to_account, record, self.transfer_capacity)

    def _on_withdrawal(self, envelope: Envelope, event: WithdrawalRequested) -> None:
        _push(self.withdrawals, event.account, event.withdrawal_id, self.withdrawal_capacity)

    def withdrawals_newest_first(self, account: int) -> Iterator[int]:
        return reversed(self.withdrawals.get(account, ()))

    def deposits_newest_first(self, account: int) -> Iterator[DepositRecord]:
        return reversed(self.deposits.get(account, ()))

    def transfers_newest_first(self, account: int) -> Iterator[TransferRecord]:
        return reversed(self.transfers.get(account, ()))


def _push(table: dict[int, deque[Any]], account: int, record: Any, capacity: int) -> None:
    ring = table.get(account)
    if ring is None:
        ring = table[account] = deque(maxlen=capacity)
    ring.append(record)
