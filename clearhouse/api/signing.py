"""Gate API v4 request signatures (HMAC-SHA512), for both sides of the wire.

    payload = METHOD "\\n" /api/v4/path "\\n" query "\\n" hex(SHA512(body)) "\\n" timestamp
    SIGN    = hex(HMAC-SHA512(secret, payload))

Clients sign the query string key-sorted and *not* URL-encoded (ccxt) or exactly as sent
(Gate's SDKs); the verifier accepts either form of the query the request actually carried.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl


def body_hash(body: bytes) -> str:
    return hashlib.sha512(body).hexdigest()


def payload(method: str, path: str, query: str, body: bytes, timestamp: str) -> str:
    return "\n".join((method.upper(), path, query, body_hash(body), timestamp))


def sign(secret: str, method: str, path: str, query: str, body: bytes, timestamp: str) -> str:
    message = payload(method, path, query, body, timestamp)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha512).hexdigest()


def query_forms(raw_query: str) -> tuple[str, ...]:
    """The query as sent, and decoded (`k=v&...` unencoded, in the order sent)."""
    decoded = "&".join(f"{k}={v}" for k, v in parse_qsl(raw_query, keep_blank_values=True))
    return (raw_query,) if decoded == raw_query else (raw_query, decoded)


def verify(
    secret: str, signature: str, method: str, path: str, raw_query: str, body: bytes,
    timestamp: str,
) -> bool:  # fmt: skip
    if not signature.isascii():
        return False
    signature = signature.lower()
    matched = False
    for query in query_forms(raw_query):
        expected = sign(secret, method, path, query, body, timestamp)
        # compare every candidate so the time taken does not depend on which one matched
        matched |= hmac.compare_digest(expected, signature)
    return matched
