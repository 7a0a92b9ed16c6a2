"""Gate API v4 request signatures (HMAC-SHA512), for both sides of the wire.

    payload = METHOD "\\n" /api/v4/path "\\n" query "\\n" hex(SHA512(body)) "\\n" timestamp
    SIGN    = hex(HMAC-SHA512(secret, payload))

Clients sign the query string key-sorted and *not* URL-encoded (ccxt) or exactly as sent
(Gate's SDKs); the verifier accepts either form of the query the request actually carried.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Final
from urllib.parse import parse_qsl

_EMPTY_BODY_HASH: Final = hashlib.sha512(b"").hexdigest()


def body_hash(body: bytes) -> str:
    return hashlib.sha512(body).hexdigest() if body else _EMPTY_BODY_HASH


def payload(method: str, path: str, query: str, body: bytes, timestamp: str) -> str:
    return "\n".join((method.upper(), path, query, body_hash(body), timestamp))


def sign(secret: str, method: str, path: str, query: str, body: bytes, timestamp: str) -> str:
    message = payload(method, path, query, body, timestamp)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha512).hexdigest()


def query_forms(raw_query: str) -> tuple[str, ...]:
    """The query as sent, and decoded (`k=v&...` unencoded, in the order sent)."""
    if _decodes_to_itself(raw_query):
        return (raw_query,)
    decoded = "&".join(f"{k}={v}" for k, v in parse_qsl(raw_query, keep_blank_values=True))
    return (raw_query,) if decoded == raw_query else (raw_query, decoded)


def _decodes_to_itself(raw_query: str) -> bool:
    """True when decoding cannot change the query: nothing escaped, every part a `k=v` pair
    (parse_qsl drops empty parts and turns a bare `k` into `k=`)."""
    if not raw_query:
        return True
    if "%" in raw_query or "+" in raw_query:
        return False
    return all("=" in part for part in raw_query.split("&"))


def verify(
    secret: str, signature: str, method: str, path: str, raw_query: str, body: bytes,
    timestamp: str,
) -> bool:  # fmt: skip
    key = secret.encode()
    return verify_mac(
        lambda message: hmac.new(key, message, hashlib.sha512).hexdigest(),
        signature, method, path, raw_query, body, timestamp,
    )  # fmt: skip


def verify_mac(
    mac: Callable[[bytes], str], signature: str, method: str, path: str, raw_query: str,
    body: bytes, timestamp: str,
) -> bool:  # fmt: skip
    """`verify` with the keyed HMAC-SHA512 given as a function (e.g. a cached key schedule)."""
    if not signature.isascii():
        return False
    signature = signature.lower()
    matched = False
    for query in query_forms(raw_query):
        expected = mac(payload(method, path, query, body, timestamp).encode())
        # compare every candidate so the time taken does not depend on which one matched
        matched |= hmac.compare_digest(expected, signature)
    return matched
