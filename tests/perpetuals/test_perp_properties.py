"""Properties over random command streams (hypothesis state machine), checked after every step:

- the whole-state invariants: ledger balanced per asset (the insurance fund included), no user
  balance below zero, sizes per contract sum to zero, PERP_SETTLEMENT equals minus the open
  entry values, isolated margins and order holds match the ledger, reduce-only never overshoots;
- a refused command changes nothing;
- nothing is left below maintenance after a command (the liquidation index never misses one),
  so no account ends below zero equity; any loss a user could not pay was paid by the fund and
  recorded (InsuranceFundChanged "deficit"); the fund's equity is not below zero unless the
  command recorded InsuranceFundDepleted;
- at the end, a replay of the journal and a snapshot round trip give the same state hash, and
  a restored engine carries on exactly like the original.
"""

from __future__ import annotations

import os
from typing import Final

from hypothesis import HealthCheck, currently_in_test_context, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from perp_harness import BTC, ETH, USDT, PerpVenue, fingerprint, rejection

from clearhouse.core import canonical, invariants
from clearhouse.core.book import FOK, GTC, IOC, POC
from clearhouse.core.commands import (
    AdvanceTime,
    AnyCommand,
    CancelAllContractOrders,
    Envelope,
    FundInsurance,
    ObserveIndexSources,
    PlaceContractOrder,
    PlaceContractTrigger,
    SetLeverage,
    SetPositionMode,
    TransferWallet,
    UpdatePositionMargin,
)
from clearhouse.core.engine import Engine
from clearhouse.core.events import Event, InsuranceFundDepleted
from clearhouse.core.risk.account_margin import (
    cross_liquidatable,
    fund_equity_units,
    isolated_liquidatable,
)

EXAMPLES: Final = int(os.environ.get("PERP_PROPERTY_EXAMPLES", "30"))
BASE: Final = {BTC: 500_000, ETH: 300_000}  # 50,000 and 3,000 in ticks
HOUR_NS: Final = 3600 * 10**9
NOTABLE: Final = {"Liquidated", "AutoDeleveraged", "FundingSettled", "ContractTraded"}

contracts = st.sampled_from((BTC, ETH))
sizes = st.integers(1, 3_000).flatmap(lambda n: st.sampled_from((n, -n)))
offsets_ppm = st.integers(-40_000, 40_000)  # within the 5 % price band
tifs = st.sampled_from((GTC, GTC, IOC, POC, FOK))


class PerpMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        v = PerpVenue()
        self.v = v
        self.traders = [v.trader(f"T{i}", futures_usdt=20_000, spot_usdt=5_000) for i in range(4)]
        self.maker = v.trader("Maker", futures_usdt=2_000_000)
        v.ok(SetLeverage(self.traders[1], BTC, 0))  # cross in BTC
        v.ok(SetLeverage(self.traders[1], ETH, 0))  # ... and in ETH
        v.ok(SetPositionMode(self.traders[2], True))  # hedge mode
        v.ok(SetLeverage(self.traders[3], BTC, 50))  # isolated, high leverage
        v.fund_insurance(1_000)
        self.accounts = self.traders + [self.maker]
        for name, price in BASE.items():
            v.ok(ObserveIndexSources(name, (("feed", price, 1),)))
        self.last_events: list[Event] = []
        self.depleted = False  # the fund recorded that it could not be made whole

    # --- the command under test ----------------------------------------------------------
    def run(self, command: AnyCommand, advance_ns: int = 1_000_000) -> None:
        before = fingerprint(self.v.state)
        events = self.v.apply(command, advance_ns=advance_ns)
        self.last_events = events
        self.depleted = self.depleted or any(isinstance(e, InsuranceFundDepleted) for e in events)
        if currently_in_test_context():
            for seen in {type(e).__name__ for e in events} & NOTABLE:
                event(seen)
        if rejection(events) is not None:
            assert fingerprint(self.v.state) == before, f"refused {command} changed the state"

    def mark(self, contract: str) -> int:
        return self.v.market(contract).mark_ticks or BASE[contract]

    # --- rules ---------------------------------------------------------------------------
    @rule(who=st.integers(0, 4), contract=contracts, size=sizes, off=offsets_ppm, tif=tifs)
    def limit_order(self, who: int, contract: str, size: int, off: int, tif: int) -> None:
        price = max(1, self.mark(contract) * (1_000_000 + off) // 1_000_000)
        self.run(PlaceContractOrder(self.accounts[who], contract, size, price, tif))

    @rule(contract=contracts, spread_ppm=st.integers(0, 20_000), size=st.integers(1, 4_000))
    def maker_quotes(self, contract: str, spread_ppm: int, size: int) -> None:
        mark = self.mark(contract)
        gap = max(1, mark * spread_ppm // 1_000_000)
        self.run(PlaceContractOrder(self.maker, contract, size, mark - gap, GTC))
        self.run(PlaceContractOrder(self.maker, contract, -size, mark + gap, GTC))

    @rule(who=st.integers(0, 3), contract=contracts, size=sizes)
    def market_order(self, who: int, contract: str, size: int) -> None:
        self.run(PlaceContractOrder(self.accounts[who], contract, size, 0, IOC))

    @rule(who=st.integers(0, 3), contract=contracts, size=sizes, off=offsets_ppm)
    def reduce_only(self, who: int, contract: str, size: int, off: int) -> None:
        price = max(1, self.mark(contract) * (1_000_000 + off) // 1_000_000)
        order = PlaceContractOrder(self.accounts[who], contract, size, price, GTC, reduce_only=True)
        self.run(order)

    @rule(who=st.integers(0, 3), contract=contracts, long=st.booleans())
    def close(self, who: int, contract: str, long: bool) -> None:
        account = self.accounts[who]
        if who == 2:
            auto = "close_long" if long else "close_short"
            self.run(PlaceContractOrder(account, contract, 0, 0, IOC, auto_size=auto))
        else:
            self.run(PlaceContractOrder(account, contract, 0, 0, IOC, close=True))

    @rule(who=st.integers(0, 4), contract=contracts)
    def cancel_all(self, who: int, contract: str) -> None:
        self.run(CancelAllContractOrders(self.accounts[who], contract))

    @rule(who=st.integers(0, 3), contract=contracts, leverage=st.sampled_from((0, 1, 5, 20, 100)))
    def leverage(self, who: int, contract: str, leverage: int) -> None:
        self.run(SetLeverage(self.accounts[who], contract, leverage))

    @rule(who=st.integers(0, 3), contract=contracts, change=st.integers(-3_000, 3_000))
    def margin(self, who: int, contract: str, change: int) -> None:
        mode = "dual_long" if who == 2 else "single"
        self.run(UpdatePositionMargin(self.accounts[who], contract, change * USDT, mode))

    @rule(who=st.integers(0, 3), amount=st.integers(1, 10_000), inward=st.booleans())
    def transfer(self, who: int, amount: int, inward: bool) -> None:
        source, target = ("spot", "futures") if inward else ("futures", "spot")
        self.run(TransferWallet(self.accounts[who], "USDT", amount * USDT, source, target))

    @rule(contract=contracts, move_ppm=st.integers(-150_000, 150_000))
    def index_moves(self, contract: str, move_ppm: int) -> None:
        price = max(1, self.mark(contract) * (1_000_000 + move_ppm) // 1_000_000)
        self.run(ObserveIndexSources(contract, (("a", price, 1), ("b", price + 3, 2))))

    @rule(hours=st.integers(1, 9))
    def time_passes(self, hours: int) -> None:
        self.run(AdvanceTime(), advance_ns=hours * HOUR_NS)

    @rule(who=st.integers(0, 3), contract=contracts, off=offsets_ppm, kind=st.integers(0, 2))
    def trigger(self, who: int, contract: str, off: int, kind: int) -> None:
        account = self.accounts[who]
        price = max(1, self.mark(contract) * (1_000_000 + off) // 1_000_000)
        order = (
            PlaceContractOrder(account, contract, 0, 0, IOC, close=True)
            if who != 2
            else PlaceContractOrder(account, contract, 0, 0, IOC, auto_size="close_long")
        )
        rule_ = 1 if off < 0 else 0
        self.run(PlaceContractTrigger(account, contract, kind, rule_, price, 0, order))

    @rule(amount=st.integers(1, 2_000))
    def top_up_insurance(self, amount: int) -> None:
        self.run(FundInsurance("USDT", amount * USDT))

    # --- invariants ----------------------------------------------------------------------
    @invariant()
    def the_state_is_sound(self) -> None:
        invariants.assert_all(self.v.state)

    @invariant()
    def nothing_is_left_below_maintenance(self) -> None:
        state = self.v.state
        perps = state.perps
        for pm in perps.contracts.values():
            if not pm.mark_ticks or not pm.session_open:
                continue
            for pos in pm.positions.values():
                if pos.leverage and not pos.owner.is_fund:
                    assert not isolated_liquidatable(pm, pos), f"missed {pos.position_id}"
        for acct in perps.accounts.values():
            if not acct.is_fund:
                assert not cross_liquidatable(state, acct), f"missed cross {acct.account_id}"

    @invariant()
    def the_fund_is_solvent_or_says_so(self) -> None:
        if fund_equity_units(self.v.state) < 0:
            assert self.depleted, "the fund is below zero and never said so"

    def teardown(self) -> None:
        v = self.v
        replayed = Engine()
        for envelope in v.journal:
            replayed.apply(envelope)
        assert replayed.state_hash() == v.engine.state_hash()
        restored = Engine(canonical.load(canonical.encode(v.state)))
        assert restored.state_hash() == v.engine.state_hash()
        invariants.assert_all(restored.state)
        later: list[AnyCommand] = [
            ObserveIndexSources(BTC, (("a", self.mark(BTC) * 9 // 10, 1),)),
            PlaceContractOrder(self.traders[0], BTC, 5, 0, IOC),
            AdvanceTime(),
        ]
        for command in later:
            seq = v.state.seq + 1
            envelope = Envelope(seq, v.time_ns + seq * HOUR_NS, command)
            assert v.engine.apply(envelope) == restored.apply(envelope)
            assert v.engine.state_hash() == restored.state_hash()


PerpMachine.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=25,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
test_perpetuals_keep_their_invariants = PerpMachine.TestCase


def test_a_long_seeded_stream_keeps_every_invariant_and_reaches_liquidation_and_adl() -> None:
    """The same rules as the state machine, drawn from a seeded generator for many more steps
    than hypothesis runs, with a violent index: deep streams reach partial liquidations,
    take-overs, fund unwinds and ADL, and the invariants hold after every step."""
    import random

    rng = random.Random(int(os.environ.get("PERP_STREAM_SEED", "20260524")))
    machine = PerpMachine()
    seen: dict[str, int] = {}
    pick = rng.choice
    steps = int(os.environ.get("PERP_STREAM_STEPS", "1500"))
    for _ in range(steps):
        roll = rng.random()
        contract = pick((BTC, ETH))
        who = rng.randrange(4)
        size = rng.randrange(1, 3_000) * pick((1, -1))
        off = rng.randrange(-40_000, 40_000)
        if roll < 0.25:
            machine.maker_quotes(contract, rng.randrange(0, 20_000), rng.randrange(1, 4_000))
        elif roll < 0.45:
            machine.market_order(who, contract, size)
        elif roll < 0.55:
            machine.limit_order(rng.randrange(5), contract, size, off, pick((GTC, IOC, POC, FOK)))
        elif roll < 0.62:
            machine.index_moves(contract, rng.randrange(-300_000, 300_000))  # gaps, too
        elif roll < 0.67:
            machine.reduce_only(who, contract, size, off)
        elif roll < 0.71:
            machine.close(who, contract, pick((True, False)))
        elif roll < 0.75:
            machine.leverage(who, contract, pick((0, 1, 5, 20, 100)))
        elif roll < 0.79:
            machine.margin(who, contract, rng.randrange(-3_000, 3_000))
        elif roll < 0.83:
            machine.transfer(who, rng.randrange(1, 10_000), pick((True, False)))
        elif roll < 0.88:
            machine.trigger(who, contract, off, rng.randrange(3))
        elif roll < 0.92:
            machine.cancel_all(rng.randrange(5), contract)
        else:  # no top-ups: the fund must run dry now and then, so that ADL happens
            machine.time_passes(rng.randrange(1, 9))
        for name in {type(e).__name__ for e in machine.last_events}:
            seen[name] = seen.get(name, 0) + 1
        machine.the_state_is_sound()
        machine.nothing_is_left_below_maintenance()
        machine.the_fund_is_solvent_or_says_so()
    machine.teardown()
    print(sorted(seen.items()))
    needed_events = ("ContractTraded", "Liquidated", "AutoDeleveraged", "FundingSettled")
    for needed in needed_events + ("ContractTriggerFired",):
        assert seen.get(needed, 0) > 0, f"the stream never produced {needed}: {seen}"
