"""Unsealed API secrets, kept in memory so checking a signature neither decrypts the sealed secret
(AES-GCM) nor rebuilds the HMAC-SHA512 key schedule on every request.

The cache is bounded (least recently used out) and never the authority: callers look the key up in
the engine first (it must exist and be active), and an entry is used only while the key's sealed
secret in the engine is the one it was unsealed from. A revoked key's entry is dropped as soon as
the venue applies the revocation (the cache is a venue listener), so its secret does not linger.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from typing import Final

from clearhouse.api.sealing import MasterKey
from clearhouse.core.api_keys import ApiKey
from clearhouse.core.commands import Envelope
from clearhouse.core.events import ApiKeyRevoked, Event

DEFAULT_ENTRIES: Final = 10_000


class KeySecrets:
    def __init__(self, master_key: MasterKey, max_entries: int = DEFAULT_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be >= 1")
        self._master_key = master_key
        self.max_entries = max_entries
        # key id -> (sealed secret, secret, HMAC-SHA512 keyed with the secret, to be copied)
        self._entries: OrderedDict[str, tuple[bytes, str, hmac.HMAC]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"KeySecrets(<{len(self._entries)} hidden>)"

    def _entry(self, api_key: ApiKey) -> tuple[bytes, str, hmac.HMAC]:
        """Raises `SealError` if the secret does not open under the master key."""
        entries = self._entries
        key = api_key.key
        sealed = api_key.secret_sealed
        entry = entries.get(key)
        if entry is not None and entry[0] == sealed:
            entries.move_to_end(key)
            return entry
        secret = self._master_key.unseal(sealed, key)
        entry = (sealed, secret, hmac.new(secret.encode(), digestmod=hashlib.sha512))
        entries[key] = entry
        entries.move_to_end(key)
        if len(entries) > self.max_entries:
            entries.popitem(last=False)
        return entry

    def secret(self, api_key: ApiKey) -> str:
        return self._entry(api_key)[1]

    def sign(self, api_key: ApiKey, message: bytes) -> str:
        """hex(HMAC-SHA512(secret, message))."""
        mac = self._entry(api_key)[2].copy()
        mac.update(message)
        return mac.hexdigest()

    def drop(self, key: str) -> None:
        self._entries.pop(key, None)

    def __call__(self, envelope: Envelope, events: list[Event]) -> None:
        """Venue listener: forget revoked keys."""
        for event in events:
            if type(event) is ApiKeyRevoked:
                self._entries.pop(event.key, None)
