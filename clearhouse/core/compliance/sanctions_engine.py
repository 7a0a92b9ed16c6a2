"""Sanctions screening inside the engine: lists, decisions about parties, frozen deposits.

The rules of the venue, in the order a newcomer meets them:

- Lists are loaded by a journaled command (`LoadSanctionsList`) that carries the entries, so a
  replay reproduces every decision exactly. The venue ships no list: until one is loaded every
  decision is "clear" against the version of no lists, and says so.
- Every party is name-screened as it is registered (`RegisterParty`, `OnboardUser`, a
  sub-account's beneficial owner, and any owner or controller registered as a party), and every
  party again whenever a list with names changes. Removals lift hits just as additions impose
  them. (A list of bare addresses cannot change a name decision, so loading one rescreens the
  frozen deposits only.)
- A decision is clear, review or block (thresholds 0.85 / 0.95 by default; a weak alias alone
  never blocks). Review holds the party: no trading, no withdrawal, until a reviewer decides
  (`ResolveScreeningReview`, with actor and reason). Block does the same for good. On either,
  every open order and trigger of every account the party owns or is beneficial owner of is
  cancelled at once, so nothing of theirs can fill.
- A deposit from a listed address is credited, and frozen in the owner's FROZEN bucket (the
  ledger stays balanced), with a `SanctionsHit` for compliance. If the address is delisted the
  funds are released; a compliance officer can release them too (`ReleaseFrozenDeposit`).
- A withdrawal to a listed address is refused by the policy gate (`sanctions_gate.py`).

Every decision event carries the screening version it was made against.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from clearhouse.core.accounts import Account, Party
from clearhouse.core.commands import (
    CancelAllOrders,
    CancelTriggerOrder,
    CreditDeposit,
    LoadSanctionsList,
    ReleaseFrozenDeposit,
    ResolveScreeningReview,
)
from clearhouse.core.compliance.addresses import AddressScreeningResult, normalize_address
from clearhouse.core.compliance.sanctions_list import AliasStrength
from clearhouse.core.compliance.sanctions_lists import validate_load
from clearhouse.core.compliance.sanctions_state import (
    BLOCKED,
    CLEAR,
    DECIDE_BLOCK,
    PPM,
    REVIEW,
    FrozenDeposit,
    NameHit,
    PartyScreening,
    SanctionsState,
    build_address_screener,
    build_name_screener,
)
from clearhouse.core.compliance.screening import MAX_QUERY_CHARS, Decision
from clearhouse.core.context import Context
from clearhouse.core.errors import (
    INVALID_PARAM_VALUE,
    NO_CHANGE,
    USER_NOT_FOUND,
    Rejected,
)
from clearhouse.core.events import (
    FundsFrozen,
    FundsReleased,
    PartiesRescreened,
    PartyScreened,
    SanctionsHit,
    SanctionsListLoaded,
    ScreeningReviewResolved,
)
from clearhouse.core.ledger import AVAILABLE, FROZEN, ledger_key
from clearhouse.core.products import spot, spot_triggers

if TYPE_CHECKING:
    from clearhouse.core.state import State

MAX_REASON_CHARS: Final = 512
OUTCOMES: Final = ("clear", "block")
_SEVERITY: Final = {CLEAR: 0, REVIEW: 1, BLOCKED: 2}

ONBOARDING: Final = "onboarding"
LIST_CHANGE: Final = "list_change"


# --- screening a name ------------------------------------------------------------------------
def screen_name(sanctions: SanctionsState, name: str) -> tuple[tuple[NameHit, ...], int]:
    """Every entry the name matches at review level or above (best first), and the best score
    seen at all, in parts per million."""
    names, _ = sanctions.screeners()
    if names is None:
        return (), 0
    result = names.screen(name[:MAX_QUERY_CHARS])
    thresholds = sanctions.thresholds
    hits = tuple(
        NameHit(
            m.entry_id,
            m.matched_name,
            round(m.score * PPM),
            thresholds.decide(m.score, may_block=m.alias_strength is not AliasStrength.WEAK).value,
        )
        for m in result.matches
    )
    return hits, round(result.score * PPM)


def list_decision(hits: tuple[NameHit, ...]) -> str:
    """What the lists alone decide, before any review: block, review or clear."""
    if any(h.decision == DECIDE_BLOCK for h in hits):
        return Decision.BLOCK.value
    return Decision.REVIEW.value if hits else Decision.CLEAR.value


def _screened_event(
    sanctions: SanctionsState, party: int, record: PartyScreening | None, best_ppm: int,
    trigger: str,
) -> PartyScreened:  # fmt: skip
    if record is None:
        return PartyScreened(
            party, Decision.CLEAR.value, CLEAR, best_ppm, "", "", sanctions.version, trigger
        )
    top = record.top_hit()
    assert top is not None
    return PartyScreened(
        party,
        list_decision(record.hits),
        record.status,
        top.score_ppm,
        top.entry_id,
        top.matched_name,
        sanctions.version,
        trigger,
    )


def _name_hit_event(sanctions: SanctionsState, record: PartyScreening) -> SanctionsHit:
    top = record.top_hit()
    assert top is not None
    return SanctionsHit(
        "name",
        record.party,
        0,
        top.entry_id,
        top.score_ppm,
        sanctions.version,
        f"party {record.party} matches {top.matched_name!r} ({top.entry_id}): {record.status}",
    )


# --- holds: what review and block do to a party's accounts -------------------------------------
def people_behind(state: State, party: int) -> tuple[int, ...]:
    """The party and, for a business, its declared owners and controllers (all screened)."""
    structure = state.identity.structure(party)
    return (party, *structure.people()) if structure is not None else (party,)


def held_party(state: State, account: Account) -> tuple[int, str] | None:
    """The party that sanctions screening holds behind this account, and how (worst first):
    its owner, its beneficial owner, or an owner or controller of either if a business."""
    held = state.sanctions.held
    worst: tuple[int, str] | None = None
    for party in dict.fromkeys((account.owner, account.beneficial_owner)):
        for person in people_behind(state, party):
            status = held.get(person)
            if status is not None and (worst is None or _SEVERITY[status] > _SEVERITY[worst[1]]):
                worst = (person, status)
    return worst


def accounts_of(state: State, party: int) -> list[Account]:
    """Accounts a hold on the party stops: those it owns (sub-accounts included) or is the
    beneficial owner of, and those of every business it owns or controls."""
    parties = {party, *state.identity.businesses_of_person.get(party, ())}
    return [
        state.accounts[a]
        for a in sorted(state.accounts)
        if state.accounts[a].owner in parties or state.accounts[a].beneficial_owner in parties
    ]


def _cancel_everything(state: State, account: Account, ctx: Context) -> None:
    markets = sorted(m for m, n in account.open_orders_by_market.items() if n)
    for market in markets:
        spot.cancel_all_orders(state, CancelAllOrders(account.account_id, market), ctx)
    triggers = sorted(
        (t.trigger_id, t.market)
        for t in state.triggers_by_id.values()
        if t.account == account.account_id
    )
    for trigger_id, market in triggers:
        spot_triggers.cancel_trigger_order(
            state, CancelTriggerOrder(account.account_id, market, trigger_id), ctx
        )


def _hold(state: State, party: int, ctx: Context) -> None:
    for account in accounts_of(state, party):
        _cancel_everything(state, account, ctx)


# --- onboarding --------------------------------------------------------------------------------
def screen_new_party(state: State, party: Party, ctx: Context) -> None:
    """Screen a party as it is registered. Called for every party the engine creates."""
    sanctions = state.sanctions
    hits, best_ppm = screen_name(sanctions, party.name)
    record: PartyScreening | None = None
    if hits:
        record = PartyScreening(party.party_id, hits)
        sanctions.screenings[party.party_id] = record
        sanctions.set_status(record, record.decide())
    ctx.events.append(_screened_event(sanctions, party.party_id, record, best_ppm, ONBOARDING))
    if record is not None:
        ctx.events.append(_name_hit_event(sanctions, record))
        _hold(state, party.party_id, ctx)


# --- loading a list ----------------------------------------------------------------------------
def load_sanctions_list(state: State, cmd: LoadSanctionsList, ctx: Context) -> None:
    sanctions = state.sanctions
    loaded = validate_load(sanctions, cmd)
    previous = sanctions.lists.get(cmd.source)
    # A list of bare addresses replacing another (OFAC's per-ticker extracts) leaves every name
    # decision as it was: the name screener is kept and nobody's name is screened again.
    names_changed = bool(loaded.names.entries) or (
        previous is not None and bool(previous.names.entries)
    )
    lists = dict(sanctions.lists)
    lists[cmd.source] = loaded
    # pure, so it may run before any write
    names = (
        build_name_screener(lists, sanctions.thresholds)
        if names_changed
        else sanctions.screeners()[0]
    )
    addresses_screener = build_address_screener(lists)
    # --- nothing above this line writes ---
    sanctions.install(lists, (names, addresses_screener))
    addresses = len(loaded.addresses.addresses) + sum(len(e.wallets) for e in loaded.names.entries)
    ctx.events.append(
        SanctionsListLoaded(
            cmd.source,
            cmd.version,
            len(loaded.names.entries),
            addresses,
            sanctions.version,
            cmd.published,
        )
    )
    if names_changed:
        _rescreen_parties(state, ctx)
    _rescreen_frozen(state, ctx)


def _rescreen_parties(state: State, ctx: Context) -> None:
    sanctions = state.sanctions
    changed = 0
    for party_id in sorted(state.parties):
        hits, _ = screen_name(sanctions, state.parties[party_id].name)
        previous = sanctions.screenings.get(party_id)
        if previous is None and not hits:
            continue
        old_status = previous.status if previous is not None else CLEAR
        old_entries = frozenset(h.entry_id for h in previous.hits) if previous else frozenset()
        entries = frozenset(h.entry_id for h in hits)
        record: PartyScreening | None = None
        if hits:
            record = previous if previous is not None else PartyScreening(party_id, hits)
            record.hits = hits
            record.cleared &= entries  # reviews of lifted hits lapse with them
            record.confirmed &= entries
            sanctions.screenings[party_id] = record
            sanctions.set_status(record, record.decide())
        else:
            assert previous is not None
            del sanctions.screenings[party_id]
            sanctions.held.pop(party_id, None)
        new_status = record.status if record is not None else CLEAR
        if new_status == old_status and entries == old_entries:
            continue  # a score that moved a little decides nothing new
        changed += 1
        ctx.events.append(_screened_event(sanctions, party_id, record, 0, LIST_CHANGE))
        if record is None or new_status == CLEAR:
            continue
        if _SEVERITY[new_status] > _SEVERITY[old_status] or entries - old_entries - record.cleared:
            ctx.events.append(_name_hit_event(sanctions, record))  # a new hit or a worse one
        if _SEVERITY[new_status] > _SEVERITY[old_status]:
            _hold(state, party_id, ctx)
    ctx.events.append(PartiesRescreened(sanctions.version, len(state.parties), changed))


def _rescreen_frozen(state: State, ctx: Context) -> None:
    sanctions = state.sanctions
    _, addresses = sanctions.screeners()
    for deposit_id in sorted(sanctions.frozen):
        frozen = sanctions.frozen[deposit_id]
        if addresses is None or not addresses.screen(frozen.chain, frozen.address).hits:
            _release(state, frozen, "delisted", "", ctx)


# --- reviews -----------------------------------------------------------------------------------
def _require_actor_and_reason(actor: str, reason: str) -> None:
    if not actor:
        raise Rejected(INVALID_PARAM_VALUE, "a compliance decision needs an actor")
    if not reason.strip() or len(reason) > MAX_REASON_CHARS:
        raise Rejected(INVALID_PARAM_VALUE, f"a reason of 1..{MAX_REASON_CHARS} characters")


def resolve_screening_review(state: State, cmd: ResolveScreeningReview, ctx: Context) -> None:
    sanctions = state.sanctions
    if cmd.party not in state.parties:
        raise Rejected(USER_NOT_FOUND, f"party {cmd.party} not found")
    if cmd.outcome not in OUTCOMES:
        raise Rejected(INVALID_PARAM_VALUE, f"outcome must be one of {', '.join(OUTCOMES)}")
    _require_actor_and_reason(ctx.facts.actor, cmd.reason)
    record = sanctions.screenings.get(cmd.party)
    open_hits = record.open_hits() if record is not None else ()
    if record is None or not open_hits:
        raise Rejected(NO_CHANGE, f"party {cmd.party} has no open screening hit to decide")
    entries = frozenset(h.entry_id for h in open_hits)
    if cmd.outcome == "block" and entries <= record.confirmed:
        raise Rejected(NO_CHANGE, f"party {cmd.party}'s hits are already confirmed")
    # --- nothing above this line writes ---
    old_status = record.status
    if cmd.outcome == "clear":
        record.cleared |= entries
        record.confirmed -= entries
    else:
        record.confirmed |= entries
    record.reviewed_by = ctx.facts.actor
    record.review_reason = cmd.reason
    sanctions.set_status(record, record.decide())
    ctx.events.append(
        ScreeningReviewResolved(
            cmd.party,
            cmd.outcome,
            record.status,
            tuple(sorted(entries)),
            ctx.facts.actor,
            cmd.reason,
            sanctions.version,
        )
    )
    if _SEVERITY[record.status] > _SEVERITY[old_status]:
        _hold(state, cmd.party, ctx)


# --- deposits from listed addresses ------------------------------------------------------------
def screen_deposit(state: State, cmd: CreditDeposit) -> AddressScreeningResult | None:
    """The screening result of a deposit's source address when it is listed, else None.
    Reads only; refuses an address that is not one."""
    if not cmd.address:
        return None
    try:
        normalize_address(cmd.address)
    except ValueError:
        raise Rejected(INVALID_PARAM_VALUE, "the deposit's address is not an address") from None
    _, addresses = state.sanctions.screeners()
    if addresses is None:
        return None
    result = addresses.screen(cmd.chain, cmd.address)
    return result if result.hits else None


def freeze_deposit(
    state: State, deposit_id: int, cmd: CreditDeposit, result: AddressScreeningResult,
    ctx: Context,
) -> None:  # fmt: skip
    """Move a just-credited deposit from AVAILABLE to FROZEN and tell compliance."""
    sanctions = state.sanctions
    asset = state.asset_index[cmd.asset]
    hit = result.hits[0]
    entry_id = hit.entry_id or f"{hit.source}:{result.normalized}"
    state.ledger.transfer(
        ledger_key(cmd.account, asset, AVAILABLE),
        ledger_key(cmd.account, asset, FROZEN),
        cmd.amount_units,
    )
    frozen = FrozenDeposit(
        deposit_id,
        cmd.account,
        cmd.asset,
        cmd.amount_units,
        result.chain,
        cmd.address,
        entry_id,
        sanctions.version,
    )
    sanctions.frozen[deposit_id] = frozen
    ctx.events.append(
        FundsFrozen(
            deposit_id,
            cmd.account,
            cmd.asset,
            cmd.amount_units,
            result.chain,
            cmd.address,
            entry_id,
            sanctions.version,
        )
    )
    ctx.events.append(
        SanctionsHit(
            "deposit_address",
            state.accounts[cmd.account].beneficial_owner,
            cmd.account,
            entry_id,
            PPM,
            sanctions.version,
            f"deposit {deposit_id} of {cmd.amount_units} {cmd.asset} units from listed "
            f"address {cmd.address} ({result.chain or 'chain not stated'}) frozen",
        )
    )


def _release(state: State, frozen: FrozenDeposit, reason: str, actor: str, ctx: Context) -> None:
    asset = state.asset_index[frozen.asset]
    state.ledger.transfer(
        ledger_key(frozen.account, asset, FROZEN),
        ledger_key(frozen.account, asset, AVAILABLE),
        frozen.amount_units,
    )
    del state.sanctions.frozen[frozen.deposit_id]
    ctx.events.append(
        FundsReleased(
            frozen.deposit_id,
            frozen.account,
            frozen.asset,
            frozen.amount_units,
            reason,
            actor,
            state.sanctions.version,
        )
    )


def release_frozen_deposit(state: State, cmd: ReleaseFrozenDeposit, ctx: Context) -> None:
    frozen = state.sanctions.frozen.get(cmd.deposit_id)
    if frozen is None:
        raise Rejected(INVALID_PARAM_VALUE, f"deposit {cmd.deposit_id} is not frozen")
    _require_actor_and_reason(ctx.facts.actor, cmd.reason)
    # --- nothing above this line writes ---
    _release(state, frozen, cmd.reason, ctx.facts.actor, ctx)


def frozen_totals(sanctions: SanctionsState) -> dict[tuple[int, str], int]:
    """(account, asset) -> units frozen, recomputed from the records (for the invariants)."""
    totals: dict[tuple[int, str], int] = {}
    for frozen in sanctions.frozen.values():
        key = (frozen.account, frozen.asset)
        totals[key] = totals.get(key, 0) + frozen.amount_units
    return totals
