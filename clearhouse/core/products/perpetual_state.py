"""The state of perpetual futures: contracts, futures accounts, positions and their orders.

Where the money is (all in the settle asset, USDT):

- a user's futures wallet is its own ledger account, `account + FUTURES_WALLET_OFFSET`: its
  AVAILABLE bucket is free collateral (and the cross-margin wallet), its HOLD bucket holds open
  orders' margin (an order *is* its hold, as in spot);
- isolated position margin sits in PERP_ISOLATED_MARGIN, one ledger account for all users:
  each position records its share (`margin_units`, as an order records its hold) and the
  shares add up to that balance. One account rather than one per user keeps a liquidation
  burst and a funding round from touching a million ledger keys;
- realised PnL moves between the user and PERP_SETTLEMENT, whose balance is always minus the
  sum of the open positions' entry values: it pays profits and takes losses as they realise;
- funding passes through FUNDING_POOL (payers round up, receivers down; the rest goes to DUST);
- the insurance fund is the INSURANCE ledger account; it can hold positions it took over.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Final

from clearhouse.core.book import Order, OrderBook
from clearhouse.core.ledger import AVAILABLE, INSURANCE, PERP_ISOLATED_MARGIN, ledger_key
from clearhouse.core.pricing.funding import PremiumAccumulator
from clearhouse.core.pricing.mark_price import BasisAverage
from clearhouse.core.products.perpetual_contract import PerpContract
from clearhouse.core.risk.liquidation_index import LiquidationIndex
from clearhouse.core.risk.margin import Tiers

if TYPE_CHECKING:
    from clearhouse.core.products.perpetual_triggers import PerpTriggerBook

FUTURES_WALLET_OFFSET: Final = 1 << 40

# position slots: one-way mode has one position per contract, hedge (dual) mode two
SINGLE: Final = 0
DUAL_LONG: Final = 1
DUAL_SHORT: Final = 2
MODE_NAMES: Final = ("single", "dual_long", "dual_short")

# order kinds: who placed it and why (trades carry the kind into history)
NORMAL: Final = "normal"
LIQUIDATION: Final = "liquidation"  # a partial liquidation IOC or the fund unwinding
TAKEOVER: Final = "takeover"  # the insurance fund took a position at its bankruptcy price
ADL: Final = "adl"  # auto-deleveraging against the highest-ranked opposite positions

DEFAULT_LEVERAGE: Final = 10  # new positions: isolated at 10x until the user says otherwise
MAX_POSITIONS_PER_ACCOUNT: Final = 1_000


class PerpOrder(Order):
    """A contract order: a book order (and the hold on its margin) with the contract's flags.
    `size_lots`/`remaining_lots` are unsigned contracts; `side` gives the sign."""

    __slots__ = ("reduce_only", "slot", "kind", "is_close", "hold_per_lot")

    reduce_only: bool
    slot: int
    kind: str
    is_close: bool
    hold_per_lot: int  # margin + fee reserved per contract; a fill releases lots x this


class Position:
    __slots__ = (
        "position_id",
        "owner",
        "contract",
        "slot",
        "size",
        "cost_units",
        "margin_units",
        "leverage",
        "realised_pnl_units",
        "open_time_ns",
        "update_time_ns",
        "index_item",
        "index_rising",
    )

    def __init__(
        self, position_id: int, owner: PerpAccount, contract: str, slot: int, leverage: int
    ) -> None:
        self.position_id = position_id
        self.owner = owner
        self.contract = contract
        self.slot = slot
        self.size = 0  # signed contracts
        self.cost_units = 0  # signed entry value: sum of fill notionals still open
        self.margin_units = 0  # isolated margin; 0 for cross
        self.leverage = leverage  # 0 = cross margin
        self.realised_pnl_units = 0  # since the position opened, net of fees and funding
        self.open_time_ns = 0
        self.update_time_ns = 0
        self.index_item = 0  # item in the contract's liquidation index; 0 when not indexed
        self.index_rising = False

    @property
    def account(self) -> int:
        return self.owner.account_id


class PerpAccount:
    """A futures account: the wallet keys, position mode, per-contract margin settings, open
    positions and orders of one user account (or of the insurance fund)."""

    __slots__ = (
        "account_id",
        "wallet_key",
        "margin_key",
        "dual",
        "settings",
        "positions",
        "orders",
        "cross_items",
        "cross_count",
        "is_fund",
    )

    def __init__(self, account_id: int, settle_asset: int) -> None:
        self.account_id = account_id
        self.is_fund = account_id == INSURANCE
        if self.is_fund:
            self.wallet_key = ledger_key(INSURANCE, settle_asset, AVAILABLE)
            self.margin_key = self.wallet_key
        else:
            self.wallet_key = ledger_key(
                account_id + FUTURES_WALLET_OFFSET, settle_asset, AVAILABLE
            )
            self.margin_key = ledger_key(PERP_ISOLATED_MARGIN, settle_asset, AVAILABLE)
        self.dual = False
        self.settings: dict[str, tuple[int, int]] = {}  # contract -> (leverage, cross limit)
        self.positions: dict[tuple[str, int], Position] = {}
        self.orders: dict[int, PerpOrder] = {}
        self.cross_items: list[tuple[str, bool, int]] = []  # (contract, rising, item)
        self.cross_count = 0  # open cross-margin positions (kept by set_cross / positions)

    def leverage_for(self, contract: str) -> int:
        if self.is_fund:
            return 0
        return self.settings.get(contract, (DEFAULT_LEVERAGE, 0))[0]

    def cross_limit_for(self, contract: str) -> int:
        return self.settings.get(contract, (DEFAULT_LEVERAGE, 0))[1]

    def has_cross(self) -> bool:
        return self.cross_count > 0

    def set_leverage_of(self, pos: Position, leverage: int) -> None:
        """Change a position's margin mode, keeping the cross count."""
        self.cross_count += (leverage == 0) - (pos.leverage == 0)
        pos.leverage = leverage


