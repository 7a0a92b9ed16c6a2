"""The audit log's venue listener: one record per audited command, derived from the journal.

What is audited: every command that arrived on the admin channel, and every command of a kind
that is not a customer's own trading or a market feed — configuration, listings, parties and
KYC, API keys, withdrawal approvals, cases and SARs, and any command type added later (the set
below names what is *not* audited, so a new compliance command is audited by default). Each
record carries the actor and reason from the command's facts, the outcome (applied, or the
rejection label), what it was about, the command's fields (secrets redacted) and the SHA-256 of
its journal payload, which `verify` checks against the journal.

Records are derived, so after a crash the recorder catches up from the journal: on start it
skips envelopes up to the newest seq already in the log.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

import msgspec

from clearhouse.audit.log import AuditLog
from clearhouse.core.commands import (
    AdvanceTime,
    AmendOrder,
    CancelAllOrders,
    CancelOrder,
    CancelTriggerOrder,
    Command,
    CreditDeposit,
    Envelope,
    PlaceOrder,
    PlaceTriggerOrder,
    RequestWithdrawal,
    SetIndexPrice,
    TransferBetweenAccounts,
    encode_envelope,
)
from clearhouse.core.events import CommandRejected, Event

ADMIN_CHANNEL: Final = "admin"
# Customers' own trading and money movement, clock ticks and market feeds: journaled, but not
# administrative actions. Anything else is audited.
NOT_AUDITED: Final[frozenset[type[Command]]] = frozenset(
    {
        PlaceOrder, CancelOrder, CancelAllOrders, AmendOrder, PlaceTriggerOrder,
        CancelTriggerOrder, RequestWithdrawal, TransferBetweenAccounts, AdvanceTime,
        CreditDeposit, SetIndexPrice,
    }
)  # fmt: skip
SECRET_FIELDS: Final = ("secret", "password", "token")
MAX_EVENT_NAMES: Final = 32
SUBJECT_FIELDS: Final = (
    "case_id", "account", "uid", "withdrawal_id", "party", "market", "code", "key", "name",
)  # fmt: skip


def is_audited(envelope: Envelope) -> bool:
    return envelope.facts.channel == ADMIN_CHANNEL or type(envelope.command) not in NOT_AUDITED


def command_fields(command: Command) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in command.__struct_fields__:
        value = getattr(command, name)
        if any(word in name for word in SECRET_FIELDS):
            out[name] = "<redacted>"
        else:
            out[name] = msgspec.to_builtins(value)
    return out


def subject_of(command: Command) -> str:
    for name in SUBJECT_FIELDS:
        value = getattr(command, name, None)
        if value not in (None, "", 0):
            return f"{name.removesuffix('_id')} {value}"
    return ""


def command_record(envelope: Envelope, events: list[Event]) -> dict[str, Any]:
    command = envelope.command
    facts = envelope.facts
    rejected = events[0] if events and type(events[0]) is CommandRejected else None
    outcome = (
        f"rejected: {rejected.label}: {rejected.message}"
        if isinstance(rejected, CommandRejected)
        else "applied"
    )
    return {
        "kind": "command",
        "action": type(command).__name__,
        "actor": facts.actor or "system",
        "reason": facts.reason,
        "channel": facts.channel,
        "ip": facts.ip,
        "seq": envelope.seq,
        "time_ns": envelope.time_ns,
        "subject": subject_of(command),
        "outcome": outcome,
        "events": [type(e).__name__ for e in events[:MAX_EVENT_NAMES]],
        "detail": command_fields(command),
        "digest": hashlib.sha256(encode_envelope(envelope)).hexdigest(),
    }


class AuditRecorder:
    def __init__(self, log: AuditLog) -> None:
        self.log = log
        self.failures = 0

    def __call__(self, envelope: Envelope, events: list[Event]) -> None:
        if envelope.seq <= self.log.last_seq or not is_audited(envelope):
            return
        self.log.append(command_record(envelope, events))
