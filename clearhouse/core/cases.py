"""Compliance cases: what the venue did about an alert, as engine state with a lifecycle.

    open ──> investigating ──> closed                      (disposition + rationale)
      └──────────┴──> sar ──> sar_submitted ──> closed      (deadline from detection)

Cases are engine state changed only by journaled commands (OpenCase, UpdateCase, CloseCase,
FileSar, SubmitSar, SetCasePolicy), so every case action passes the policy gate, carries its
actor and reason in the journal, lands in the audit log, and replays bit for bit. There is no
command that deletes a case or reopens a closed one: a correction is a new case that points at
the old one. A case cannot close without a disposition and a written rationale, and a SAR
decision cannot be closed before the SAR was submitted (the "zero SARs" finding).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from clearhouse.core.commands import (
    CloseCase,
    FileSar,
    OpenCase,
    SetCasePolicy,
    SubmitSar,
    UpdateCase,
)
from clearhouse.core.context import Context
from clearhouse.core.errors import (
    FORBIDDEN,
    INVALID_PARAM_VALUE,
    NO_CHANGE,
    USER_NOT_FOUND,
    Rejected,
)
from clearhouse.core.events import (
    AlreadyApplied,
    CaseClosed,
    CaseOpened,
    CasePolicySet,
    CaseUpdated,
    SarFiled,
    SarSubmitted,
)

if TYPE_CHECKING:
    from clearhouse.core.state import State

CASE_NOT_FOUND: Final = "CASE_NOT_FOUND"
CASE_STATE: Final = "CASE_STATE"  # the action is not allowed in the case's current state

OPEN: Final = "open"
INVESTIGATING: Final = "investigating"
SAR: Final = "sar"
SAR_SUBMITTED: Final = "sar_submitted"
CLOSED: Final = "closed"
STATUSES: Final = (OPEN, INVESTIGATING, SAR, SAR_SUBMITTED, CLOSED)

SEVERITIES: Final = ("low", "medium", "high", "critical")
DISPOSITIONS: Final = (
    "false_positive",  # the rule fired on activity that is not what it looks for
    "no_suspicion",  # investigated; the activity has a legitimate explanation on file
    "relationship_exited",  # the venue offboarded the customer
    "referred",  # handed to another team or authority outside the SAR process
    "sar_submitted",  # only after SubmitSar
)

NS_PER_DAY: Final = 86_400 * 1_000_000_000
DEFAULT_SAR_DEADLINE_DAYS: Final = 30  # FinCEN: 30 calendar days from initial detection
DEFAULT_INVESTIGATION_SLA_DAYS: Final = 30
MAX_POLICY_DAYS: Final = 366
MIN_RATIONALE_CHARS: Final = 20  # a rationale is a sentence, not "ok"
MAX_TEXT_CHARS: Final = 4_000
MAX_TITLE_CHARS: Final = 200
MAX_REF_CHARS: Final = 128
MAX_ACCOUNTS_PER_CASE: Final = 64
MAX_ALERTS_PER_CASE: Final = 256
MAX_HISTORY: Final = 1_024  # entries per case; beyond it a case must be split (refused)


class Case:
    __slots__ = (
        "case_id",
        "key",
        "title",
        "severity",
        "subject_party",
        "accounts",
        "rule_id",
        "rule_version",
        "alert_ids",
        "summary",
        "detected_at_ns",
        "opened_at_ns",
        "opened_by",
        "status",
        "assignee",
        "disposition",
        "rationale",
        "closed_at_ns",
        "sar_filed_at_ns",
        "sar_deadline_ns",
        "sar_reference",
        "sar_submitted_at_ns",
        "history",
    )

    def __init__(self, case_id: int, cmd: OpenCase, detected_at_ns: int, ctx: Context) -> None:
        self.case_id = case_id
        self.key = cmd.key
        self.title = cmd.title
        self.severity = cmd.severity
        self.subject_party = cmd.subject_party
        self.accounts = cmd.accounts
        self.rule_id = cmd.rule_id
        self.rule_version = cmd.rule_version
        self.alert_ids: list[str] = list(cmd.alert_ids)
        self.summary = cmd.summary
        self.detected_at_ns = detected_at_ns
        self.opened_at_ns = ctx.time_ns
        self.opened_by = ctx.facts.actor
        self.status = OPEN
        self.assignee = ""
        self.disposition = ""
        self.rationale = ""
        self.closed_at_ns = 0
        self.sar_filed_at_ns = 0
        self.sar_deadline_ns = 0
        self.sar_reference = ""
        self.sar_submitted_at_ns = 0
        # (seq, time_ns, actor, action, text): who did what, when and why, in order
        self.history: list[tuple[int, int, str, str, str]] = []


class CaseBook:
    def __init__(self) -> None:
        self.cases: dict[int, Case] = {}
        self.by_key: dict[str, int] = {}
        self.next_case_id = 1
        self.sar_deadline_days = DEFAULT_SAR_DEADLINE_DAYS
        self.investigation_sla_days = DEFAULT_INVESTIGATION_SLA_DAYS


# --- checks (read only) --------------------------------------------------------------------------
def _require_actor(ctx: Context) -> str:
    if not ctx.facts.actor.strip():
        raise Rejected(FORBIDDEN, "case actions are attributed: the command needs an actor")
    return ctx.facts.actor


def _require_case(state: State, case_id: int) -> Case:
    case = state.cases.cases.get(case_id)
    if case is None:
        raise Rejected(CASE_NOT_FOUND, f"case {case_id} not found")
    return case


def _check_text(name: str, value: str, limit: int) -> None:
    printable = value.replace("\n", " ").replace("\t", " ").isprintable()
    if len(value) > limit or not printable:
        raise Rejected(INVALID_PARAM_VALUE, f"{name} must be printable, at most {limit} characters")


def _check_rationale(rationale: str) -> None:
    if len(rationale.strip()) < MIN_RATIONALE_CHARS:
        raise Rejected(
            INVALID_PARAM_VALUE,
            f"a rationale of at least {MIN_RATIONALE_CHARS} characters is required",
        )
    _check_text("rationale", rationale, MAX_TEXT_CHARS)


def _check_alert_ids(alert_ids: tuple[str, ...], have: int) -> None:
    if have + len(alert_ids) > MAX_ALERTS_PER_CASE:
        raise Rejected(INVALID_PARAM_VALUE, f"at most {MAX_ALERTS_PER_CASE} alerts per case")
    for alert_id in alert_ids:
        _check_text("alert id", alert_id, MAX_REF_CHARS)


def _check_history_room(case: Case) -> None:
    if len(case.history) >= MAX_HISTORY:
        raise Rejected(INVALID_PARAM_VALUE, f"case {case.case_id} has {MAX_HISTORY} entries")


def _note(case: Case, ctx: Context, action: str, text: str) -> None:
    case.history.append((ctx.seq, ctx.time_ns, ctx.facts.actor, action, text))


# --- handlers ------------------------------------------------------------------------------------
def open_case(state: State, cmd: OpenCase, ctx: Context) -> None:
    book = state.cases
    if cmd.key:
        seen = book.by_key.get(cmd.key)
        if seen is not None:
            ctx.events.append(AlreadyApplied("case:" + cmd.key, seen))
            return
    actor = _require_actor(ctx)
    if not cmd.title.strip():
        raise Rejected(INVALID_PARAM_VALUE, "a case needs a title")
    _check_text("title", cmd.title, MAX_TITLE_CHARS)
    _check_text("summary", cmd.summary, MAX_TEXT_CHARS)
    for name, value in (
        ("key", cmd.key),
        ("rule id", cmd.rule_id),
        ("rule version", cmd.rule_version),
    ):
        _check_text(name, value, MAX_REF_CHARS)
    if cmd.severity not in SEVERITIES:
        raise Rejected(INVALID_PARAM_VALUE, f"severity must be one of {', '.join(SEVERITIES)}")
    if cmd.subject_party and cmd.subject_party not in state.parties:
        raise Rejected(USER_NOT_FOUND, f"party {cmd.subject_party} not found")
    if len(cmd.accounts) > MAX_ACCOUNTS_PER_CASE:
        raise Rejected(INVALID_PARAM_VALUE, f"at most {MAX_ACCOUNTS_PER_CASE} accounts per case")
    for account in cmd.accounts:
        state.require_account(account)
    _check_alert_ids(cmd.alert_ids, 0)
    detected = cmd.detected_at_ns or ctx.time_ns
    if not 0 < detected <= ctx.time_ns:
        raise Rejected(INVALID_PARAM_VALUE, "detected_at_ns must be in the past")
    # --- nothing above this line writes ---
    case_id = book.next_case_id
    book.next_case_id += 1
    case = Case(case_id, cmd, detected, ctx)
    book.cases[case_id] = case
    if cmd.key:
        book.by_key[cmd.key] = case_id
    _note(case, ctx, "opened", ctx.facts.reason or cmd.summary)
    ctx.events.append(
        CaseOpened(case_id, cmd.key, cmd.severity, cmd.subject_party, cmd.accounts, detected, actor)
    )


def update_case(state: State, cmd: UpdateCase, ctx: Context) -> None:
    actor = _require_actor(ctx)
    case = _require_case(state, cmd.case_id)
    if case.status == CLOSED:
        raise Rejected(CASE_STATE, f"case {case.case_id} is closed")
    if cmd.status not in ("", INVESTIGATING):
        raise Rejected(INVALID_PARAM_VALUE, "status may only become 'investigating' here")
    if cmd.status == INVESTIGATING and case.status != OPEN:
        raise Rejected(CASE_STATE, f"case {case.case_id} is {case.status}, not open")
    if not (cmd.status or cmd.assignee or cmd.note.strip() or cmd.alert_ids):
        raise Rejected(NO_CHANGE, "nothing to change")
    _check_text("assignee", cmd.assignee, MAX_REF_CHARS)
    _check_text("note", cmd.note, MAX_TEXT_CHARS)
    _check_alert_ids(cmd.alert_ids, len(case.alert_ids))
    _check_history_room(case)
    # --- nothing above this line writes ---
    if cmd.status:
        case.status = cmd.status
    if cmd.assignee:
        case.assignee = cmd.assignee
    case.alert_ids.extend(a for a in cmd.alert_ids if a not in case.alert_ids)
    what = ", ".join(
        part
        for part in (
            f"status {cmd.status}" if cmd.status else "",
            f"assigned to {cmd.assignee}" if cmd.assignee else "",
            f"alerts {' '.join(cmd.alert_ids)}" if cmd.alert_ids else "",
        )
        if part
    )
    _note(case, ctx, "updated" + (f": {what}" if what else ""), cmd.note or ctx.facts.reason)
    ctx.events.append(CaseUpdated(case.case_id, case.status, case.assignee, actor))


def close_case(state: State, cmd: CloseCase, ctx: Context) -> None:
    actor = _require_actor(ctx)
    case = _require_case(state, cmd.case_id)
    if case.status == CLOSED:
        raise Rejected(CASE_STATE, f"case {case.case_id} is already closed")
    if case.status == SAR:
        raise Rejected(CASE_STATE, f"case {case.case_id} awaits its SAR: submit it first")
    if cmd.disposition not in DISPOSITIONS:
        raise Rejected(
            INVALID_PARAM_VALUE,
            f"a case closes only with a disposition, one of {', '.join(DISPOSITIONS)}",
        )
    if (cmd.disposition == "sar_submitted") != (case.status == SAR_SUBMITTED):
        raise Rejected(
            INVALID_PARAM_VALUE, "disposition sar_submitted is for, and only for, submitted SARs"
        )
    _check_rationale(cmd.rationale)
    _check_history_room(case)
    # --- nothing above this line writes ---
    case.status = CLOSED
    case.disposition = cmd.disposition
    case.rationale = cmd.rationale
    case.closed_at_ns = ctx.time_ns
    _note(case, ctx, f"closed: {cmd.disposition}", cmd.rationale)
    ctx.events.append(CaseClosed(case.case_id, cmd.disposition, actor))


def file_sar(state: State, cmd: FileSar, ctx: Context) -> None:
    actor = _require_actor(ctx)
    case = _require_case(state, cmd.case_id)
    if case.status not in (OPEN, INVESTIGATING):
        raise Rejected(CASE_STATE, f"case {case.case_id} is {case.status}: no SAR decision now")
    _check_rationale(cmd.rationale)
    _check_history_room(case)
    # --- nothing above this line writes ---
    deadline = case.detected_at_ns + state.cases.sar_deadline_days * NS_PER_DAY
    case.status = SAR
    case.rationale = cmd.rationale
    case.sar_filed_at_ns = ctx.time_ns
    case.sar_deadline_ns = deadline
    _note(case, ctx, "sar decided", cmd.rationale)
    ctx.events.append(SarFiled(case.case_id, deadline, actor))


def submit_sar(state: State, cmd: SubmitSar, ctx: Context) -> None:
    actor = _require_actor(ctx)
    case = _require_case(state, cmd.case_id)
    if case.status != SAR:
        raise Rejected(CASE_STATE, f"case {case.case_id} is {case.status}, not awaiting a SAR")
    if not cmd.reference.strip():
        raise Rejected(INVALID_PARAM_VALUE, "the filing reference is required")
    _check_text("reference", cmd.reference, MAX_REF_CHARS)
    _check_history_room(case)
    # --- nothing above this line writes ---
    case.status = SAR_SUBMITTED
    case.sar_reference = cmd.reference
    case.sar_submitted_at_ns = ctx.time_ns
    late = ctx.time_ns > case.sar_deadline_ns
    _note(case, ctx, "sar submitted" + (" late" if late else ""), cmd.reference)
    ctx.events.append(SarSubmitted(case.case_id, cmd.reference, late, actor))


def set_case_policy(state: State, cmd: SetCasePolicy, ctx: Context) -> None:
    _require_actor(ctx)
    for days in (cmd.sar_deadline_days, cmd.investigation_sla_days):
        if not 1 <= days <= MAX_POLICY_DAYS:
            raise Rejected(INVALID_PARAM_VALUE, f"days must be 1..{MAX_POLICY_DAYS}")
    # --- nothing above this line writes ---
    book = state.cases
    book.sar_deadline_days = cmd.sar_deadline_days
    book.investigation_sla_days = cmd.investigation_sla_days
    ctx.events.append(CasePolicySet(cmd.sar_deadline_days, cmd.investigation_sla_days))


# --- canonical form (snapshots and the state hash) -----------------------------------------------
def dump(book: CaseBook) -> list[Any]:
    return [
        book.next_case_id,
        book.sar_deadline_days,
        book.investigation_sla_days,
        [
            [
                c.case_id,
                c.key,
                c.title,
                c.severity,
                c.subject_party,
                list(c.accounts),
                c.rule_id,
                c.rule_version,
                list(c.alert_ids),
                c.summary,
                c.detected_at_ns,
                c.opened_at_ns,
                c.opened_by,
                c.status,
                c.assignee,
                c.disposition,
                c.rationale,
                c.closed_at_ns,
                c.sar_filed_at_ns,
                c.sar_deadline_ns,
                c.sar_reference,
                c.sar_submitted_at_ns,
                [list(entry) for entry in c.history],
            ]  # fmt: skip
            for c in (book.cases[i] for i in sorted(book.cases))
        ],
    ]


def load(raw: list[Any] | None) -> CaseBook:
    book = CaseBook()
    if raw is None:  # a snapshot from before cases existed
        return book
    book.next_case_id, book.sar_deadline_days, book.investigation_sla_days, cases = raw
    for row in cases:
        case = Case.__new__(Case)
        (
            case.case_id, case.key, case.title, case.severity, case.subject_party, accounts,
            case.rule_id, case.rule_version, alert_ids, case.summary, case.detected_at_ns,
            case.opened_at_ns, case.opened_by, case.status, case.assignee, case.disposition,
            case.rationale, case.closed_at_ns, case.sar_filed_at_ns, case.sar_deadline_ns,
            case.sar_reference, case.sar_submitted_at_ns, history,
        ) = row  # fmt: skip
        case.accounts = tuple(accounts)
        case.alert_ids = list(alert_ids)
        case.history = [(e[0], e[1], e[2], e[3], e[4]) for e in history]
        book.cases[case.case_id] = case
        if case.key:
            book.by_key[case.key] = case.case_id
    return book
