"""Name screening against a sanctions list: index, scoring and decision.

Scoring follows Moov Watchman's "best pairs Jaro-Winkler": every query token is compared with
every token of a listed name; pairs are taken greedily from the best down (each token used
once); each pair is weighted by the two tokens' lengths; unmatched query tokens count against
the score through the denominator and unmatched list tokens through a square-root coverage
factor. A score is in [0, 1]; 1 means the same tokens.

Per-token similarity is Jaro-Winkler (prefix 4, boost above 0.7, as Watchman and rapidfuzz
use), reduced when the tokens' lengths differ a lot (JW is lenient there) and when they start
with different letters (a first-letter typo is rarer than a later one). Abjad-script tokens
are compared by consonant skeleton and capped below the block threshold: without vowels a
match is evidence for a human, not for an automatic block.

Index: so that a query does not touch every listed name, each distinct list token is indexed
by its deletion neighbourhood (SymSpell: every string reachable by deleting up to two characters
of the token's first seven), which finds typos and most transliteration variants within edit
distance two; abjad queries look tokens up by skeleton. Postings then give the names containing
a similar token; an upper bound on the final score, computed for all names at once with numpy,
discards names that cannot reach the review threshold before any exact scoring.

Everything here is pure and deterministic: the same list and the same query give the same
result, ties broken by entry id and name.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence

import msgspec
import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.process import cdist

from clearhouse.core.compliance.names import (
    NormalizedName,
    abjad_skeleton,
    latin_skeleton,
    normalize_name,
)
from clearhouse.core.compliance.sanctions_list import (
    AliasStrength,
    EntityType,
    SanctionsList,
)

# Token pairs below this similarity are treated as unrelated (they add nothing to a score).
TOKEN_SIMILARITY_FLOOR = 0.80
# Watchman's penalties: lengths differing by more than 10 % scale the similarity down by 30 % of
# the ratio gap; a different first letter multiplies by 0.9.
LENGTH_RATIO_CUTOFF = 0.9
LENGTH_PENALTY_WEIGHT = 0.3
FIRST_LETTER_PENALTY = 0.9
# A skeleton match (abjad query vs Latin list token) is worth at most this much. It sits below
# the default block threshold so that an Arabic-script name alone can reach review, never block.
CONSONANTAL_MATCH_CAP = 0.93
# Skeletons are short, so Jaro-Winkler is lenient on them: only near-identical ones count.
CONSONANTAL_SKELETON_FLOOR = 0.88
# SymSpell parameters: deletions over the first PREFIX_LEN characters, up to MAX_DELETIONS.
PREFIX_LEN = 7
MAX_DELETIONS = 2
# Bounds that keep a query's work finite whatever the input.
MAX_QUERY_TOKENS = 12
MAX_QUERY_CHARS = 512
MAX_REPORTED_MATCHES = 10
# Query tokens repeat (given names, "mohammed"); their similar-token sets are memoised per list.
SIMILAR_TOKEN_CACHE_SIZE = 50_000


class Decision(enum.Enum):
    CLEAR = "clear"
    REVIEW = "review"
    BLOCK = "block"


class Thresholds(msgspec.Struct, frozen=True):
    """Score thresholds. Defaults: Watchman's suggested 0.85 review / 0.95 block.

    On the shared evaluation set (UN-derived positives with and without typos, synthetic
    global and US negatives; see tests/sanctions) 0.85 keeps recall above 0.98 with under 1 %
    of clean names sent to review, and 0.95 blocks only near-identical spellings.
    """

    review: float = 0.85
    block: float = 0.95

    def __post_init__(self) -> None:
        if not 0.0 < self.review <= self.block <= 1.0:
            raise ValueError(f"need 0 < review <= block <= 1, got {self.review}, {self.block}")

    def decide(self, score: float, *, may_block: bool = True) -> Decision:
        if score >= self.block and may_block:
            return Decision.BLOCK
        if score >= self.review:
            return Decision.REVIEW
        return Decision.CLEAR


class NameMatch(msgspec.Struct, frozen=True):
    entry_id: str
    matched_name: str
    score: float
    entity_type: EntityType
    alias_strength: AliasStrength
    is_primary: bool


class NameScreeningResult(msgspec.Struct, frozen=True):
    query: str
    normalized_query: tuple[str, ...]
    decision: Decision
    score: float  # best score over the list, 0.0 when nothing came close
    match: NameMatch | None  # the best match, if any reached the review threshold
    matches: tuple[NameMatch, ...]  # every entry at or above review, best first, bounded
    list_version: str
    thresholds: Thresholds


class _IndexedName(msgspec.Struct, frozen=True):
    entry_index: int
    display: str
    token_ids: tuple[int, ...]
    token_lens: tuple[int, ...]
    total_len: int
    strength: AliasStrength
    is_primary: bool


def _penalised(a: str, b: str, score: float) -> float:
    ratio = min(len(a), len(b)) / max(len(a), len(b))
    if ratio < LENGTH_RATIO_CUTOFF:
        score *= 1.0 - (1.0 - ratio) * LENGTH_PENALTY_WEIGHT
    if a[0] != b[0]:
        score *= FIRST_LETTER_PENALTY
    return score


def jaro_winkler_token_similarity(a: str, b: str) -> float:
    """Similarity of two Latin tokens: Jaro-Winkler with Watchman's length and first-letter
    penalties."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    return _penalised(a, b, float(JaroWinkler.normalized_similarity(a, b)))


