"""Rows of the rejection table (test_rejections_change_nothing.py) for compliance cases and
SARs (core/cases.py): one per way a case command can be refused.

Each row is (name, command, label, facts, setup) on the table's `World`; `_case(...)` opens
case 1 about Alice and takes it through the named steps first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import pytest

from clearhouse.core import cases
from clearhouse.core.cases import CASE_NOT_FOUND, CASE_STATE
from clearhouse.core.commands import (
    AnyCommand,
    CloseCase,
    Facts,
    FileSar,
    OpenCase,
    SetCasePolicy,
    SubmitSar,
    UpdateCase,
)
from clearhouse.core.errors import FORBIDDEN, INVALID_PARAM_VALUE, NO_CHANGE, USER_NOT_FOUND

World = Any
Build = Callable[[World], AnyCommand]
Setup = Callable[[World, pytest.MonkeyPatch], None]
Row = tuple[str, Build, str, Facts | None, Setup | None]

MLRO: Final = Facts(channel="admin", actor="mlro", reason="rulebook")
RATIONALE: Final = "source of funds documented by payslips"
LONG: Final = "x" * 300


def _case(*steps: str) -> Setup:
    """Case 1 about Alice, taken through `steps`."""

    def setup(world: World, _: pytest.MonkeyPatch) -> None:
        venue = world.venue
        venue.ok(OpenCase("Structuring", "high", world.carol_party, (world.alice,)), MLRO)
        commands: dict[str, AnyCommand] = {
            "investigating": UpdateCase(1, "investigating"),
            "closed": CloseCase(1, "no_suspicion", RATIONALE),
            "sar": FileSar(1, RATIONALE),
            "submitted": SubmitSar(1, "BSA-0001"),
        }
        for step in steps:
            venue.ok(commands[step], MLRO)

    return setup


def _open_case(**changes: Any) -> Build:
    def build(world: World) -> AnyCommand:
        fields: dict[str, Any] = {
            "title": "Structuring",
            "severity": "high",
            "subject_party": world.carol_party,
            "accounts": (world.alice,),
        }
        fields.update({k: (v(world) if callable(v) else v) for k, v in changes.items()})
        return OpenCase(**fields)

    return build


def _history_full(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    _case()(world, monkeypatch)
    monkeypatch.setattr(cases, "MAX_HISTORY", 1)


ROWS: Final[list[Row]] = [
    ("case opened by nobody", _open_case(), FORBIDDEN, None, None),
    ("case without a title", _open_case(title=" "), INVALID_PARAM_VALUE, MLRO, None),
    ("case title too long", _open_case(title=LONG), INVALID_PARAM_VALUE, MLRO, None),
    ("case of a made-up severity", _open_case(severity="dire"), INVALID_PARAM_VALUE, MLRO, None),
    ("case about an unknown party", _open_case(subject_party=404), USER_NOT_FOUND, MLRO, None),
    ("case about an unknown account", _open_case(accounts=(404,)), USER_NOT_FOUND, MLRO, None),
    (
        "case about too many accounts",
        _open_case(accounts=lambda w: (w.alice,) * (cases.MAX_ACCOUNTS_PER_CASE + 1)),
        INVALID_PARAM_VALUE,
        MLRO,
        None,
    ),
    (
        "case with too many alerts",
        _open_case(alert_ids=("a",) * (cases.MAX_ALERTS_PER_CASE + 1)),
        INVALID_PARAM_VALUE,
        MLRO,
        None,
    ),
    ("case detected in the future", _open_case(detected_at_ns=2**62), INVALID_PARAM_VALUE, MLRO,
     None),
    ("update of an unknown case", lambda w: UpdateCase(9, note="x"), CASE_NOT_FOUND, MLRO, None),
    ("update of a closed case", lambda w: UpdateCase(1, note="more"), CASE_STATE, MLRO,
     _case("closed")),
    ("case status made up", lambda w: UpdateCase(1, "done"), INVALID_PARAM_VALUE, MLRO, _case()),
    ("investigating a case awaiting its SAR", lambda w: UpdateCase(1, "investigating"),
     CASE_STATE, MLRO, _case("sar")),
    ("case update that changes nothing", lambda w: UpdateCase(1), NO_CHANGE, MLRO, _case()),
    ("case history full", lambda w: UpdateCase(1, note="one more"), INVALID_PARAM_VALUE, MLRO,
     _history_full),
    ("closing a closed case", lambda w: CloseCase(1, "no_suspicion", RATIONALE), CASE_STATE,
     MLRO, _case("closed")),
    ("closing a case that awaits its SAR", lambda w: CloseCase(1, "no_suspicion", RATIONALE),
     CASE_STATE, MLRO, _case("sar")),
    ("closing a case without a disposition", lambda w: CloseCase(1, "", RATIONALE),
     INVALID_PARAM_VALUE, MLRO, _case()),
    ("closing as SAR submitted without a SAR", lambda w: CloseCase(1, "sar_submitted", RATIONALE),
     INVALID_PARAM_VALUE, MLRO, _case("investigating")),
    ("closing a case without a rationale", lambda w: CloseCase(1, "false_positive", "ok"),
     INVALID_PARAM_VALUE, MLRO, _case()),
    ("SAR decision on a closed case", lambda w: FileSar(1, RATIONALE), CASE_STATE, MLRO,
     _case("closed")),
    ("SAR submission without a decision", lambda w: SubmitSar(1, "BSA-0001"), CASE_STATE, MLRO,
     _case()),
    ("SAR submission without a reference", lambda w: SubmitSar(1, " "), INVALID_PARAM_VALUE, MLRO,
     _case("sar")),
    ("SAR deadline of zero days", lambda w: SetCasePolicy(0, 30), INVALID_PARAM_VALUE, MLRO, None),
]  # fmt: skip
