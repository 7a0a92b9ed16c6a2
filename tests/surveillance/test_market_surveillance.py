"""Market surveillance on the order flow: wash trades between linked accounts, the spoofing
pattern, order-to-trade and order-lifetime indicators, and volume and price spikes against a
rolling baseline. Every order and trade comes from the real matching engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from surveillance_support import BUY, SELL, Customer, Desk, S, repo_rule, rules_dir

from clearhouse.core.commands import CreateApiKey, OpenAccount
from clearhouse.core.events import AccountOpened

MINUTE = 60 * S


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    desk = Desk(tmp_path)
    yield desk
    desk.close()


def funded(desk: Desk, name: str, **facts: str) -> Customer:
    who = desk.customer(name)
    desk.deposit(who, "USDT", 1_000_000)
    desk.deposit(who, "BTC", 20)
    return who


def trade(desk: Desk, seller: Customer, buyer: Customer, price: str, amount: str) -> None:
    desk.order(seller, SELL, price, amount)
    desk.order(buyer, BUY, price, amount)


# --- wash trades ---------------------------------------------------------------------------------
def test_a_trade_between_two_people_on_one_device_is_a_wash_trade(desk: Desk) -> None:
    ann, ben = funded(desk, "Ann"), funded(desk, "Ben")
    desk.order(ann, SELL, "60000", "0.5", ip="198.51.100.1", device="fp-77")
    desk.order(ben, BUY, "60000", "0.5", ip="198.51.100.2", device="fp-77")
    (alert,) = desk.alerts("market.wash_trade")
    assert alert.evidence["links"] == ["shared device fp-77"]
    assert alert.accounts == tuple(sorted((ann.account, ben.account)))
    assert alert.evidence["value_usd"] == 30_000 and alert.severity == "high"


def test_a_trade_between_accounts_that_used_one_ip_is_a_wash_trade(desk: Desk) -> None:
    ann, ben = funded(desk, "Ann"), funded(desk, "Ben")
    desk.order(ben, BUY, "1000", "0.01", ip="203.0.113.50")  # Ben used the address yesterday
    desk.advance(24 * 3_600 * S)
    desk.order(ann, SELL, "60000", "0.5", ip="203.0.113.50")
    desk.order(ben, BUY, "60000", "0.5", ip="192.0.2.9")
    (alert,) = desk.alerts("market.wash_trade")
    assert alert.evidence["links"] == ["shared IP 203.0.113.50"]


def test_a_sub_account_trading_against_its_master_is_a_wash_trade(desk: Desk) -> None:
    master = funded(desk, "Broker Ltd")
    carol = desk.customer("Carol")  # verified in her own right, then served by the broker
    opened = desk.ok(OpenAccount(master.party, parent=master.account, beneficial_owner=carol.party))
    sub = next(e for e in opened if type(e) is AccountOpened).account
    desk.ok(CreateApiKey(sub, "SUB" + "0" * 29, b"sealed", ("spot",)))
    client = Customer(carol.party, sub, "SUB" + "0" * 29, "DE")
    desk.deposit(client, "USDT", 100_000)
    desk.order(master, SELL, "60000", "0.5", ip="198.51.100.1")
    desk.order(client, BUY, "60000", "0.5", ip="198.51.100.2")
    (alert,) = desk.alerts("market.wash_trade")
    assert f"same master account {master.account}" in alert.evidence["links"]


def test_a_trade_between_unrelated_people_is_not_a_wash_trade(desk: Desk) -> None:
    ann, ben = funded(desk, "Ann"), funded(desk, "Ben")
    desk.order(ann, SELL, "60000", "0.5", ip="198.51.100.1", device="fp-1")
    desk.order(ben, BUY, "60000", "0.5", ip="198.51.100.2", device="fp-2")
    assert desk.alerts("market.wash_trade") == []


# --- spoofing ------------------------------------------------------------------------------------
def spoof(desk: Desk, cancel_after_ns: int, fill: bool = True) -> Customer:
    maker, spoofer = funded(desk, "Market Maker"), funded(desk, "Spoofer")
    desk.order(maker, BUY, "59900", "1")
    desk.order(maker, SELL, "60100", "1")
    large = desk.order(spoofer, BUY, "59000", "2")  # 118,000 USD, 150 bps behind the bid
    desk.advance(S)
    if fill:
        desk.order(spoofer, SELL, "59900", "0.1")  # what the fake bid was there to help
    desk.advance(cancel_after_ns)
    desk.cancel(spoofer, large)
    return spoofer


def test_a_large_bid_behind_the_touch_cancelled_right_after_a_sell_fill_is_spoofing(
    desk: Desk,
) -> None:
    spoofer = spoof(desk, cancel_after_ns=2 * S)
    (alert,) = desk.alerts("market.spoofing")
    assert alert.accounts == (spoofer.account,) and alert.subject_party == spoofer.party
    evidence = alert.evidence
    assert (evidence["side"], evidence["distance_from_touch_bps"]) == ("buy", 150)
    assert evidence["value_usd"] == 118_000 and evidence["ms_from_fill_to_cancel"] == 2_000


@pytest.mark.parametrize(
    ("cancel_after_ns", "fill"), [(60 * S, True), (2 * S, False)], ids=["much later", "no fill"]
)
def test_a_large_order_cancelled_late_or_without_a_fill_is_not_spoofing(
    desk: Desk, cancel_after_ns: int, fill: bool
) -> None:
    spoof(desk, cancel_after_ns, fill)
    assert desk.alerts("market.spoofing") == []


FLOW_RULE = """
    [[rule]]
    id = "test.order_to_trade"
    title = "Order-to-trade"
    severity = "medium"
    kind = "order_to_trade"

    [rule.params]
    window = "1h"
    min_orders = 20
    max_ratio = "10"
    short_lifetime = "1s"
    min_quick_cancels = 10
