"""Money in and out: deposit and withdrawal records, withdrawal requests, sub-account transfers.

Deposits are credited by the operator (admin API) when funds arrive; withdrawals are requested
here, held, and approved or rejected by the operator.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any, Final

from clearhouse.api.endpoint import Call, Endpoint, Handler
from clearhouse.api.errors import ApiError
from clearhouse.api.rest import shapes
from clearhouse.api.rest.common import in_time_range, projections_of, state_of, window
from clearhouse.api.rest.views import seconds_text
from clearhouse.core.commands import RequestWithdrawal, TransferBetweenAccounts
from clearhouse.core.errors import SUB_ACCOUNT_NOT_FOUND
from clearhouse.core.events import AlreadyApplied, WithdrawalRequested
from clearhouse.core.state import State
from clearhouse.core.units import format_units, to_units
from clearhouse.core.wallet import DONE, PENDING, Withdrawal

V4: Final = "/api/v4"
TAG: Final = "wallet"
# Gate's withdrawal states for ours: waiting for review, sent, refused
WITHDRAWAL_STATUS: Final = {PENDING: "REQUEST", DONE: "DONE", "rejected": "FAIL"}


def _amount(state: State, asset: str, units: int) -> str:
    return format_units(units, state.assets[asset].scale)


def withdrawal_record(state: State, withdrawal: Withdrawal) -> shapes.LedgerRecord:
    return shapes.LedgerRecord(
        id=f"w{withdrawal.withdrawal_id}",
        txid=withdrawal.txid,
        withdraw_order_id=withdrawal.client_id,
        timestamp=seconds_text(withdrawal.time_ns),
        amount=_amount(state, withdrawal.asset, withdrawal.amount_units),
        fee="0",
        currency=withdrawal.asset,
        address=withdrawal.address,
        memo="",
        status=WITHDRAWAL_STATUS.get(withdrawal.status, withdrawal.status.upper()),
        chain=withdrawal.chain,
    )


async def list_deposits(call: Call) -> list[shapes.LedgerRecord]:
    query: shapes.LedgerQuery = call.query
    state = state_of(call)
    if query.currency is not None:
        state.require_asset(query.currency)
    chosen = (
        d
        for d in projections_of(call).wallet.deposits_newest_first(call.account)
        if (query.currency is None or d.asset == query.currency)
        and in_time_range(d.time_ns, query.from_, query.to)
    )
    return [
        shapes.LedgerRecord(
            id=f"d{d.deposit_id}",
            txid=d.txid,
            withdraw_order_id="",
            timestamp=seconds_text(d.time_ns),
            amount=_amount(state, d.asset, d.amount_units),
            fee="0",
            currency=d.asset,
            address=d.address,
            memo="",
            status="DONE",
            chain=d.chain,
        )  # fmt: skip
        for d in window(chosen, query.offset, query.limit)
    ]


async def list_withdrawals(call: Call) -> list[shapes.LedgerRecord]:
    query: shapes.LedgerQuery = call.query
    state = state_of(call)
    if query.currency is not None:
        state.require_asset(query.currency)
    ids = projections_of(call).wallet.withdrawals_newest_first(call.account)
    chosen: Iterator[Withdrawal] = (
        w
        for w in (state.withdrawals[i] for i in ids)
        if (query.currency is None or w.asset == query.currency)
        and in_time_range(w.time_ns, query.from_, query.to)
    )
    return [withdrawal_record(state, w) for w in window(chosen, query.offset, query.limit)]


async def withdraw(call: Call) -> shapes.LedgerRecord:
    body: shapes.WithdrawRequest = call.body
    state = state_of(call)
    state.require_asset(body.currency)
    command = RequestWithdrawal(
        account=call.account,
        asset=body.currency,
        amount_units=to_units(body.amount, state.assets[body.currency].scale),
        # the idempotence key: the client's, else a fresh one (then a retry is a new request)
        client_id=body.withdraw_order_id or "api-" + secrets.token_hex(8),
        address=body.address,
        chain=body.chain,
        travel_rule=body.travel_rule,
    )
    events = await call.submit(command)
    event = events[0]
    if type(event) is WithdrawalRequested:
        withdrawal_id = event.withdrawal_id
    else:
        assert type(event) is AlreadyApplied
        withdrawal_id = event.ref
    return withdrawal_record(state, state.withdrawals[withdrawal_id])


def _own_sub_account(state: State, master: int, sub_text: str) -> int:
    sub = int(sub_text)
    account = state.accounts.get(sub)
    if account is None or account.parent != master or state.accounts[master].parent:
        raise ApiError(SUB_ACCOUNT_NOT_FOUND, f"sub-account {sub_text} not found")
    return sub


async def sub_account_transfer(call: Call) -> shapes.TransferCreated:
    body: shapes.SubAccountTransferRequest = call.body
    state = state_of(call)
    state.require_account(call.account)
    sub = _own_sub_account(state, call.account, body.sub_account)
    state.require_asset(body.currency)
    source, target = (call.account, sub) if body.direction == "to" else (sub, call.account)
    client_id = body.client_order_id or "api-" + secrets.token_hex(8)
    command = TransferBetweenAccounts(
        from_account=source,
        to_account=target,
        asset=body.currency,
        amount_units=to_units(body.amount, state.assets[body.currency].scale),
        client_id=client_id,
    )
    await call.submit(command)
    for record in projections_of(call).wallet.transfers_newest_first(call.account):
        if record.client_id == client_id:
            return shapes.TransferCreated(tx_id=record.transfer_id)
    raise AssertionError("an accepted transfer is in the transfer history")


async def list_sub_account_transfers(call: Call) -> list[shapes.SubAccountTransfer]:
    query: shapes.SubAccountTransfersQuery = call.query
    state = state_of(call)
    wanted = {int(uid) for uid in query.sub_uid.split(",")} if query.sub_uid else None
    out: list[shapes.SubAccountTransfer] = []
    records = projections_of(call).wallet.transfers_newest_first(call.account)
    chosen = (
        r
        for r in records
        if in_time_range(r.time_ns, query.from_, query.to)
        and (wanted is None or {r.from_account, r.to_account} & wanted)
    )
    for r in window(chosen, query.offset, query.limit):
        outgoing = r.from_account == call.account
        out.append(
            shapes.SubAccountTransfer(
                timest=seconds_text(r.time_ns),
                uid=str(call.account),
                sub_account=str(r.to_account if outgoing else r.from_account),
                sub_account_type="spot",
                currency=r.asset,
                amount=_amount(state, r.asset, r.amount_units),
                direction="to" if outgoing else "from",
                source="api",
                client_order_id=r.client_id,
                status="success",
            )
        )
    return out


def _ep(method: str, path: str, handler: Handler, summary: str, **kwargs: Any) -> Endpoint:
    return Endpoint(method, V4 + path, handler, "signed", summary, TAG, **kwargs)


ENDPOINTS: Final = [
    _ep("GET", "/wallet/deposits", list_deposits, "Deposit records, newest first",
        query=shapes.LedgerQuery, response=list[shapes.LedgerRecord]),
    _ep("GET", "/wallet/withdrawals", list_withdrawals, "Withdrawal records, newest first",
        query=shapes.LedgerQuery, response=list[shapes.LedgerRecord]),
    _ep("POST", "/withdrawals", withdraw, "Request a withdrawal (held for review)",
        body=shapes.WithdrawRequest, response=shapes.LedgerRecord),
    _ep("POST", "/wallet/sub_account_transfers", sub_account_transfer,
        "Move funds between the main account and one of its sub-accounts",
        body=shapes.SubAccountTransferRequest, response=shapes.TransferCreated),
    _ep("GET", "/wallet/sub_account_transfers", list_sub_account_transfers,
        "Main/sub-account transfers, newest first", query=shapes.SubAccountTransfersQuery,
        response=list[shapes.SubAccountTransfer]),
]  # fmt: skip
