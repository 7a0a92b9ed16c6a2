"""The gateway's parts on their own: client address, rate limiter, sealing, signatures, clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import ccxt  # type: ignore[import-untyped]
import pytest

from clearhouse.api import signing
from clearhouse.api.client_ip import ClientAddress, country_of
from clearhouse.api.rate_limit import RateLimiter
from clearhouse.api.sealing import MASTER_KEY_ENV, MasterKey, SealError, new_api_key
from clearhouse.api.sim_clock import SimClock


# --- client address ------------------------------------------------------------------------------
def test_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    resolver = ClientAddress(["10.0.0.0/8"])
    assert resolver.resolve("203.0.113.9", "198.51.100.1") == "203.0.113.9"  # untrusted peer
    assert resolver.resolve("10.1.2.3", "198.51.100.1") == "198.51.100.1"
    # the right-most address that is not a trusted proxy is the client
    assert resolver.resolve("10.1.2.3", "1.1.1.1, 198.51.100.1, 10.9.9.9") == "198.51.100.1"
    assert resolver.resolve("10.1.2.3", "garbage, 10.9.9.9") == "10.1.2.3"
    assert resolver.resolve("10.1.2.3", None) == "10.1.2.3"
    assert ClientAddress([]).resolve("10.1.2.3", "198.51.100.1") == "10.1.2.3"
    with pytest.raises(ValueError):
        ClientAddress(["not-a-cidr"])


def test_country_comes_from_the_offline_database_and_unknown_is_empty() -> None:
    assert country_of("8.8.8.8") == "US"
    assert country_of("81.2.69.160") == "GB"
    assert country_of("127.0.0.1") == ""
    assert country_of("10.0.0.1") == ""
    assert country_of("not-an-ip") == ""
    assert country_of("") == ""


# --- rate limiter --------------------------------------------------------------------------------
def test_a_bucket_refills_at_its_rate_up_to_its_burst() -> None:
    limiter = RateLimiter(rate_per_s=2, burst=3)
    verdicts = [limiter.take("a", 100.0) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert [v.remaining for v in verdicts] == [2, 1, 0, 0]
    assert verdicts[-1].reset_ms == 101_500  # 3 tokens at 2/s from empty
    assert limiter.take("a", 100.5).allowed  # one token back after half a second
    assert not limiter.take("a", 100.5).allowed
    assert limiter.take("b", 100.5).allowed  # buckets are per caller


def test_the_bucket_table_is_bounded() -> None:
    limiter = RateLimiter(rate_per_s=1, burst=1, max_entries=3)
    for who in "abcde":
        limiter.take(who, 0.0)
    assert len(limiter) == 3
    assert limiter.take("a", 0.0).allowed  # evicted, so fresh again (least recently used)
    assert not limiter.take("e", 0.0).allowed


def test_a_zero_rate_disables_the_limit() -> None:
    limiter = RateLimiter(rate_per_s=0, burst=1)
    assert all(limiter.take("a", 0.0).allowed for _ in range(100)) and len(limiter) == 0


# --- sealing -------------------------------------------------------------------------------------
def test_a_sealed_secret_opens_only_under_its_master_key_and_for_its_key_id() -> None:
    master = MasterKey.load(None, env={})
    key, secret = new_api_key()
    sealed = master.seal(secret, key)
    assert secret.encode() not in sealed and master.unseal(sealed, key) == secret
    with pytest.raises(SealError):
        master.unseal(sealed, "another-key")
    with pytest.raises(SealError):
        MasterKey.load(None, env={}).unseal(sealed, key)
    with pytest.raises(SealError):
        master.unseal(sealed[:-1] + bytes([sealed[-1] ^ 1]), key)
    assert "hidden" in repr(master)


def test_the_master_key_file_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    first = MasterKey.load(tmp_path, env={})
    path = tmp_path / "master.key"
    assert path.stat().st_mode & 0o777 == 0o600
    sealed = first.seal("s3cret", "k")
    assert MasterKey.load(tmp_path, env={}).unseal(sealed, "k") == "s3cret"
    from_env = MasterKey.load(tmp_path, env={MASTER_KEY_ENV: "11" * 32})
    assert from_env.unseal(from_env.seal("x", "k"), "k") == "x"
    with pytest.raises(SealError):
        from_env.unseal(sealed, "k")
    with pytest.raises(ValueError):
        MasterKey.load(tmp_path, env={MASTER_KEY_ENV: "zz"})
    path.write_text("short\n")
    with pytest.raises(ValueError):
        MasterKey.load(tmp_path, env={})


# --- signatures ----------------------------------------------------------------------------------
def _ccxt_signed(method: str, path: str, api: list[str], params: dict[str, Any]) -> dict[str, Any]:
    exchange = ccxt.gate({"apiKey": "k" * 32, "secret": "s" * 64})
    request: dict[str, Any] = exchange.sign(path, api, method, params)
    return request


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("GET", "orders", {"currency_pair": "BTC_USDT", "status": "open", "account": "spot"}),
        ("POST", "orders", {"currency_pair": "BTC_USDT", "side": "buy", "amount": "1"}),
        ("PATCH", "orders/{order_id}", {"order_id": "7", "currency_pair": "BTC_USDT",
                                        "price": "1.5", "text": "t-a b&c"}),
        ("DELETE", "orders/{order_id}", {"order_id": "7", "currency_pair": "BTC_USDT"}),
    ],
)  # fmt: skip
def test_signatures_made_by_ccxt_verify(method: str, path: str, params: dict[str, Any]) -> None:
    signed = _ccxt_signed(method, path, ["private", "spot"], dict(params))
    url = urlsplit(signed["url"])
    headers = signed["headers"]
    body = (signed["body"] or "").encode()
    assert signing.verify(
        "s" * 64, headers["SIGN"], method, url.path, url.query, body, headers["Timestamp"]
    )
    assert not signing.verify(
        "s" * 64, headers["SIGN"], method, url.path, url.query, body + b" ", headers["Timestamp"]
    )
    assert not signing.verify("x" * 64, headers["SIGN"], method, url.path, url.query, body,
                              headers["Timestamp"])  # fmt: skip
    assert not signing.verify("s" * 64, "é", method, url.path, url.query, body, "1")


# --- the demo clock ------------------------------------------------------------------------------
def test_the_simulated_clock_only_moves_forward() -> None:
    base = [1_000]
    clock = SimClock(lambda: base[0])
    assert clock() == 1_000
    assert clock.advance(2) == 1_000 + 2_000_000_000
    clock.catch_up(5_000_000_000)
    assert clock() == 5_000_000_000
    clock.catch_up(1)
    assert clock() == 5_000_000_000
    with pytest.raises(ValueError):
        clock.advance(0)