"""


def test_many_orders_without_trades_and_instant_cancels_are_flagged(tmp_path: Path) -> None:
    desk = Desk(tmp_path, rules_dir(tmp_path, ("flow.toml", FLOW_RULE)))
    quoter = funded(desk, "Quoter")
    for i in range(20):
        order = desk.order(quoter, BUY, str(50_000 + i), "0.01")
        desk.advance(S // 10)
        desk.cancel(quoter, order)
    indicators = sorted(a.evidence["indicator"] for a in desk.alerts("test.order_to_trade"))
    assert indicators == ["order_to_trade_ratio", "short_order_lifetime"]
    desk.close()


def test_orders_that_rest_and_trade_are_normal_flow(tmp_path: Path) -> None:
    desk = Desk(tmp_path, rules_dir(tmp_path, ("flow.toml", FLOW_RULE)))
    quoter, taker = funded(desk, "Quoter"), funded(desk, "Taker")
    for i in range(20):
        order = desk.order(quoter, SELL, str(60_000 + i), "0.02")
        if i % 4 == 0:
            desk.order(taker, BUY, str(60_000 + i), "0.01")
        desk.advance(MINUTE)
        desk.cancel(quoter, order)
    assert desk.alerts("test.order_to_trade") == []
    desk.close()


# --- spikes --------------------------------------------------------------------------------------
SPIKE_RULE = """
    [[rule]]
    id = "test.spike"
    title = "Spike"
    severity = "medium"
    kind = "spike"

    [rule.params]
    bucket = "1m"
    baseline_buckets = 10
    min_baseline_buckets = 5
    volume_multiple = "10"
    min_volume_usd = 1000
    price_move_multiple = "5"
    min_move_bps = 200
"""


def spike_desk(tmp_path: Path) -> tuple[Desk, Customer, Customer]:
    desk = Desk(tmp_path, rules_dir(tmp_path, ("spike.toml", SPIKE_RULE)))
    seller, buyer = funded(desk, "Seller"), funded(desk, "Buyer")
    for _ in range(10):  # ten quiet minutes: 0.01 BTC a minute at 60,000
        trade(desk, seller, buyer, "60000", "0.01")
        desk.advance(MINUTE)
    return desk, seller, buyer


def test_a_minute_with_fifty_times_the_usual_volume_is_a_volume_spike(tmp_path: Path) -> None:
    desk, seller, buyer = spike_desk(tmp_path)
    trade(desk, seller, buyer, "60000", "0.5")
    (alert,) = desk.alerts("test.spike")
    assert alert.evidence["indicator"] == "volume_spike"
    assert alert.evidence["bucket_usd"] == 30_000 and alert.evidence["baseline_mean_lots"] == 1_000
    desk.close()


def test_a_five_percent_jump_on_a_flat_market_is_a_price_spike(tmp_path: Path) -> None:
    desk, seller, buyer = spike_desk(tmp_path)
    trade(desk, seller, buyer, "63000", "0.01")
    (alert,) = desk.alerts("test.spike")
    assert alert.evidence["indicator"] == "price_spike" and alert.evidence["move_bps"] == 500
    desk.close()


def test_a_steady_market_has_no_spike(tmp_path: Path) -> None:
    desk, seller, buyer = spike_desk(tmp_path)
    for _ in range(5):
        trade(desk, seller, buyer, "60010", "0.012")
        desk.advance(MINUTE)
    assert desk.alerts("test.spike") == []
    desk.close()


def test_the_shipped_market_rules_load_and_run(tmp_path: Path) -> None:
    for name in ("market/wash_trades.toml", "market/spoofing.toml", "market/spikes.toml"):
        desk = Desk(tmp_path / name.replace("/", "-"), repo_rule(tmp_path / name, name))
        ann, ben = funded(desk, "Ann"), funded(desk, "Ben")
        trade(desk, ann, ben, "60000", "0.1")
        assert desk.monitoring.monitor.failures == 0
        desk.close()
