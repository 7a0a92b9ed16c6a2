"""Sanctions screening and the Travel Rule in the operator API (under /api/ch/v1/admin).

Screening a name or an address is a read-only query against the lists the engine holds now, and
answers with the same thresholds and the same list version the engine's own decisions record.
Everything that changes something (loading a list, deciding a review, releasing frozen funds,
the Travel Rule threshold) is an engine command with the caller's actor and reason.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path
from typing import Any, Final

import msgspec

from clearhouse.api.admin import screening_shapes as shapes
from clearhouse.api.endpoint import Call, Endpoint, Handler
from clearhouse.api.errors import INVALID_PARAM_VALUE, NOT_FOUND, REQUEST_TOO_LARGE, ApiError
from clearhouse.api.rest.common import state_of
from clearhouse.core.commands import (
    ConfigureTravelRule,
    LoadSanctionsList,
    ReleaseFrozenDeposit,
    ResolveScreeningReview,
)
from clearhouse.core.compliance.addresses import AddressScreener
from clearhouse.core.compliance.sanctions_engine import accounts_of, list_decision, screen_name
from clearhouse.core.compliance.sanctions_list import SanctionsEntry
from clearhouse.core.compliance.sanctions_payload import ListAlias, ListEntry, ListWallet
from clearhouse.core.compliance.sanctions_state import PPM, PartyScreening
from clearhouse.core.compliance.travel_rule import usd_text
from clearhouse.core.events import (
    Event,
    FundsReleased,
    PartiesRescreened,
    SanctionsListLoaded,
)
from clearhouse.core.state import State
from clearhouse.core.units import format_units, parse_decimal, to_units
from clearhouse.journal.record import MAX_PAYLOAD_BYTES
from clearhouse.sanctions.commands import load_command
from clearhouse.sanctions.paths import sanctions_data_dir

ADMIN: Final = "/api/ch/v1/admin"
TAG: Final = "screening"
SANCTIONS_DIR_ENV: Final = "CLEARHOUSE_SANCTIONS_DIR"
# A list command must fit one journal record with room to spare (envelope, facts).
MAX_LIST_COMMAND_BYTES: Final = MAX_PAYLOAD_BYTES - 64 * 1024
_encoder = msgspec.msgpack.Encoder()
# The engine's words, as the response shapes' literal types
_DECISIONS: Final[dict[str, shapes.Decision]] = {
    "clear": "clear",
    "review": "review",
    "block": "block",
}
_STATUSES: Final[dict[str, shapes.PartyStatus]] = {
    "clear": "clear",
    "review": "review",
    "blocked": "blocked",
}


def _score(ppm: int) -> float:
    return ppm / PPM


def _entry_view(state: State, entry_id: str, matched: str, score_ppm: int) -> shapes.MatchedEntry:
    entry: SanctionsEntry | None = state.sanctions.entry(entry_id)
    if entry is None:  # a bare listed address: "<source>:<address>"
        source = entry_id.split(":", 1)[0]
        return shapes.MatchedEntry(entry_id, source, "", matched, "", [], _score(score_ppm))
    return shapes.MatchedEntry(
        entry_id=entry.entry_id,
        source=entry.source,
        name=entry.primary_name,
        matched=matched,
        entity_type=entry.entity_type.value,
        programs=list(entry.programs),
        score=_score(score_ppm),
    )


# --- ad-hoc screening ----------------------------------------------------------------------------
async def screen_a_name(call: Call) -> shapes.NameScreening:
    body: shapes.NameScreenRequest = call.body
    state = state_of(call)
    sanctions = state.sanctions
    hits, best_ppm = screen_name(sanctions, body.name)
    matches = [_entry_view(state, h.entry_id, h.matched_name, h.score_ppm) for h in hits]
    return shapes.NameScreening(
        name=body.name,
        decision=_DECISIONS[list_decision(hits)],
        score=_score(best_ppm),
        matched_entry=matches[0] if matches else None,
        matches=matches,
        list_version=sanctions.version,
        review_threshold=sanctions.thresholds.review,
        block_threshold=sanctions.thresholds.block,
    )


async def screen_an_address(call: Call) -> shapes.AddressScreening:
    body: shapes.AddressScreenRequest = call.body
    state = state_of(call)
    _, screener = state.sanctions.screeners()
    try:
        result = (screener or AddressScreener()).screen(body.chain, body.address)
    except ValueError as exc:
        raise ApiError(INVALID_PARAM_VALUE, str(exc)) from None
    matched = None
    if result.hits:
        hit = result.hits[0]
        entry_id = hit.entry_id or f"{hit.source}:{result.normalized}"
        matched = _entry_view(state, entry_id, hit.listed_address, PPM)
    return shapes.AddressScreening(
        address=body.address,
        chain=result.chain,
        normalized=result.normalized,
        decision=_DECISIONS[result.decision.value],
        score=1.0 if result.hits else 0.0,
        reason=result.reason,
        matched_entry=matched,
        list_version=state.sanctions.version,
    )


# --- lists ---------------------------------------------------------------------------------------
async def list_lists(call: Call) -> shapes.ListsView:
    sanctions = state_of(call).sanctions
    views = []
    for source in sorted(sanctions.lists):
        loaded = sanctions.lists[source]
        wallets = sum(len(e.wallets) for e in loaded.names.entries)
        views.append(
            shapes.LoadedListView(
                source,
                loaded.version,
                loaded.published,
                len(loaded.names.entries),
                wallets + len(loaded.addresses.addresses),
            )  # fmt: skip
        )
    return shapes.ListsView(sanctions.version, views)


def _server_roots(call: Call) -> list[Path]:
    roots: list[Path] = []
    configured = os.environ.get(SANCTIONS_DIR_ENV)
    if configured:
        roots.append(Path(configured))
    data_dir = call.runtime.settings.data_dir or call.runtime.venue.data_dir
    if data_dir is not None:
        roots.append(data_dir / "sanctions")
    shared = sanctions_data_dir()
    if shared is not None:
        roots.append(shared)
    return roots


def _server_path(call: Call, relative: str) -> Path:
    """A path under one of the allowed roots; never outside them (no absolute paths, no ..)."""
    given = Path(relative)
    if given.is_absolute() or ".." in given.parts:
        raise ApiError(INVALID_PARAM_VALUE, "path must be relative to a sanctions directory")
    for root in _server_roots(call):
        base = root.resolve()
        candidate = (base / given).resolve()
        if candidate.is_relative_to(base) and candidate.exists():
            return candidate
    raise ApiError(NOT_FOUND, f"no list at {relative!r} under the sanctions directories")


async def _submit_list(call: Call, command: LoadSanctionsList) -> shapes.ListLoaded:
    size = len(_encoder.encode(command))
    if size > MAX_LIST_COMMAND_BYTES:
        raise ApiError(
            REQUEST_TOO_LARGE,
            f"the list encodes to {size} bytes; one journal record holds {MAX_LIST_COMMAND_BYTES}",
        )
    events = await call.submit(command)
    return _list_loaded(events)


def _list_loaded(events: list[Event]) -> shapes.ListLoaded:
    loaded = next(e for e in events if type(e) is SanctionsListLoaded)
    # a list of bare addresses changes no name decision: nobody is screened again then
    rescreened = next(
        (e for e in events if type(e) is PartiesRescreened),
        PartiesRescreened(loaded.list_version, 0, 0),
    )
    released = sum(1 for e in events if type(e) is FundsReleased)
    return shapes.ListLoaded(
        source=loaded.source,
        version=loaded.version,
        entries=loaded.entries,
        addresses=loaded.addresses,
        list_version=loaded.list_version,
        parties_screened=rescreened.screened,
        parties_changed=rescreened.changed,
        deposits_released=released,
    )


async def load_from_server(call: Call) -> shapes.ListLoaded:
    body: shapes.LoadListFromServer = call.body
    path = _server_path(call, body.path)
    try:
        # reading and parsing a full list takes seconds: keep the event loop serving meanwhile
        command = await asyncio.to_thread(
            load_command, body.format, path, drop_orphans=body.drop_orphans
        )
    except (ValueError, OSError) as exc:
        raise ApiError(INVALID_PARAM_VALUE, f"cannot load {body.path}: {exc}") from None
    return await _submit_list(call, command)


async def upload_list(call: Call) -> shapes.ListLoaded:
    body: shapes.UploadList = call.body
    version = hashlib.sha256(msgspec.json.encode(body)).hexdigest()
    command = LoadSanctionsList(
        source=body.source,
        version=version,
        entries=tuple(
            ListEntry(
                e.entry_id,
                e.entity_type,
                e.primary_name,
                tuple(ListAlias(a.name, a.strength, a.kind) for a in e.aliases),
                tuple(ListWallet(w.chain, w.address) for w in e.wallets),
                tuple(e.programs),
            )
            for e in body.entries
        ),
        addresses=tuple(ListWallet(w.chain, w.address) for w in body.addresses),
        published=body.published,
    )
    return await _submit_list(call, command)


# --- parties -------------------------------------------------------------------------------------
def _party_view(state: State, record: PartyScreening) -> shapes.PartyScreeningView:
    party = state.parties[record.party]
    return shapes.PartyScreeningView(
        party=record.party,
        name=party.name,
        kind=party.kind,
        status=_STATUSES[record.status],
        accounts=[a.account_id for a in accounts_of(state, record.party)],
        hits=[
            shapes.HitView(
                h.entry_id,
                h.matched_name,
                _score(h.score_ppm),
                _DECISIONS[h.decision],
                h.entry_id in record.cleared,
                h.entry_id in record.confirmed,
            )  # fmt: skip
            for h in record.hits
        ],
        reviewed_by=record.reviewed_by,
        review_reason=record.review_reason,
        list_version=state.sanctions.version,
    )


async def list_parties(call: Call) -> list[shapes.PartyScreeningView]:
    query: shapes.PartiesQuery = call.query
    state = state_of(call)
    out: list[shapes.PartyScreeningView] = []
    for party in sorted(state.sanctions.screenings):
        record = state.sanctions.screenings[party]
        if query.status != "all" and record.status != query.status:
            continue
        out.append(_party_view(state, record))
        if len(out) >= query.limit:
            break
    return out


async def get_party(call: Call) -> shapes.PartyScreeningView:
    state = state_of(call)
    party = call.path.party
    if party not in state.parties:
        raise ApiError("USER_NOT_FOUND", f"party {party} not found")
    record = state.sanctions.screenings.get(party)
    if record is None:
        return shapes.PartyScreeningView(
            party=party, name=state.parties[party].name, kind=state.parties[party].kind,
            status="clear", accounts=[a.account_id for a in accounts_of(state, party)], hits=[],
            reviewed_by="", review_reason="", list_version=state.sanctions.version,
        )  # fmt: skip
    return _party_view(state, record)


async def decide_review(call: Call) -> shapes.PartyScreeningView:
    body: shapes.ReviewDecision = call.body
    party = call.path.party
    await call.submit(ResolveScreeningReview(party, body.outcome, body.reason))
    state = state_of(call)
    return _party_view(state, state.sanctions.screenings[party])


# --- frozen deposits -----------------------------------------------------------------------------
async def list_frozen(call: Call) -> list[shapes.FrozenDepositView]:
    state = state_of(call)
    out = []
    for deposit_id in sorted(state.sanctions.frozen):
        f = state.sanctions.frozen[deposit_id]
        amount = format_units(f.amount_units, state.assets[f.asset].scale)
        out.append(
            shapes.FrozenDepositView(
                f.deposit_id,
                f.account,
                f.asset,
                amount,
                f.chain,
                f.address,
                f.entry_id,
                f.list_version,
            )  # fmt: skip
        )
    return out


async def release_frozen(call: Call) -> shapes.Released:
    body: shapes.Release = call.body
    events = await call.submit(ReleaseFrozenDeposit(call.path.deposit_id, body.reason))
    released = next(e for e in events if type(e) is FundsReleased)
    scale = state_of(call).assets[released.asset].scale
    return shapes.Released(
        released.deposit_id,
        released.account,
        released.asset,
        format_units(released.amount_units, scale),
    )


# --- Travel Rule ---------------------------------------------------------------------------------
async def get_travel_rule(call: Call) -> shapes.TravelRuleSettings:
    return shapes.TravelRuleSettings(usd_text(state_of(call).travel_rule_threshold_usd_cents))


async def set_travel_rule(call: Call) -> shapes.TravelRuleSettings:
    body: shapes.TravelRuleUpdate = call.body
    zero = parse_decimal(body.threshold_usd, "threshold_usd") == 0
    cents = 0 if zero else to_units(body.threshold_usd, 2, "threshold_usd")
    await call.submit(ConfigureTravelRule(cents))
    return await get_travel_rule(call)


def _ep(method: str, path: str, handler: Handler, summary: str, **kwargs: Any) -> Endpoint:
    return Endpoint(method, ADMIN + path, handler, "admin", summary, TAG, **kwargs)


def endpoints() -> list[Endpoint]:
    return [
        _ep("POST", "/screening/names", screen_a_name,
            "Screen a name against the engine's current lists (read-only)",
            body=shapes.NameScreenRequest, response=shapes.NameScreening),
        _ep("POST", "/screening/addresses", screen_an_address,
            "Screen a crypto address against the engine's current lists (read-only)",
            body=shapes.AddressScreenRequest, response=shapes.AddressScreening),
        _ep("GET", "/screening/lists", list_lists, "The sanctions lists the engine holds",
            response=shapes.ListsView),
        _ep("POST", "/screening/lists/load", load_from_server,
            "Load a list version from files on the server and rescreen every party",
            body=shapes.LoadListFromServer, response=shapes.ListLoaded),
        _ep("POST", "/screening/lists", upload_list,
            "Load a list version sent in the body and rescreen every party",
            body=shapes.UploadList, response=shapes.ListLoaded),
        _ep("GET", "/screening/parties", list_parties,
            "Parties with name hits (held for review, blocked, or cleared by a reviewer)",
            query=shapes.PartiesQuery, response=list[shapes.PartyScreeningView]),
        _ep("GET", "/screening/parties/{party}", get_party, "One party's screening",
            path_params=shapes.PartyPath, response=shapes.PartyScreeningView),
        _ep("POST", "/screening/parties/{party}/review", decide_review,
            "Decide a party's open hits: clear (not them) or block (confirmed)",
            path_params=shapes.PartyPath, body=shapes.ReviewDecision,
            response=shapes.PartyScreeningView),
        _ep("GET", "/screening/frozen", list_frozen,
            "Deposits frozen because they came from a listed address",
            response=list[shapes.FrozenDepositView]),
        _ep("POST", "/screening/frozen/{deposit_id}/release", release_frozen,
            "Release a frozen deposit (e.g. under a licence)", path_params=shapes.DepositPath,
            body=shapes.Release, response=shapes.Released),
        _ep("GET", "/travel_rule", get_travel_rule, "The Travel Rule threshold",
            response=shapes.TravelRuleSettings),
        _ep("PUT", "/travel_rule", set_travel_rule,
            "Set the Travel Rule threshold (USD; 0 = every withdrawal)",
            body=shapes.TravelRuleUpdate, response=shapes.TravelRuleSettings),
    ]  # fmt: skip
