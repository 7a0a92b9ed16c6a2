"""Gate's two WebSocket signatures, checked against the engine's API keys.

* Channel subscriptions, in the request's `auth` object:
  `HexEncode(HMAC_SHA512(secret, "channel=<channel>&event=<event>&time=<time>"))`.
* WebSocket API (login, order_place, ...), in the payload:
  `HexEncode(HMAC_SHA512(secret, "api\\n<channel>\\n<req_param>\\n<timestamp>"))`,
  where `<req_param>` is the raw JSON the client sent ("" when absent; ccxt sends "{}" for login).

Keys are engine state, so a revoked key stops working at once. The engine's policy gate checks
permissions and IP allow-lists again on every command; the checks here only decide who may log in
and subscribe to private channels.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Final

import msgspec

from clearhouse.api.sealing import MasterKey, SealError
from clearhouse.core.api_keys import READ, SPOT, ApiKey
from clearhouse.venue import Venue

INVALID_KEY: Final = "INVALID_KEY"
INVALID_SIGNATURE: Final = "INVALID_SIGNATURE"
REQUEST_EXPIRED: Final = "REQUEST_EXPIRED"
FORBIDDEN: Final = "FORBIDDEN"

# A key may read private spot channels with any of these permissions.
SPOT_READ: Final = frozenset({READ, SPOT})


class AuthFailed(Exception):
    def __init__(self, label: str, message: str) -> None:
        super().__init__(message)
        self.label = label
        self.message = message


@dataclass(frozen=True)
class Session:
    """Who an authenticated request acts for."""

    key: str
    account: int


def channel_sign_string(channel: str, event: str, time_s: int) -> str:
    return f"channel={channel}&event={event}&time={time_s}"


def api_sign_string(channel: str, req_param: bytes, timestamp: str) -> bytes:
    return b"api\n" + channel.encode() + b"\n" + req_param + b"\n" + timestamp.encode()


def sign(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha512).hexdigest()


class KeyChecker:
    """Verifies signatures with secrets unsealed on demand and cached (bounded, LRU)."""

    def __init__(self, venue: Venue, master_key: MasterKey, window_s: int, cache_entries: int):
        self._venue = venue
        self._master_key = master_key
        self._window_s = window_s
        self._cache: OrderedDict[bytes, str] = OrderedDict()
        self._cache_entries = cache_entries

    def active_key(self, key: str, ip: str, permissions: frozenset[str]) -> ApiKey:
        api_key = self._venue.engine.state.api_keys.get(key)
        if api_key is None or not api_key.active:
            raise AuthFailed(INVALID_KEY, "Invalid key provided")
        if not api_key.allows_ip(ip):
            raise AuthFailed(FORBIDDEN, f"IP {ip} not in the key's allow-list")
        if permissions and not permissions & api_key.permissions:
            raise AuthFailed(FORBIDDEN, f"key lacks one of the permissions {sorted(permissions)}")
        return api_key

    def check_time(self, time_s: int) -> None:
        if abs(time.time() - time_s) > self._window_s:
            raise AuthFailed(REQUEST_EXPIRED, "request timestamp outside the 60 s window")

    def verify(self, api_key: ApiKey, message: bytes, signature: str) -> None:
        expected = sign(self._secret(api_key), message)
        if not hmac.compare_digest(expected, signature.lower()):
            raise AuthFailed(INVALID_SIGNATURE, "Signature mismatch")

    def verify_channel(self, key: str, signature: str, channel: str, event: str, time_s: int,
                       ip: str) -> Session:  # fmt: skip
        api_key = self.active_key(key, ip, SPOT_READ)
        self.check_time(time_s)
        self.verify(api_key, channel_sign_string(channel, event, time_s).encode(), signature)
        return Session(api_key.key, api_key.account)

    def verify_api(self, key: str, signature: str, channel: str, req_param: bytes,
                   timestamp: str, ip: str) -> Session:  # fmt: skip
        api_key = self.active_key(key, ip, frozenset())
        try:
            time_s = int(timestamp)
        except ValueError as exc:
            raise AuthFailed(REQUEST_EXPIRED, "timestamp must be unix seconds") from exc
        self.check_time(time_s)
        try:
            self.verify(api_key, api_sign_string(channel, req_param, timestamp), signature)
        except AuthFailed:
            # the same parameters re-encoded compactly: clients that sign `json.dumps(p,
            # separators=(",", ":"))` but send with spaces are still signing what they send
            if not req_param.strip():
                raise
            compact = msgspec.json.encode(msgspec.json.decode(req_param))
            if compact == req_param:
                raise
            self.verify(api_key, api_sign_string(channel, compact, timestamp), signature)
        return Session(api_key.key, api_key.account)

    def _secret(self, api_key: ApiKey) -> str:
        cache = self._cache
        sealed = api_key.secret_sealed
        secret = cache.get(sealed)
        if secret is not None:
            cache.move_to_end(sealed)
            return secret
        try:
            secret = self._master_key.unseal(sealed, api_key.key)
        except SealError as exc:  # a secret this venue cannot open is as good as no key
            raise AuthFailed(INVALID_KEY, "Invalid key provided") from exc
        cache[sealed] = secret
        if len(cache) > self._cache_entries:
            cache.popitem(last=False)
        return secret
