"""The policy gate runs on every command, of every type, before any handler: a rule that denies
everything refuses every command with its own label and nothing changes; the gate counts every
command it sees; rules see the facts the gateway observed."""

from __future__ import annotations

import types
import typing
from typing import Any, Final

import msgspec
import pytest
from core_harness import BTC_USDT, Venue, state_fingerprint

from clearhouse.core.book import BUY
from clearhouse.core.commands import (
    COMMAND_TYPES,
    Command,
    CreditDeposit,
    Facts,
    PlaceOrder,
)
from clearhouse.core.engine import HANDLERS
from clearhouse.core.errors import TRADE_RESTRICTED, Rejected
from clearhouse.core.policy import MAX_RULES_PER_COMMAND
from clearhouse.core.state import State

DENIED: Final = "COMPLIANCE_DENY_ALL"


def _sample_value(annotation: Any, name: str) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return _sample_value(typing.get_args(annotation)[0], name)
    if origin is tuple:
        return ()
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return sample_command(annotation)
    samples: dict[Any, Any] = {
        int: 10_000_001 if "account" in name else 1,
        str: BTC_USDT if name == "market" else "BTC",
        bool: False,
        bytes: b"sealed",
        float: 1.0,
    }
    return samples[annotation]


def sample_command(command_type: type[Any]) -> Any:
    """A well-typed instance of any command type, built from its fields: the deny-all rule must
    refuse it before anything looks at the values."""
    hints = typing.get_type_hints(command_type)
    values = {
        field.name: _sample_value(hints[field.name], field.name)
        for field in msgspec.structs.fields(command_type)
        if field.required
    }
    return command_type(**values)


def deny_all(state: State, command: Command, facts: Facts) -> None:
    raise Rejected(DENIED, f"{type(command).__name__} refused by policy")


@pytest.fixture
def venue() -> Venue:
    venue = Venue()
    alice = venue.trader("Alice", USDT=100_000, BTC=1)
    venue.place(alice, BUY, "50000", "0.1")
    return venue


def test_every_command_type_has_a_handler_and_a_sample() -> None:
    assert set(HANDLERS) == set(COMMAND_TYPES)
    for command_type in COMMAND_TYPES:
        assert isinstance(sample_command(command_type), command_type)


@pytest.mark.parametrize("command_type", COMMAND_TYPES, ids=lambda t: t.__name__)
def test_a_deny_all_rule_refuses_every_command_type_and_nothing_changes(
    venue: Venue, command_type: type[Command]
) -> None:
    venue.engine.gate.add_global_rule(deny_all)
    checks = venue.engine.gate.checks
    before = state_fingerprint(venue.state)
    events = venue.apply(sample_command(command_type))
    assert [(e.label, e.message) for e in events] == [  # type: ignore[attr-defined]
        (DENIED, f"{command_type.__name__} refused by policy")
    ]
    assert state_fingerprint(venue.state) == before
    assert venue.engine.gate.checks == checks + 1


def test_the_gate_decides_before_the_handler(venue: Venue) -> None:
    venue.engine.gate.add_global_rule(deny_all)
    alice = 10_000_001
    # a perfectly good deposit and a perfectly bad order get the same answer: the rule's
    assert venue.reject(CreditDeposit(alice, "BTC", 1, "tx-good")) == DENIED
    assert venue.reject(PlaceOrder(alice, "NOPE", 9, -1, -1)) == DENIED
    # the refused deposit's txid was never recorded: it can be credited later
    assert "tx-good" not in venue.state.deposit_txids


def test_the_gate_counts_every_command_applied(venue: Venue) -> None:
    gate = venue.engine.gate
    assert gate.checks == len(venue.journal)
    venue.apply(CreditDeposit(10_000_001, "BTC", 1, "tx-1"))
    venue.apply(CreditDeposit(404, "BTC", 1, "tx-2"))  # refused by its handler, still checked
    venue.apply(sample_command(PlaceOrder))
    assert gate.checks == len(venue.journal)


def test_a_rule_sees_the_command_and_the_facts_the_gateway_observed(venue: Venue) -> None:
    seen: list[tuple[str, Facts]] = []

    def witness(state: State, command: Command, facts: Facts) -> None:
        seen.append((type(command).__name__, facts))

    venue.engine.gate.add_global_rule(witness)
    facts = Facts(channel="rest", ip="192.0.2.7", country="DE", device="ios")
    venue.apply(CreditDeposit(10_000_001, "BTC", 1, "tx-9"), facts)
    assert seen == [("CreditDeposit", facts)]


def test_a_rule_for_one_command_type_leaves_the_others_alone(venue: Venue) -> None:
    def no_orders(state: State, command: Command, facts: Facts) -> None:
        raise Rejected(TRADE_RESTRICTED, "orders are closed")

    venue.engine.gate.add_rule(PlaceOrder, no_orders)
    assert venue.reject(venue.limit(10_000_001, BUY, "50000", "0.1")) == TRADE_RESTRICTED
    venue.ok(CreditDeposit(10_000_001, "BTC", 1, "tx-3"))


def test_the_number_of_rules_is_bounded(venue: Venue) -> None:
    gate = venue.engine.gate
    with pytest.raises(AssertionError):
        for _ in range(MAX_RULES_PER_COMMAND + 1):
            gate.add_rule(CreditDeposit, deny_all)
    with pytest.raises(AssertionError):
        for _ in range(MAX_RULES_PER_COMMAND + 1):
            gate.add_global_rule(deny_all)
