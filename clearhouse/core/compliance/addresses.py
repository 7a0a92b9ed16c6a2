"""Crypto-address screening: chain-aware normalisation, then exact match.

Fuzzy matching has no place here: one character is a different address. What matters is that
the same address is compared in the same spelling:
- EVM chains (ETH, ETC, BSC, ARB, ... and tokens on them, e.g. USDT/USDC as 0x addresses):
  hex is case-insensitive; EIP-55 mixed case is only a checksum, so lower-case everything.
  A listed ETH address is also a hit on every other EVM chain: it is the same key pair.
- bech32/bech32m (bc1..., ltc1..., bnb1...) and BCH cashaddr: case-insensitive by
  specification (mixed case is invalid), so lower-case; a "bitcoincash:" prefix is dropped.
- base58 (legacy BTC/LTC/DASH/ZEC/TRON/XRP/SOL/XMR): case is significant; kept as is.
Whitespace anywhere is stripped (copy-paste artefacts). A chain we do not know is never
reported clear: an unknown chain with no hit is sent to review.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable

import msgspec

from clearhouse.core.compliance.sanctions_list import (
    AddressList,
    SanctionsList,
    combined_version,
)
from clearhouse.core.compliance.screening import Decision

MAX_ADDRESS_CHARS = 256


class AddressFormat(enum.Enum):
    EVM = "evm"
    BECH32 = "bech32"
    CASHADDR = "cashaddr"
    BASE58 = "base58"
    OTHER = "other"  # e.g. an XMR payment id; compared exactly


# Chains (OFAC tickers and common network names) whose addresses we know how to read.
EVM_CHAINS = frozenset(
    [
        "ETH",
        "ETC",
        "BSC",
        "BNB",
        "ARB",
        "OP",
        "MATIC",
        "POL",
        "AVAX",
        "BASE",
        "USDT",
        "USDC",
        "DAI",
        "FTM",
        "LINEA",
        "ZKSYNC",
    ]
)
BASE58_OR_BECH32_CHAINS = frozenset(
    [
        "XBT",
        "BTC",
        "LTC",
        "BCH",
        "BSV",
        "BTG",
        "DASH",
        "ZEC",
        "XVG",
        "DOGE",
        "TRX",
        "XRP",
        "SOL",
        "XMR",
        "BNB",
        "USDT",
        "USDC",
    ]
)
KNOWN_CHAINS = EVM_CHAINS | BASE58_OR_BECH32_CHAINS

_EVM = re.compile(r"^0x[0-9a-fA-F]{40}$")
# bech32: human-readable part, the separator "1", then the data charset (no 1, b, i, o).
_BECH32 = re.compile(r"^[a-zA-Z]{1,83}1[02-9ac-hj-np-zAC-HJ-NP-Z]{6,}$")
_CASHADDR = re.compile(r"^(bitcoincash:)?[qpQP][02-9ac-hj-np-zAC-HJ-NP-Z]{41}$")
_BASE58 = re.compile(r"^[1-9A-HJ-NP-Za-km-z]+$")
_BECH32_PREFIXES = ("bc1", "tb1", "ltc1", "bnb1", "tltc1", "bcrt1")
_WHITESPACE = re.compile(r"\s+")


class AddressKey(msgspec.Struct, frozen=True):
    format: AddressFormat
    value: str  # normalised spelling; the lookup key


class AddressHit(msgspec.Struct, frozen=True):
    listed_chain: str
    listed_address: str
    entry_id: str | None  # None for bare address lists with no entity
    source: str


class AddressScreeningResult(msgspec.Struct, frozen=True):
    chain: str
    address: str
    normalized: str
    decision: Decision
    hits: tuple[AddressHit, ...]
    reason: str  # "listed", "not_listed", "unknown_chain", "unrecognised_format"
    list_version: str


def classify(address: str) -> AddressFormat:
    if _EVM.match(address):
        return AddressFormat.EVM
    lowered = address.lower()
    if _CASHADDR.match(address) and (address.islower() or address.isupper() or ":" in address):
        return AddressFormat.CASHADDR
    if lowered.startswith(_BECH32_PREFIXES) and _BECH32.match(address):
        return AddressFormat.BECH32
    if _BASE58.match(address):
        return AddressFormat.BASE58
    return AddressFormat.OTHER


def normalize_address(address: str) -> AddressKey:
    """Normalised lookup key for an address, whatever chain it is on."""
    stripped = _WHITESPACE.sub("", address)
    if not stripped or len(stripped) > MAX_ADDRESS_CHARS:
        raise ValueError(f"not an address: {address[:80]!r}")
    fmt = classify(stripped)
    if fmt is AddressFormat.EVM or fmt is AddressFormat.BECH32:
        return AddressKey(fmt, stripped.lower())
    if fmt is AddressFormat.CASHADDR:
        return AddressKey(fmt, stripped.lower().removeprefix("bitcoincash:"))
    return AddressKey(fmt, stripped)


class AddressScreener:
    """Exact-match screening against the wallets of one or more lists (one combined version)."""

    def __init__(
        self,
        sanctions: Iterable[SanctionsList] = (),
        address_lists: Iterable[AddressList] = (),
    ) -> None:
        self._index: dict[str, list[AddressHit]] = {}
        versions: list[tuple[str, str]] = []
        for lst in sanctions:
            versions.append((lst.source, lst.version))
            for entry in lst.entries:
                for wallet in entry.wallets:
                    self._add(wallet.chain, wallet.address, entry.entry_id, lst.source)
        for alist in address_lists:
            versions.append((alist.source, alist.version))
            for listed in alist.addresses:
                self._add(listed.chain, listed.address, None, alist.source)
        # A screener over a single list carries that list's own version unchanged.
        self.version = versions[0][1] if len(versions) == 1 else combined_version(versions)
        for hits in self._index.values():
            hits.sort(key=lambda h: (h.entry_id or "", h.listed_chain, h.source))

    def _add(self, chain: str, address: str, entry_id: str | None, source: str) -> None:
        key = normalize_address(address).value
        hit = AddressHit(
            listed_chain=chain, listed_address=address, entry_id=entry_id, source=source
        )
        bucket = self._index.setdefault(key, [])
        if hit not in bucket:
            bucket.append(hit)

    @property
    def address_count(self) -> int:
        return len(self._index)

    def screen(self, chain: str, address: str) -> AddressScreeningResult:
        chain_code = chain.strip().upper()
        key = normalize_address(address)
        hits = tuple(self._index.get(key.value, ()))
        if hits:
            decision, reason = Decision.BLOCK, "listed"
        elif chain_code not in KNOWN_CHAINS:
            decision, reason = Decision.REVIEW, "unknown_chain"
        elif (key.format is AddressFormat.EVM) != (chain_code in EVM_CHAINS) and (
            chain_code not in EVM_CHAINS & BASE58_OR_BECH32_CHAINS
        ):
            # A 0x address on a non-EVM chain, or a non-0x one on an EVM-only chain, cannot be
            # right: normalisation may have read it wrongly, so a human should look.
            decision, reason = Decision.REVIEW, "unrecognised_format"
        else:
            decision, reason = Decision.CLEAR, "not_listed"
        return AddressScreeningResult(
            chain=chain_code,
            address=address,
            normalized=key.value,
            decision=decision,
            hits=hits,
            reason=reason,
            list_version=self.version,
        )
