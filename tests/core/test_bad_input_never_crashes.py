"""Bad input gets a clear error, never a crash: any well-typed command of any type, with any
values (absurd ids, negative and huge numbers, empty and over-long strings, NaN), is either
applied or refused with a `CommandRejected`, and the venue's invariants hold after it.

A command that raised out of `Engine.apply` would already be in the journal, so every replay
would raise at the same place: the venue could not restart."""

from __future__ import annotations

import types
import typing
from typing import Any

import msgspec
from core_harness import Venue
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearhouse.core import invariants
from clearhouse.core.book import BUY, SELL
from clearhouse.core.commands import COMMAND_TYPES, Command

ints = st.one_of(
    st.integers(-3, 5),
    st.integers(10_000_000, 10_000_004),  # around the accounts that exist
    st.sampled_from([6_000_000, 10**8, 10**15, 10**15 + 1, 2**63, -(2**63), 10**31]),
    st.integers(-(2**80), 2**80),
)
strings = st.one_of(
    st.sampled_from(
        [
            "BTC_USDT",
            "ETH_USDT",
            "BTC",
            "USDT",
            "",
            " ",
            "x" * 300,
            "NaN",
            "Infinity",
            "1e5",
            "-0.01",
            "0.01",
            "0.00001",
            "person",
            "DE",
            "A" * 32,
            "10.0.0.0/8",
            "::1",
        ]
    ),
    st.text(max_size=8),
)


def strategy_for(annotation: Any) -> st.SearchStrategy[Any]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*[strategy_for(arg) for arg in typing.get_args(annotation)])
    if origin is tuple:
        args = typing.get_args(annotation)
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(strategy_for(args[0]), max_size=3).map(tuple)
        return st.tuples(*[strategy_for(arg) for arg in args])
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return command_strategy(annotation)
    simple: dict[Any, st.SearchStrategy[Any]] = {
        int: ints,
        str: strings,
        bool: st.booleans(),
        bytes: st.binary(max_size=4),
        type(None): st.none(),
    }
    return simple[annotation]


def command_strategy(command_type: type[Any]) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(command_type)
    return st.builds(
        command_type,
        **{f.name: strategy_for(hints[f.name]) for f in msgspec.structs.fields(command_type)},
    )


any_command = st.one_of(*[command_strategy(t) for t in COMMAND_TYPES])


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(commands=st.lists(any_command, max_size=25))
def test_no_command_crashes_the_engine_or_breaks_an_invariant(commands: list[Command]) -> None:
    venue = Venue()
    alice = venue.trader("Alice", USDT=100_000, BTC=2)
    bob = venue.trader("Bob", USDT=100_000, BTC=2)
    venue.place(alice, BUY, "50000", "0.1")
    venue.place(bob, SELL, "70000", "0.1", display_lots=venue.size("0.01"))
    for command in commands:
        venue.apply(command)  # type: ignore[arg-type]
        invariants.assert_all(venue.state)
