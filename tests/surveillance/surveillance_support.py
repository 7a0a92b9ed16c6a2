"""A venue with compliance monitoring for the surveillance tests, driven by real commands.

`Desk` is a journaled `Venue` in a temporary directory with a clock the test moves, plus
`ComplianceMonitoring` exactly as the server wires it. Customers are onboarded by admin
commands and act through client-channel facts (IP, country, device, API key), so every event a
rule reads was produced by the engine from a journaled command; the helpers only build commands
and check that set-up commands were accepted.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from clearhouse.core.book import BUY, SELL
from clearhouse.core.commands import (
    AnyCommand,
    CancelOrder,
    ConfigureTravelRule,
    CreditDeposit,
    Facts,
    OnboardUser,
    PlaceOrder,
    RequestWithdrawal,
    SetKycLimits,
    TransferBetweenAccounts,
)
from clearhouse.core.events import AccountOpened, CommandRejected, Event, OrderAccepted
from clearhouse.surveillance.alerts import Alert
from clearhouse.surveillance.service import DEFAULT_RULES_DIR, ComplianceMonitoring
from clearhouse.venue import Venue

REPO_RULES: Final = DEFAULT_RULES_DIR
START_NS: Final = 1_750_000_000 * 10**9
S: Final = 10**9
HOUR: Final = 3_600 * S
DAY: Final = 24 * HOUR
UNITS: Final = 10**8  # every default asset has scale 8
OPS: Final = Facts(channel="admin", ip="127.0.0.1", actor="ops", reason="test set-up")
MLRO: Final = Facts(channel="admin", ip="127.0.0.1", actor="mlro", reason="investigation")


class Clock:
    def __init__(self) -> None:
        self.now_ns = START_NS

    def __call__(self) -> int:
        return self.now_ns


def rules_dir(tmp: Path, *files: tuple[str, str], config: str | None = None) -> Path:
    """A rules directory holding the repository's config.toml (or `config`) and `files`."""
    directory = tmp / "rules"
    directory.mkdir(parents=True, exist_ok=True)
    text = config if config is not None else (REPO_RULES / "config.toml").read_text()
    (directory / "config.toml").write_text(text)
    for name, body in files:
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body))
    return directory


def repo_rule(tmp: Path, relative: str) -> Path:
    """A rules directory with one rule file of the repository (so each test sees one rule)."""
    return rules_dir(tmp, (relative, (REPO_RULES / relative).read_text()))


@dataclass(frozen=True)
class Customer:
    party: int
    account: int
    key: str
    country: str

    def facts(
        self, ip: str = "203.0.113.10", country: str | None = None, device: str = ""
    ) -> Facts:
        return Facts(
            channel="rest",
            ip=ip,
            country=self.country if country is None else country,
            api_key=self.key,
            device=device,
        )


class Desk:
    def __init__(self, tmp: Path, rules: Path = REPO_RULES, data: str = "venue") -> None:
        self.tmp = tmp
        self.clock = Clock()
        self.data_dir = tmp / data
        self.venue = Venue(self.data_dir, clock=self.clock, durable=False, parallel_journal=False)
        self.monitoring = ComplianceMonitoring.start(self.venue, rules_dir=rules)
        self._keys = 0
        self.ok(SetKycLimits(1, (("USDT", 10**7 * UNITS), ("BTC", 10**4 * UNITS))), OPS)
        self.ok(SetKycLimits(2, (("USDT", 10**8 * UNITS), ("BTC", 10**5 * UNITS))), OPS)
        # Travel Rule data is another control's concern: these tests withdraw without it
        self.ok(ConfigureTravelRule(10**12 * 100), OPS)

    def close(self) -> None:
        self.monitoring.close()
        self.venue.close()

    # --- commands -----------------------------------------------------------------------------
    def advance(self, ns: int) -> None:
        """Move the venue's clock forward (`desk.advance(2 * HOUR)`)."""
        self.clock.now_ns += ns

    def submit(self, command: AnyCommand, facts: Facts = OPS) -> list[Event]:
        return self.venue.submit_one(command, facts)

    def ok(self, command: AnyCommand, facts: Facts = OPS) -> list[Event]:
        events = self.submit(command, facts)
        assert not (events and type(events[0]) is CommandRejected), (command, events)
        return events

    def customer(
        self, name: str, country: str = "DE", tier: int = 2, parent: int = 0,
        beneficial_owner_name: str = "",
    ) -> Customer:  # fmt: skip
        self._keys += 1
        key = f"K{self._keys:031d}"
        events = self.ok(
            OnboardUser(
                name=name, email=f"{self._keys}@example.com", country=country, kyc_tier=tier,
                key=key, secret_sealed=b"sealed", permissions=("spot", "wallet"), parent=parent,
                beneficial_owner_name=beneficial_owner_name,
                beneficial_owner_country=country if beneficial_owner_name else "",
            )
        )  # fmt: skip
        opened = next(e for e in events if type(e) is AccountOpened)
        return Customer(opened.beneficial_owner, opened.account, key, country)

    def deposit(self, who: Customer, asset: str, amount: float, txid: str = "") -> list[Event]:
        self._keys += 1
        units = int(amount * UNITS)
        return self.ok(CreditDeposit(who.account, asset, units, txid or f"tx-{self._keys}"))

    def withdraw(self, who: Customer, asset: str, amount: float, **facts: Any) -> list[Event]:
        self._keys += 1
        command = RequestWithdrawal(
            who.account, asset, int(amount * UNITS), f"w-{self._keys}", "0xdeadbeef"
        )
        return self.ok(command, who.facts(**facts))

    def transfer(self, who: Customer, to_account: int, asset: str, amount: float) -> None:
        command = TransferBetweenAccounts(who.account, to_account, asset, int(amount * UNITS))
        self.ok(command, who.facts())

    def order(
        self, who: Customer, side: int, price: str, amount: str, market: str = "BTC_USDT",
        **facts: Any,
    ) -> int:  # fmt: skip
        units = self.venue.engine.state.markets[market].units
        command = PlaceOrder(
            who.account, market, side, units.parse_price(price), units.parse_size(amount)
        )
        events = self.ok(command, who.facts(**facts))
        return next(e for e in events if type(e) is OrderAccepted).order_id

    def cancel(self, who: Customer, order_id: int, market: str = "BTC_USDT") -> None:
        self.ok(CancelOrder(who.account, market, order_id), who.facts())

    # --- what monitoring saw ------------------------------------------------------------------
    def alerts(self, rule_id: str | None = None) -> list[Alert]:
        return [a for a in self.monitoring.alerts if rule_id is None or a.rule_id == rule_id]

    def open_due_cases(self) -> int:
        return self.monitoring.open_due_cases()


__all__ = ["BUY", "SELL", "Customer", "Desk"]