def skeleton_similarity(a: str, b: str) -> float:
    """Similarity of consonant skeletons, capped: vowel-less evidence is never conclusive."""
    if not a or not b:
        return 0.0
    raw = jaro_winkler_token_similarity(a, b)
    return CONSONANTAL_MATCH_CAP * raw if raw >= CONSONANTAL_SKELETON_FLOOR else 0.0


def token_similarity(a: str, a_consonantal: bool, b: str, b_consonantal: bool) -> float:
    if a_consonantal == b_consonantal and a == b:
        return 1.0
    if not a_consonantal and not b_consonantal:
        return jaro_winkler_token_similarity(a, b)
    sa = abjad_skeleton(a) if a_consonantal else latin_skeleton(a)
    sb = abjad_skeleton(b) if b_consonantal else latin_skeleton(b)
    return skeleton_similarity(sa, sb)


def best_pairs_score(
    query_lens: Sequence[int],
    name_lens: Sequence[int],
    sims: Iterable[tuple[float, int, int]],
) -> float:
    """Watchman's best-pairs combination of token similarities (query index, name index)."""
    total_query = sum(query_lens)
    total_name = sum(name_lens)
    if total_query == 0 or total_name == 0:
        return 0.0
    used_q: set[int] = set()
    used_n: set[int] = set()
    weighted = 0.0
    matched_name_len = 0
    # Sorted by similarity, then positions, so equal similarities pair up deterministically.
    for sim, qi, ni in sorted(sims, key=lambda p: (-p[0], p[1], p[2])):
        if qi in used_q or ni in used_n:
            continue
        used_q.add(qi)
        used_n.add(ni)
        weighted += sim * (query_lens[qi] + name_lens[ni])
        matched_name_len += name_lens[ni]
    if matched_name_len == 0:
        return 0.0
    coverage = math.sqrt(matched_name_len / total_name)
    return min(1.0, coverage * weighted / (total_query + matched_name_len))


def score_names(query: NormalizedName, name: NormalizedName) -> float:
    """Score two normalised names directly (no index): the reference the index must agree with."""
    sims = []
    for qi, (qt, qc) in enumerate(zip(query.tokens, query.consonantal, strict=True)):
        for ni, (nt, nc) in enumerate(zip(name.tokens, name.consonantal, strict=True)):
            s = token_similarity(qt, qc, nt, nc)
            if s >= TOKEN_SIMILARITY_FLOOR:
                sims.append((s, qi, ni))
    return best_pairs_score([len(t) for t in query.tokens], [len(t) for t in name.tokens], sims)


def score_name_strings(query: str, name: str) -> float:
    return score_names(normalize_name(query), normalize_name(name))


def _deletions(token: str, max_deletions: int) -> set[str]:
    """All strings reachable by deleting up to ``max_deletions`` chars of the token's prefix."""
    frontier = {token[:PREFIX_LEN]}
    out = set(frontier)
    for _ in range(max_deletions):
        frontier = {w[:i] + w[i + 1 :] for w in frontier if len(w) > 1 for i in range(len(w))}
        out |= frontier
    return out


def _max_deletions(token: str) -> int:
    # Short tokens tolerate one typo; from five letters on, two (Watchman/SymSpell practice).
    return 1 if len(token) <= 4 else MAX_DELETIONS