class PerpMarket:
    """One contract: its listing, book, prices, funding accumulators, positions and index."""

    __slots__ = (
        "spec",
        "tiers",
        "k",
        "book",
        "triggers",
        "index",
        "positions",
        "enabled",
        "session_open",
        "next_session_change_ns",
        "index_ticks",
        "mark_ticks",
        "basis",
        "premium",
        "last_rate_ppb",
        "next_funding_ns",
        "interval_ns",
        "impact_notional_units",
    )

    def __init__(
        self, spec: PerpContract, k: int, triggers: PerpTriggerBook, settle_scale: int
    ) -> None:
        self.spec = spec
        self.tiers = Tiers(spec.risk_tiers)
        self.k = k  # settle units per tick per contract
        self.book = OrderBook()
        self.triggers = triggers
        self.index = LiquidationIndex()
        self.positions: dict[int, Position] = {}
        self.enabled = spec.trading_enabled
        self.session_open = True
        self.next_session_change_ns = 0
        self.index_ticks = 0
        self.mark_ticks = 0
        self.basis = BasisAverage(spec.mark_basis_samples)
        self.premium = PremiumAccumulator()
        self.last_rate_ppb = 0
        self.interval_ns = spec.funding_interval_s * 1_000_000_000
        self.next_funding_ns = 0
        # Binance: the impact notional is 200 settle units of margin at the first tier's IMR
        default_impact = 200 * 10**settle_scale * 1_000_000 // spec.risk_tiers[0].imr_ppm
        self.impact_notional_units = spec.impact_notional_units or default_impact


class PerpState:
    __slots__ = (
        "contracts",
        "accounts",
        "settle_asset",
        "settle_code",
        "next_position_id",
        "next_trigger_id",
        "trigger_expiries",
        "triggers_by_contract",
        "marks_moved",
        "traded",
        "touched",
        "taken_over",
        "next_due_ns",
    )

    def __init__(self) -> None:
        self.contracts: dict[str, PerpMarket] = {}
        self.accounts: dict[int, PerpAccount] = {}
        self.settle_asset = 0  # asset index of the margin asset, set by the first listing
        self.settle_code = ""
        self.next_position_id = 1
        self.next_trigger_id = 1
        self.trigger_expiries: list[tuple[int, int, str]] = []  # heap (expires_ns, id, contract)
        self.triggers_by_contract: dict[int, str] = {}  # open trigger id -> contract
        # per-command scratch, never part of the state's meaning (not dumped)
        self.marks_moved: list[str] = []  # contracts whose mark (or index) changed
        self.traded: list[str] = []  # contracts whose last price changed
        self.touched: set[tuple[str, int]] = set()  # (contract, tag) to check exactly
        self.taken_over: dict[str, int] = {}  # contract -> margin surplus the fund took
        self.next_due_ns = 0  # earliest funding or session change; 0 = nothing scheduled

    def account(self, account_id: int) -> PerpAccount:
        """The futures account of a user account, opened on first use."""
        acct = self.accounts.get(account_id)
        if acct is None:
            acct = PerpAccount(account_id, self.settle_asset)
            self.accounts[account_id] = acct
        return acct

    @property
    def fund(self) -> PerpAccount:
        """The insurance fund's futures account (opened by the first contract listing, so that
        reading it never changes the state)."""
        return self.accounts[INSURANCE]

    def reschedule(self) -> None:
        """The earliest time something is due without a command asking for it: a funding time
        or a session edge (derived from the contracts, so not part of the dump)."""
        due = 0
        for pm in self.contracts.values():
            for when in (pm.next_funding_ns, pm.next_session_change_ns):
                if when and (not due or when < due):
                    due = when
        self.next_due_ns = due

    def push_expiry(self, expires_ns: int, trigger_id: int, contract: str) -> None:
        heapq.heappush(self.trigger_expiries, (expires_ns, trigger_id, contract))
