"""Each built-in AML rule (rules/aml/*.toml, FATF red flags) fires on a crafted stream of real
commands and stays quiet on a benign one. The whole repository rule set runs in every test, as
in production; assertions look at one rule's alerts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from surveillance_support import DAY, HOUR, SELL, Desk, S, rules_dir

from clearhouse.core.commands import (
    CreditDeposit,
    LoadSanctionsList,
    OpenAccount,
    TransferBetweenAccounts,
)
from clearhouse.core.compliance.sanctions_payload import ListWallet
from clearhouse.core.events import AccountOpened


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    desk = Desk(tmp_path)
    yield desk
    desk.close()


# --- structuring ---------------------------------------------------------------------------------
def test_three_deposits_just_below_10k_in_a_day_are_structuring(desk: Desk) -> None:
    alice = desk.customer("Alice")
    for _ in range(3):
        desk.advance(2 * HOUR)
        desk.deposit(alice, "USDT", 9_500)
    (alert,) = desk.alerts("aml.structuring")
    assert alert.subject_party == alice.party and alert.accounts == (alice.account,)
    assert alert.evidence["value"] == 3 and alert.severity == "high"
    assert alert.rule_version == dict(desk.monitoring.rules.files)["aml/structuring.toml"]


def test_structuring_counts_a_person_across_their_sub_accounts(desk: Desk) -> None:
    alice = desk.customer("Alice")
    events = desk.ok(OpenAccount(owner=alice.party, parent=alice.account))
    sub = next(e for e in events if type(e) is AccountOpened).account
    desk.deposit(alice, "USDT", 9_100)
    desk.deposit(alice, "USDT", 9_900)
    desk.ok(CreditDeposit(sub, "USDT", 9_800 * 10**8, "to-the-sub-account"))
    (alert,) = desk.alerts("aml.structuring")
    assert alert.group == f"beneficial_owner={alice.party}"
    assert set(alert.accounts) == {alice.account, sub}


@pytest.mark.parametrize(
    ("amount", "gap_hours"),
    [(9_500, 13), (12_000, 1), (4_000, 1)],
    ids=["spread over more than a day", "above the threshold", "small"],
)
def test_deposits_that_are_not_structuring_raise_nothing(
    desk: Desk, amount: int, gap_hours: int
) -> None:
    alice = desk.customer("Alice")
    for _ in range(3):
        desk.deposit(alice, "USDT", amount)
        desk.advance(gap_hours * HOUR)
    assert desk.alerts("aml.structuring") == []


# --- velocity ------------------------------------------------------------------------------------
def test_five_high_value_deposits_within_an_hour(desk: Desk) -> None:
    alice = desk.customer("Alice")
    for _ in range(5):
        desk.advance(600 * S)
        desk.deposit(alice, "USDT", 20_000)
    (alert,) = desk.alerts("aml.high_value_velocity")
    assert alert.evidence["events"] == 5


def test_high_value_deposits_hours_apart_are_not_velocity(desk: Desk) -> None:
    alice = desk.customer("Alice")
    for _ in range(5):
        desk.deposit(alice, "USDT", 20_000)
        desk.advance(HOUR)
    assert desk.alerts("aml.high_value_velocity") == []


# --- pass-through and new accounts --------------------------------------------------------------
def test_a_deposit_withdrawn_almost_in_full_is_pass_through(desk: Desk) -> None:
    alice = desk.customer("Alice")
    desk.deposit(alice, "USDT", 20_000)
    desk.advance(2 * HOUR)
    desk.withdraw(alice, "USDT", 19_000)
    (alert,) = desk.alerts("aml.pass_through")
    assert alert.evidence["in_usd"] == 20_000 and alert.evidence["out_usd"] == 19_000
    assert alert.evidence["seconds_from_first_in"] == 2 * 3_600


def test_pass_through_follows_the_value_through_a_trade(desk: Desk) -> None:
    maker = desk.customer("Market Maker")
    desk.deposit(maker, "USDT", 1_000_000)
    alice = desk.customer("Alice")
    desk.deposit(alice, "BTC", 1)
    desk.order(maker, 0, "60000", "1")  # a bid Alice sells into
    desk.order(alice, SELL, "60000", "1")
    desk.advance(HOUR)
    desk.withdraw(alice, "USDT", 59_000)
    (alert,) = desk.alerts("aml.pass_through")
    assert alert.evidence["in_usd"] == 60_000  # valued at the venue's last trade price


@pytest.mark.parametrize(
    ("withdraw", "after_hours"), [(5_000, 1), (19_000, 72)], ids=["a fraction", "days later"]
)
def test_withdrawing_part_or_late_is_not_pass_through(
    desk: Desk, withdraw: int, after_hours: int
) -> None:
    alice = desk.customer("Alice")
    desk.deposit(alice, "USDT", 20_000)
    desk.advance(after_hours * HOUR)
    desk.withdraw(alice, "USDT", withdraw)
    assert desk.alerts("aml.pass_through") == []
    assert desk.alerts("aml.new_account_full_withdrawal") == []


def test_a_new_account_with_a_large_first_deposit(desk: Desk) -> None:
    alice = desk.customer("Alice")
    desk.advance(DAY)
    desk.deposit(alice, "USDT", 80_000)
    (alert,) = desk.alerts("aml.new_account_large_deposit")
    assert alert.accounts == (alice.account,)


def test_a_large_deposit_is_not_a_new_account_flag_when_old_or_not_first(desk: Desk) -> None:
    old = desk.customer("Old Timer")
    desk.advance(8 * DAY)
    desk.deposit(old, "USDT", 80_000)
    regular = desk.customer("Regular")
    desk.deposit(regular, "USDT", 100)
    desk.deposit(regular, "USDT", 80_000)
    assert desk.alerts("aml.new_account_large_deposit") == []


def test_a_new_account_that_withdraws_what_it_was_funded_with(desk: Desk) -> None:
    alice = desk.customer("Alice")
    desk.deposit(alice, "USDT", 5_000)
    desk.advance(HOUR)
    desk.withdraw(alice, "USDT", 4_900)
    (alert,) = desk.alerts("aml.new_account_full_withdrawal")
    assert alert.accounts == (alice.account,)


def test_an_established_account_withdrawing_its_deposit_is_not_a_new_account_flag(
    desk: Desk,
) -> None:
    alice = desk.customer("Alice")
    desk.advance(10 * DAY)
    desk.deposit(alice, "USDT", 5_000)
    desk.withdraw(alice, "USDT", 4_900)
    assert desk.alerts("aml.new_account_full_withdrawal") == []


# --- shared IP and device ------------------------------------------------------------------------
def test_three_customers_on_one_ip_address(desk: Desk) -> None:
    people = [desk.customer(name) for name in ("Ann", "Ben", "Cat")]
    for who in people:
        desk.deposit(who, "USDT", 1_000)
        desk.order(who, 0, "50000", "0.001", ip="198.51.100.7")
    (alert,) = desk.alerts("aml.shared_ip")
    assert alert.group == "ip=198.51.100.7"
    assert set(alert.evidence["distinct"]) == {str(p.party) for p in people}


def test_customers_on_their_own_addresses_share_nothing(desk: Desk) -> None:
    for i, name in enumerate(("Ann", "Ben", "Cat")):
        who = desk.customer(name)
        desk.deposit(who, "USDT", 1_000)
        for _ in range(3):
            desk.order(who, 0, "50000", "0.001", ip=f"198.51.100.{i + 1}")
    assert desk.alerts("aml.shared_ip") == []


def test_three_customers_on_one_device(desk: Desk) -> None:
    for name in ("Ann", "Ben", "Cat"):
        who = desk.customer(name)
        desk.deposit(who, "USDT", 1_000)
        desk.order(who, 0, "50000", "0.001", ip=f"198.51.100.{len(name)}", device="fp-1234")
    (alert,) = desk.alerts("aml.shared_device")
    assert alert.group == "device=fp-1234"


def test_one_customer_with_many_devices_is_not_shared_access(desk: Desk) -> None:
    who = desk.customer("Ann")
    desk.deposit(who, "USDT", 1_000)
    for device in ("phone", "laptop", "tablet"):
        desk.order(who, 0, "50000", "0.001", device=device)
    assert desk.alerts("aml.shared_device") == [] and desk.alerts("aml.shared_ip") == []


# --- dormant -------------------------------------------------------------------------------------
def test_a_dormant_account_suddenly_moving_funds(desk: Desk) -> None:
    alice = desk.customer("Alice")
    desk.deposit(alice, "USDT", 20_000)
    desk.advance(200 * DAY)
    desk.withdraw(alice, "USDT", 10_000)
    (alert,) = desk.alerts("aml.dormant_reactivation")
    assert alert.accounts == (alice.account,)


def test_an_account_used_a_month_ago_is_not_dormant(desk: Desk) -> None:
    alice = desk.customer("Alice")
    desk.deposit(alice, "USDT", 20_000)
    desk.advance(30 * DAY)
    desk.withdraw(alice, "USDT", 10_000)
    assert desk.alerts("aml.dormant_reactivation") == []


# --- geography -----------------------------------------------------------------------------------
def test_funds_from_a_customer_verified_in_a_high_risk_jurisdiction(desk: Desk) -> None:
    tran = desk.customer("Tran", country="VN")
    desk.deposit(tran, "USDT", 500)
    (alert,) = desk.alerts("aml.high_risk_geography")
    assert alert.subject_party == tran.party


def test_funds_moved_from_an_ip_in_a_high_risk_jurisdiction(desk: Desk) -> None:
    alice = desk.customer("Alice", country="DE")
    events = desk.ok(OpenAccount(owner=alice.party, parent=alice.account))
    sub = next(e for e in events if type(e) is AccountOpened).account
    desk.deposit(alice, "USDT", 500)
    transfer = TransferBetweenAccounts(alice.account, sub, "USDT", 100 * 10**8)
    desk.ok(transfer, alice.facts(ip="102.88.1.1", country="NG"))
    (alert,) = desk.alerts("aml.high_risk_geography")
    assert alert.subject_party == alice.party


def test_a_customer_at_home_in_a_low_risk_country_raises_no_geography_alert(desk: Desk) -> None:
    alice = desk.customer("Alice", country="DE")
    desk.deposit(alice, "USDT", 500)
    desk.withdraw(alice, "USDT", 100)
    assert desk.alerts("aml.high_risk_geography") == []


def test_requests_from_another_country_than_the_verified_one(desk: Desk) -> None:
    alice = desk.customer("Alice", country="DE")
    desk.deposit(alice, "USDT", 1_000)
    for _ in range(3):  # three sessions (a burst of orders within a minute is one access)
        desk.order(alice, 0, "50000", "0.001", ip="192.0.2.44", country="FR")
        desk.order(alice, 0, "50000", "0.001", ip="192.0.2.44", country="FR")
        desk.advance(2 * 60 * S)
    (alert,) = desk.alerts("aml.ip_country_mismatch")
    assert alert.subject_party == alice.party


def test_requests_from_home_or_an_occasional_trip_are_consistent(desk: Desk) -> None:
    alice = desk.customer("Alice", country="DE")
    desk.deposit(alice, "USDT", 1_000)
    for _ in range(4):
        desk.order(alice, 0, "50000", "0.001")
    for _ in range(5):  # one access from abroad, however many orders it sends
        desk.order(alice, 0, "50000", "0.001", ip="192.0.2.44", country="FR")
    assert desk.alerts("aml.ip_country_mismatch") == []


# --- any event type, through a rule file ---------------------------------------------------------
def test_a_rule_can_alert_on_any_event_type_the_engine_emits(tmp_path: Path) -> None:
    """Screening and KYC events come from other parts of the engine; a rule names them by type
    (or pattern) and needs no code: here every KYC decision becomes an alert."""
    rule = """
        [[rule]]
        id = "test.kyc_decided"
        title = "KYC decided"
        severity = "low"
        on = ["KycDeci*"]
        group_by = ["event", "beneficial_owner"]
        group_missing = "keep"
        window = "1s"
        cooldown = "0s"
    """
    desk = Desk(tmp_path, rules_dir(tmp_path, ("test.toml", rule)))
    try:
        alice = desk.customer("Alice")
        (alert,) = desk.alerts("test.kyc_decided")
        assert alert.group == f"event=KycDecided,beneficial_owner={alice.party}"
    finally:
        desk.close()


def test_a_deposit_from_a_sanctioned_address_becomes_a_critical_alert_and_a_case(
    desk: Desk,
) -> None:
    listed = "0x" + "ab" * 20
    desk.ok(LoadSanctionsList("TEST-LIST", "v1", addresses=(ListWallet("ETH", listed),)))
    alice = desk.customer("Alice")
    desk.ok(CreditDeposit(alice.account, "USDT", 10 * 10**8, "tx-listed", "ETH", listed))
    (alert,) = desk.alerts("aml.screening_hit")
    assert alert.severity == "critical" and alert.subject_party == alice.party
    assert alert.evidence["value"] == 1
    assert desk.open_due_cases() == 1
