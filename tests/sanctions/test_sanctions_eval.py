"""Screening quality on the shared evaluation set, at the shipped thresholds.

Positives: names of UN-sanctioned persons as OpenSanctions publishes them, untreated and
"treated" (typos, swapped letters, moved spaces). Negatives: synthetic people, global (many
scripts) and US. The list screened is what the venue would load: OFAC SDN (2024-05-03, with
the 2021 alias file) plus the UN consolidated list (2026-02).
Target: recall >= 0.98 with <= 1 % false positives at the review threshold.
"""

from __future__ import annotations

import pytest
from sanctions_data import eval_names, sdn_and_un_screener

from clearhouse.core.compliance.screening import Decision, Thresholds

RECALL_TARGET = 0.98
FPR_TARGET = 0.01


def rates(name: str) -> tuple[float, float]:
    screener = sdn_and_un_screener()
    results = [screener.screen(q) for q in eval_names(name)]
    flagged = sum(r.decision is not Decision.CLEAR for r in results) / len(results)
    blocked = sum(r.decision is Decision.BLOCK for r in results) / len(results)
    return flagged, blocked


def test_shipped_thresholds_are_the_defaults() -> None:
    assert Thresholds() == Thresholds(review=0.85, block=0.95)
    assert sdn_and_un_screener().thresholds == Thresholds()


@pytest.mark.parametrize("name", ["positives_un_untreated", "positives_un_treated"])
def test_recall_on_un_positives_meets_target(name: str) -> None:
    flagged, _ = rates(name)
    assert flagged >= RECALL_TARGET, f"{name}: recall {flagged:.4f}"


@pytest.mark.parametrize("name", ["validation_negatives_global", "validation_negatives_us"])
def test_false_positive_rate_on_negatives_meets_target(name: str) -> None:
    flagged, blocked = rates(name)
    assert flagged <= FPR_TARGET, f"{name}: review-or-worse rate {flagged:.4f}"
    assert blocked <= flagged