def _skeleton_deletions(skeleton: str) -> int:
    # Skeletons of three symbols or fewer ("_l", "hsn") are already ambiguous: exact only.
    return 0 if len(skeleton) <= 3 else 1


class NameScreener:
    """Screens names against one :class:`SanctionsList`. Build once per list version."""

    def __init__(
        self,
        sanctions: SanctionsList,
        thresholds: Thresholds | None = None,
        *,
        include_weak_aliases: bool = True,
    ) -> None:
        self.sanctions = sanctions
        self.thresholds = thresholds or Thresholds()
        self._entries = sanctions.entries
        self._names: list[_IndexedName] = []
        self._vocab: dict[tuple[str, bool], int] = {}
        self._tok_text: list[str] = []
        self._tok_cons: list[bool] = []
        postings: list[list[int]] = []
        for entry_index, entry in enumerate(self._entries):
            forms = [(entry.primary_name, AliasStrength.STRONG, True)]
            forms += [
                (a.name, a.strength, False)
                for a in entry.aliases
                if include_weak_aliases or a.strength is not AliasStrength.WEAK
            ]
            seen: set[tuple[str, ...]] = set()
            # Each listed name is indexed as normalised and, where "Abdul Salam" was joined into
            # one token, also unjoined, so a typo in the query's "Abdul" still meets its match.
            variants = [
                (norm, display, strength, is_primary)
                for display, strength, is_primary in forms
                for norm in (normalize_name(display), normalize_name(display, join_abd=False))
            ]
            for norm, display, strength, is_primary in variants:
                if not norm.tokens or norm.tokens in seen:
                    continue
                seen.add(norm.tokens)
                ids = []
                for tok, cons in zip(norm.tokens, norm.consonantal, strict=True):
                    tid = self._vocab.get((tok, cons))
                    if tid is None:
                        tid = len(self._tok_text)
                        self._vocab[(tok, cons)] = tid
                        self._tok_text.append(tok)
                        self._tok_cons.append(cons)
                        postings.append([])
                    ids.append(tid)
                name_id = len(self._names)
                # One posting per occurrence: a name with a token twice can match it twice.
                for tid in ids:
                    postings[tid].append(name_id)
                lens = tuple(len(t) for t in norm.tokens)
                self._names.append(
                    _IndexedName(
                        entry_index=entry_index,
                        display=display,
                        token_ids=tuple(ids),
                        token_lens=lens,
                        total_len=sum(lens),
                        strength=strength,
                        is_primary=is_primary,
                    )
                )
        self._postings: list[npt.NDArray[np.int32]] = [
            np.asarray(p, dtype=np.int32) for p in postings
        ]
        self._name_len = np.asarray([n.total_len for n in self._names], dtype=np.float64)
        self._name_type = np.asarray(
            [list(EntityType).index(self._entries[n.entry_index].entity_type) for n in self._names],
            dtype=np.int8,
        )
        self._tok_skel: list[str] = []
        self._deletion_index: dict[str, list[int]] = {}
        self._skeleton_index: dict[str, list[int]] = {}
        for tid, (tok, cons) in enumerate(zip(self._tok_text, self._tok_cons, strict=True)):
            if not cons:
                for key in _deletions(tok, _max_deletions(tok)):
                    self._deletion_index.setdefault(key, []).append(tid)
            skel = abjad_skeleton(tok) if cons else latin_skeleton(tok)
            self._tok_skel.append(skel)
            for key in _deletions(skel, _skeleton_deletions(skel)):
                self._skeleton_index.setdefault(key, []).append(tid)

        self._tok_len = np.asarray([len(t) for t in self._tok_text], dtype=np.float64)
        # Postings in CSR form, so a query gathers many tokens' postings in a few array ops.
        self._post_flat = np.concatenate(
            [np.asarray(p, dtype=np.int64) for p in postings] or [np.zeros(0, np.int64)]
        )
        self._post_len = np.asarray([len(p) for p in postings], dtype=np.int64)
        self._post_start = np.concatenate(([0], np.cumsum(self._post_len)[:-1])).astype(np.int64)
        self._similar_cache: dict[tuple[str, bool], dict[int, float]] = {}

    def clear_caches(self) -> None:
        """Forget memoised lookups; results do not change (benchmarks time the cold path)."""
        self._similar_cache.clear()
        normalize_name.cache_clear()

    @property
    def name_count(self) -> int:
        return len(self._names)

    @property
    def token_count(self) -> int:
        return len(self._tok_text)

    def _similar_tokens(self, token: str, consonantal: bool) -> dict[int, float]:
        """Vocabulary tokens similar to one query token, with their similarity (memoised)."""
        key = (token, consonantal)
        cached = self._similar_cache.get(key)
        if cached is None:
            cached = self._find_similar_tokens(token, consonantal)
            if len(self._similar_cache) >= SIMILAR_TOKEN_CACHE_SIZE:
                # Evict the oldest entry; results never depend on what is cached.
                del self._similar_cache[next(iter(self._similar_cache))]
            self._similar_cache[key] = cached
        return cached

    def _find_similar_tokens(self, token: str, consonantal: bool) -> dict[int, float]:
        found: dict[int, float] = {}
        exact = self._vocab.get((token, consonantal))
        if exact is not None:
            found[exact] = 1.0
        if consonantal:
            query = abjad_skeleton(token)
            keys = _deletions(query, _skeleton_deletions(query))
            index = self._skeleton_index
            texts = self._tok_skel
            floor, scale = CONSONANTAL_SKELETON_FLOOR, CONSONANTAL_MATCH_CAP
        else:
            query = token
            keys = _deletions(token, _max_deletions(token))
            index = self._deletion_index
            texts = self._tok_text
            floor, scale = TOKEN_SIMILARITY_FLOOR, 1.0
        if not query:
            return found
        gathered: list[int] = []
        for k in keys:
            hit = index.get(k)
            if hit is not None:
                gathered.extend(hit)
        # Sorted so that the work happens in the same order on every run.
        candidates = sorted(set(gathered) - found.keys())
        if not candidates:
            return found
        # One C call for the raw Jaro-Winkler of all candidates; the penalties below only
        # lower a score, so anything under the floor here can be dropped unexamined.
        raw = cdist(
            [query],
            [texts[i] for i in candidates],
            scorer=JaroWinkler.normalized_similarity,
            score_cutoff=floor,
            dtype=np.float64,
        )[0]
        qlen, qfirst = len(query), query[0]
        for tid, score in zip(candidates, raw.tolist(), strict=True):
            if not score:  # cdist reports 0.0 below score_cutoff
                continue
            # _penalised, inlined: this loop is the hottest code in screening.
            text = texts[tid]
            tlen = len(text)
            ratio = tlen / qlen if tlen < qlen else qlen / tlen
            if ratio < LENGTH_RATIO_CUTOFF:
                score *= 1.0 - (1.0 - ratio) * LENGTH_PENALTY_WEIGHT
            if text[0] != qfirst:
                score *= FIRST_LETTER_PENALTY
            if score >= floor:
                found[tid] = score * scale
        return found

    def _gather(
        self, tids: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Concatenated postings of ``tids`` and the length of each one's part."""
        counts = self._post_len[tids]
        total = int(counts.sum())
        ends = np.cumsum(counts)
        offsets = np.repeat(self._post_start[tids] - (ends - counts), counts)
        return self._post_flat[np.arange(total, dtype=np.int64) + offsets], counts

    def _candidate_names(
        self,
        query_lens: Sequence[int],
        query_cons: Sequence[bool],
        similar: Sequence[dict[int, float]],
        entity_types: frozenset[EntityType] | None,
    ) -> list[int]:
        """Names whose score upper bound reaches the review threshold, in index order.

        With Q the query length, N a name's length and M the length of its tokens that are
        similar to some query token, the best-pairs score is at most sqrt(M / N) and at most
        (C + M) / (Q + M), where C bounds the sum of similarity x query-token length over the
        pairs: a name with k similar token slots pairs at most k query tokens, so C is the sum
        of the k largest per-query-token maxima. Both bounds grow with M, so using the M of all
        similar tokens keeps them valid.
        """
        active = [i for i, sims in enumerate(similar) if sims]
        if not active:
            return []
        # One weight per (name, query column): similarity x query-token length, best kept.
        pair_tids: list[int] = []
        pair_cols: list[int] = []
        pair_weights: list[float] = []
        for col, i in enumerate(active):
            for tid, sim in similar[i].items():
                pair_tids.append(tid)
                pair_cols.append(col)
                pair_weights.append(sim * query_lens[i])
        # Dense per-(name, column) scratch: allocation is lazy (calloc) and avoids sorting,
        # which dominates at a few thousand postings.
        n_names, n_cols = len(self._names), len(active)
        posted, counts = self._gather(np.asarray(pair_tids, dtype=np.int64))
        cells = posted * n_cols + np.repeat(np.asarray(pair_cols, dtype=np.int64), counts)
        dense = np.zeros(n_names * n_cols, dtype=np.float64)
        np.maximum.at(dense, cells, np.repeat(np.asarray(pair_weights), counts))
        touched = np.zeros(n_names, dtype=np.bool_)
        touched[posted] = True
        names = np.flatnonzero(touched)
        per_column = dense.reshape(n_names, n_cols)[names]
        # Token slots of each name that are similar to some query token, and their length.
        all_tids = np.unique(np.asarray(pair_tids, dtype=np.int64))
        slot_names, slot_counts = self._gather(all_tids)
        slot_len = np.repeat(self._tok_len[all_tids], slot_counts)
        slots = np.bincount(slot_names, minlength=n_names)[names]
        name_len = self._name_len[names]
        matched_name = np.minimum(
            name_len, np.bincount(slot_names, weights=slot_len, minlength=n_names)[names]
        )
        if len(active) == 1:
            coverage = per_column[:, 0]
        else:
            best_first = np.cumsum(-np.sort(-per_column, axis=1), axis=1)
            k = np.minimum(slots, len(active)) - 1
            coverage = best_first[np.arange(len(names)), k]
        total_query = float(sum(query_lens))
        bound = np.minimum(
            (coverage + matched_name) / (total_query + matched_name),
            np.sqrt(matched_name / name_len),
        )
        ok = bound >= self.thresholds.review - 1e-9
        if entity_types is not None:
            allowed = [list(EntityType).index(t) for t in entity_types]
            ok &= np.isin(self._name_type[names], allowed)
        result: list[int] = names[ok].tolist()
        return result

    def screen(
        self,
        query: str,
        *,
        entity_types: frozenset[EntityType] | None = None,
    ) -> NameScreeningResult:
        """Screen one name. ``entity_types`` limits the list entries considered (None = all)."""
        if len(query) > MAX_QUERY_CHARS:
            raise ValueError(f"query longer than {MAX_QUERY_CHARS} characters")
        norm = normalize_name(query)
        tokens = norm.tokens[:MAX_QUERY_TOKENS]
        cons = norm.consonantal[:MAX_QUERY_TOKENS]
        query_lens = [len(t) for t in tokens]
        similar = [self._similar_tokens(t, c) for t, c in zip(tokens, cons, strict=True)]
        best_by_entry: dict[int, NameMatch] = {}
        best_score = 0.0
        for name_id in self._candidate_names(query_lens, cons, similar, entity_types):
            name = self._names[name_id]
            sims = [
                (s, qi, ni)
                for qi, qsims in enumerate(similar)
                for ni, tid in enumerate(name.token_ids)
                if (s := qsims.get(tid, 0.0)) > 0.0
            ]
            score = round(best_pairs_score(query_lens, name.token_lens, sims), 6)
            best_score = max(best_score, score)
            if score < self.thresholds.review:
                continue
            entry = self._entries[name.entry_index]
            match = NameMatch(
                entry_id=entry.entry_id,
                matched_name=name.display,
                score=score,
                entity_type=entry.entity_type,
                alias_strength=name.strength,
                is_primary=name.is_primary,
            )
            prev = best_by_entry.get(name.entry_index)
            if prev is None or _rank(match) < _rank(prev):
                best_by_entry[name.entry_index] = match
        matches = tuple(sorted(best_by_entry.values(), key=_rank)[:MAX_REPORTED_MATCHES])
        top = matches[0] if matches else None
        decision = Decision.CLEAR
        for m in matches:
            # A weak alias alone never blocks: OFAC says weak AKAs are not a basis for a match.
            d = self.thresholds.decide(
                m.score, may_block=m.alias_strength is not AliasStrength.WEAK
            )
            if _severity(d) > _severity(decision):
                decision = d
        return NameScreeningResult(
            query=query,
            normalized_query=tokens,
            decision=decision,
            score=best_score,
            match=top,
            matches=matches,
            list_version=self.sanctions.version,
            thresholds=self.thresholds,
        )


def _rank(m: NameMatch) -> tuple[float, str, str]:
    return (-m.score, m.entry_id, m.matched_name)


def _severity(d: Decision) -> int:
    return {Decision.CLEAR: 0, Decision.REVIEW: 1, Decision.BLOCK: 2}[d]
