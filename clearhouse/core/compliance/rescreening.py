"""Rescreening: when a list version changes, which screened subjects gained or lost hits.

Lists shrink as well as grow (Tornado Cash was delisted on 2025-03-21), so a new version can
lift a block as well as impose one. Both directions are reported; the engine decides what to do
(e.g. freeze on a gain, open a case to release on a loss).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

import msgspec

from clearhouse.core.compliance.addresses import AddressScreener
from clearhouse.core.compliance.screening import Decision, NameScreener

MAX_SUBJECTS = 1_000_000


class SubjectKind(enum.Enum):
    NAME = "name"
    ADDRESS = "address"


class Subject(msgspec.Struct, frozen=True):
    subject_id: str  # the venue's id for what was screened (account, beneficial owner, wallet)
    kind: SubjectKind
    value: str  # the name, or the address
    chain: str | None = None  # required for addresses


class ListVersionScreeners(msgspec.Struct, frozen=True):
    """Screeners built from one version of the lists (names, addresses, or both)."""

    names: NameScreener | None
    addresses: AddressScreener | None


class SubjectChange(msgspec.Struct, frozen=True):
    subject: Subject
    old_decision: Decision
    new_decision: Decision
    gained: tuple[str, ...]  # hit keys present now and not before
    lost: tuple[str, ...]  # hit keys present before and not now


class RescreenReport(msgspec.Struct, frozen=True):
    old_version: str
    new_version: str
    gained: tuple[SubjectChange, ...]  # subjects with at least one new hit (or a worse decision)
    lost: tuple[SubjectChange, ...]  # subjects with at least one lifted hit (or a better decision)
    unchanged: int


def _hits(subject: Subject, screeners: ListVersionScreeners) -> tuple[Decision, frozenset[str]]:
    """Decision and hit keys: entry ids, or the listed address where a list has no entities."""
    if subject.kind is SubjectKind.NAME:
        if screeners.names is None:
            raise ValueError("a name subject needs a name screener")
        result = screeners.names.screen(subject.value)
        return result.decision, frozenset(m.entry_id for m in result.matches)
    if screeners.addresses is None:
        raise ValueError("an address subject needs an address screener")
    if subject.chain is None:
        raise ValueError(f"address subject {subject.subject_id} has no chain")
    res = screeners.addresses.screen(subject.chain, subject.value)
    keys = frozenset(h.entry_id or f"address:{res.normalized}" for h in res.hits)
    return res.decision, keys


def _version(screeners: ListVersionScreeners) -> str:
    parts = []
    if screeners.names is not None:
        parts.append(screeners.names.sanctions.version)
    if screeners.addresses is not None:
        parts.append(screeners.addresses.version)
    return "+".join(parts)


_SEVERITY = {Decision.CLEAR: 0, Decision.REVIEW: 1, Decision.BLOCK: 2}


def rescreen(
    subjects: Iterable[Subject], old: ListVersionScreeners, new: ListVersionScreeners
) -> RescreenReport:
    """Screen every subject against both versions and report the differences, in input order."""
    gained: list[SubjectChange] = []
    lost: list[SubjectChange] = []
    unchanged = 0
    for count, subject in enumerate(subjects, start=1):
        if count > MAX_SUBJECTS:
            raise ValueError(f"more than {MAX_SUBJECTS} subjects in one rescreen; batch them")
        old_decision, old_hits = _hits(subject, old)
        new_decision, new_hits = _hits(subject, new)
        change = SubjectChange(
            subject=subject,
            old_decision=old_decision,
            new_decision=new_decision,
            gained=tuple(sorted(new_hits - old_hits)),
            lost=tuple(sorted(old_hits - new_hits)),
        )
        worse = _SEVERITY[new_decision] > _SEVERITY[old_decision]
        better = _SEVERITY[new_decision] < _SEVERITY[old_decision]
        if change.gained or worse:
            gained.append(change)
        if change.lost or better:
            lost.append(change)
        if not (change.gained or change.lost or worse or better):
            unchanged += 1
    return RescreenReport(
        old_version=_version(old),
        new_version=_version(new),
        gained=tuple(gained),
        lost=tuple(lost),
        unchanged=unchanged,
    )
