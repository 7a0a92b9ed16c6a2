"""Double-entry ledger: every balance change is a transfer between two ledger accounts.

A ledger account is (owner account id, asset, bucket). Users have an `AVAILABLE` and a `HOLD`
bucket per asset; the venue's system accounts (fees, external world, dust, insurance, ...) are
ordinary account ids below `FIRST_USER_ACCOUNT`. Because every change debits one account and
credits another by the same amount, the sum over all ledger accounts of an asset is zero after
every command; the external account goes negative by exactly what users deposited.

Holds are two-phase: `reserve` moves funds AVAILABLE -> HOLD and returns a `Hold`; the hold is
then posted (to a counterparty, possibly in parts) and finally closed exactly once, either by
being used up or by `void`, which returns what is left to AVAILABLE.
"""

from __future__ import annotations

from typing import Final

from clearhouse.core.errors import BALANCE_NOT_ENOUGH, Rejected

AVAILABLE: Final = 0
HOLD: Final = 1
# Funds a compliance decision froze (a deposit from a sanctioned address): the owner's, but
# neither available nor reserved; only a compliance command moves them back to AVAILABLE.
FROZEN: Final = 2
# Deposits credited to an account whose owner is not KYC-verified: the owner's, not tradable;
# moved to AVAILABLE when the verification passes (core/compliance/kyc.py).
KYC_HELD: Final = 3
BUCKETS: Final = 4

# System accounts. User account ids start at FIRST_USER_ACCOUNT (Gate uids look like this).
EXTERNAL: Final = 1  # the world outside the venue: deposits come from it, withdrawals go to it
FEES: Final = 2  # trading fees collected
DUST: Final = 3  # rounding remainders, always in the venue's favour
INSURANCE: Final = 4  # insurance fund (perpetuals)
# Perpetuals: pays realised profit, takes realised loss; its balance is minus the sum of the
# open positions' entry values (core/products/perpetual_state.py)
PERP_SETTLEMENT: Final = 5
FUNDING_POOL: Final = 6  # funding passes through here: payers in, receivers out, rest to DUST
# Isolated position margin of every user; each position records its share (like holds on orders)
PERP_ISOLATED_MARGIN: Final = 7
FIRST_USER_ACCOUNT: Final = 10_000_001

_ASSET_BITS: Final = 16
_BUCKET_BITS: Final = 2
MAX_ASSETS: Final = 1 << _ASSET_BITS


def ledger_key(account: int, asset: int, bucket: int) -> int:
    """One int per ledger account: dict lookups on small ints are the cheapest Python has."""
    return (account << (_ASSET_BITS + _BUCKET_BITS)) | (asset << _BUCKET_BITS) | bucket


def split_key(key: int) -> tuple[int, int, int]:
    return (
        key >> (_ASSET_BITS + _BUCKET_BITS),
        (key >> _BUCKET_BITS) & (MAX_ASSETS - 1),
        key & ((1 << _BUCKET_BITS) - 1),
    )


class Hold:
    """Funds reserved for one purpose (an open order, a pending withdrawal).

    Orders subclass Hold (an order *is* the reservation of its funds), which saves an object
    per resting order; withdrawals use a plain Hold."""

    __slots__ = ("hold_key", "remaining_units", "closed")

    def __init__(self) -> None:
        self.hold_key = 0
        self.remaining_units = 0
        self.closed = False

    @property
    def available_key(self) -> int:
        return self.hold_key ^ HOLD  # the same ledger account's AVAILABLE bucket

    @property
    def asset(self) -> int:
        return (self.hold_key >> _BUCKET_BITS) & (MAX_ASSETS - 1)


