"""Everything the engine knows, in one place. Only handlers called by `Engine.apply` write it."""

from __future__ import annotations

from clearhouse.core.accounts import Account, Party
from clearhouse.core.api_keys import ApiKey
from clearhouse.core.cases import CaseBook
from clearhouse.core.compliance.identity_state import IdentityRegistry
from clearhouse.core.compliance.sanctions_state import SanctionsState
from clearhouse.core.compliance.travel_rule import DEFAULT_THRESHOLD_USD_CENTS
from clearhouse.core.errors import (
    INVALID_CURRENCY,
    INVALID_CURRENCY_PAIR,
    USER_NOT_FOUND,
    Rejected,
)
from clearhouse.core.ledger import FIRST_USER_ACCOUNT, Ledger
from clearhouse.core.products.perpetual_state import PerpState
from clearhouse.core.products.spot_market import SpotMarketState
from clearhouse.core.triggers import Trigger
from clearhouse.core.units import Asset
from clearhouse.core.wallet import Withdrawal


class State:
    def __init__(self) -> None:
        self.seq = 0
        self.time_ns = 0
        self.assets: dict[str, Asset] = {}
        self.asset_index: dict[str, int] = {}
        self.asset_codes: list[str] = []
        self.markets: dict[str, SpotMarketState] = {}
        self.parties: dict[int, Party] = {}
        self.party_refs: dict[str, int] = {}
        self.accounts: dict[int, Account] = {}
        self.ledger = Ledger()
        self.withdrawals: dict[int, Withdrawal] = {}
        self.withdrawal_refs: dict[tuple[int, str], int] = {}
        self.deposit_txids: dict[str, int] = {}
        self.next_party_id = 1
        self.next_account_id = FIRST_USER_ACCOUNT
        self.next_order_id = 1
        self.next_trade_id = 1
        self.next_deposit_id = 1
        self.next_withdrawal_id = 1
        self.next_trigger_id = 1
        self.triggers_by_id: dict[int, Trigger] = {}
        self.api_keys: dict[str, ApiKey] = {}
        self.index_prices: dict[str, int] = {}  # market -> ticks
        self.trigger_expiries: list[tuple[int, int]] = []  # heap of (expires_at_ns, trigger id)
        self.identity = IdentityRegistry()  # KYC, jurisdictions, limits (compliance/)
        self.sanctions = SanctionsState()  # lists, hits, frozen deposits (compliance/)
        self.travel_rule_threshold_usd_cents = DEFAULT_THRESHOLD_USD_CENTS
        self.cases = CaseBook()  # compliance cases (core/cases.py)
        self.perps = PerpState()  # perpetual futures (core/products/perpetual_state.py)

    # --- lookups that reject ---------------------------------------------------------------------
    def require_account(self, account_id: int) -> Account:
        account = self.accounts.get(account_id)
        if account is None:
            raise Rejected(USER_NOT_FOUND, f"account {account_id} not found")
        return account

    def require_market(self, name: str) -> SpotMarketState:
        market = self.markets.get(name)
        if market is None:
            raise Rejected(INVALID_CURRENCY_PAIR, f"unknown currency pair {name!r}")
        return market

    def require_asset(self, code: str) -> int:
        index = self.asset_index.get(code)
        if index is None:
            raise Rejected(INVALID_CURRENCY, f"unknown currency {code!r}")
        return index
