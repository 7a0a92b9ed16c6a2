"""A data dir with an audit trail worth tampering with: a journaled venue with compliance
monitoring, admin onboarding, deposits that raise an alert, a case and its SAR decision."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from clearhouse.audit.chain import RECORD_FILE, seal
from clearhouse.core.commands import (
    AnyCommand,
    CloseCase,
    ConfigureTravelRule,
    CreditDeposit,
    Facts,
    FileSar,
    OnboardUser,
    OpenCase,
)
from clearhouse.core.events import AccountOpened, CaseOpened, CommandRejected, Event
from clearhouse.surveillance.service import ComplianceMonitoring
from clearhouse.venue import Venue

OPS: Final = Facts(channel="admin", ip="127.0.0.1", actor="ops", reason="onboarding")
MLRO: Final = Facts(channel="admin", ip="127.0.0.1", actor="mlro", reason="investigation")
RATIONALE: Final = "Deposits match the customer's documented salary."
HOUR: Final = 3_600 * 10**9


class Clock:
    def __init__(self) -> None:
        self.now_ns = 1_750_000_000 * 10**9

    def __call__(self) -> int:
        return self.now_ns


class Trail:
    """A venue + monitoring in `data_dir`; `close()` leaves the audit log with a checkpoint."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.clock = Clock()
        self.venue = Venue(data_dir, clock=self.clock, durable=False, parallel_journal=False)
        self.monitoring = ComplianceMonitoring.start(self.venue)

    def ok(self, command: AnyCommand, facts: Facts = OPS) -> list[Event]:
        events = self.venue.submit_one(command, facts)
        assert not (events and type(events[0]) is CommandRejected), (command, events)
        return events

    def customer(self, name: str, key: str, tier: int = 2, country: str = "DE") -> int:
        events = self.ok(
            OnboardUser(name, f"{name.lower()}@example.com", country, tier, key, b"sealed",
                        ("spot", "wallet"))
        )  # fmt: skip
        return next(e for e in events if type(e) is AccountOpened).account

    def busy(self) -> int:
        """Onboarding, structuring deposits (an alert and so a case), a SAR decision, a manual
        case closed with a rationale. Returns Alice's account."""
        self.ok(ConfigureTravelRule(10**14))
        alice = self.customer("Alice", "A" * 32)
        self.customer("Bob", "B" * 32, tier=0)
        for i in range(3):
            self.clock.now_ns += HOUR
            self.ok(CreditDeposit(alice, "USDT", 9_500 * 10**8, f"tx-{i}"))
        assert self.monitoring.open_due_cases() == 1
        self.ok(FileSar(1, RATIONALE), MLRO)
        events = self.ok(OpenCase("Referral from support", "low", accounts=(alice,)), MLRO)
        opened = next(e for e in events if type(e) is CaseOpened)
        self.ok(CloseCase(opened.case_id, "no_suspicion", RATIONALE), MLRO)
        return alice

    def close(self) -> None:
        self.monitoring.close()
        self.venue.close()


def audit_path(data_dir: Path) -> Path:
    return data_dir / "audit" / RECORD_FILE


def read_records(data_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in audit_path(data_dir).read_text().splitlines()]


def write_records(data_dir: Path, records: list[dict[str, Any]]) -> None:
    lines = [json.dumps(r, sort_keys=True, separators=(",", ":")) for r in records]
    audit_path(data_dir).write_text("\n".join(lines) + "\n")


def rechain(records: list[dict[str, Any]], start: int = 0) -> list[dict[str, Any]]:
    """What a careful forger does: renumber and re-hash every record from `start` on."""
    out = records[:start]
    for record in records[start:]:
        body = {k: v for k, v in record.items() if k != "hash"}
        body["n"] = len(out) + 1
        body["prev"] = out[-1]["hash"] if out else "0" * 64
        out.append(seal(body))
    return out