class Ledger:
    __slots__ = ("balances",)

    def __init__(self) -> None:
        self.balances: dict[int, int] = {}

    # --- reads -----------------------------------------------------------------------------------
    def balance(self, account: int, asset: int, bucket: int = AVAILABLE) -> int:
        return self.balances.get(ledger_key(account, asset, bucket), 0)

    def require_available(self, account: int, asset: int, units: int) -> None:
        have = self.balances.get(ledger_key(account, asset, AVAILABLE), 0)
        if have < units:
            raise Rejected(BALANCE_NOT_ENOUGH, "Not enough balance")

    # --- writes ----------------------------------------------------------------------------------
    def transfer(self, debit_key: int, credit_key: int, units: int) -> None:
        """Move `units` from one ledger account to another. The one primitive that changes money."""
        assert units >= 0, "transfers move a non-negative amount"
        if units == 0:
            return
        balances = self.balances
        balances[debit_key] = balances.get(debit_key, 0) - units
        balances[credit_key] = balances.get(credit_key, 0) + units

    def move(self, from_account: int, to_account: int, asset: int, units: int) -> None:
        self.transfer(
            ledger_key(from_account, asset, AVAILABLE),
            ledger_key(to_account, asset, AVAILABLE),
            units,
        )

    def reserve(self, account: int, asset: int, units: int) -> Hold:
        """Phase one of a hold. The caller has checked `require_available`."""
        hold = Hold()
        self.reserve_into(hold, account, asset, units)
        return hold

    def reserve_into(self, hold: Hold, account: int, asset: int, units: int) -> None:
        """Phase one into an existing (fresh) hold, e.g. an order."""
        assert hold.hold_key == 0 and not hold.closed, "a hold is reserved once"
        available_key = ledger_key(account, asset, AVAILABLE)
        hold_key = available_key | HOLD
        balances = self.balances
        have = balances.get(available_key, 0)
        assert have >= units >= 0, "reserve only what is available"
        balances[available_key] = have - units
        balances[hold_key] = balances.get(hold_key, 0) + units
        hold.hold_key = hold_key
        hold.remaining_units = units

    def extend(self, hold: Hold, units: int) -> None:
        """Reserve more into an open hold (an order amended upwards)."""
        assert not hold.closed and units >= 0
        self.transfer(hold.available_key, hold.hold_key, units)
        hold.remaining_units += units

    def post(self, hold: Hold, credit_key: int, units: int) -> None:
        """Phase two, possibly in parts: pay `units` out of the hold to `credit_key`."""
        assert not hold.closed, "a closed hold cannot be posted"
        assert 0 <= units <= hold.remaining_units, "cannot post more than is held"
        self.transfer(hold.hold_key, credit_key, units)
        hold.remaining_units -= units

    def release(self, hold: Hold, units: int) -> None:
        """Return part of a hold to AVAILABLE, keeping the hold open (price improvement, amend)."""
        assert not hold.closed and 0 <= units <= hold.remaining_units
        self.transfer(hold.hold_key, hold.available_key, units)
        hold.remaining_units -= units

    def void(self, hold: Hold) -> int:
        """Close the hold, returning whatever remains to AVAILABLE. Exactly once."""
        assert not hold.closed, "a hold is closed exactly once"
        units = hold.remaining_units
        self.transfer(hold.hold_key, hold.available_key, units)
        hold.remaining_units = 0
        hold.closed = True
        return units

    def close_spent(self, hold: Hold) -> None:
        """Close a hold that was posted in full."""
        assert not hold.closed and hold.remaining_units == 0, "only a fully posted hold is spent"
        hold.closed = True

    # --- invariants ------------------------------------------------------------------------------
    def totals_by_asset(self) -> dict[int, int]:
        totals: dict[int, int] = {}
        for key, units in self.balances.items():
            asset = (key >> _BUCKET_BITS) & (MAX_ASSETS - 1)
            totals[asset] = totals.get(asset, 0) + units
        return totals

    def assert_balanced(self) -> None:
        for asset, total in self.totals_by_asset().items():
            assert total == 0, f"ledger out of balance for asset {asset}: {total}"

    def assert_no_negative_user_balance(self) -> None:
        for key, units in self.balances.items():
            if (key >> (_ASSET_BITS + _BUCKET_BITS)) >= FIRST_USER_ACCOUNT:
                assert units >= 0, f"negative user balance at {split_key(key)}: {units}"

    def hold_totals(self) -> dict[int, int]:
        """HOLD bucket balance per ledger key, for comparing with open reservations."""
        return {key: units for key, units in self.balances.items() if key & 3 == HOLD and units}
