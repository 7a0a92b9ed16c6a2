"""VPN, Tor and hosting lists: a small file format, loaded by an attributed command, looked up in
O(log n), and applied to logins, withdrawals and API-key changes as step-up or deny."""

from __future__ import annotations

import pytest
from core_harness import Venue
from identity_support import OFFICER, A, rest, withdraw

from clearhouse.api.errors import FORBIDDEN as API_FORBIDDEN
from clearhouse.api.geofence import login_refusal
from clearhouse.config.network_risk_samples import sample_commands, sample_list
from clearhouse.core.book import BUY
from clearhouse.core.commands import CreateApiKey, Facts, LoadNetworkRiskList
from clearhouse.core.compliance.network_risk import DENY, STEP_UP, parse_list, verdict
from clearhouse.core.errors import FORBIDDEN, STEP_UP_REQUIRED
from clearhouse.core.events import NetworkRiskListLoaded

TOR_EXIT = "185.220.101.7"  # in the sample Tor list; iptocc says DE
VPN_EGRESS = "31.14.0.1"  # loaded as a VPN range below; iptocc says FR


@pytest.fixture
def venue() -> Venue:
    venue = Venue()
    for command in sample_commands():
        venue.ok(command, OFFICER)
    venue.ok(LoadNetworkRiskList("vpn", STEP_UP, ("31.14.0.0/24",), "test feed"), OFFICER)
    return venue


def test_the_list_format_is_one_network_a_line_with_comments() -> None:
    text = "# exits\n\n185.220.101.0/24  # relay A\n2001:db8::1\n 10.0.0.7 \n"
    assert parse_list(text) == ("185.220.101.0/24", "2001:db8::1/128", "10.0.0.7/32")
    with pytest.raises(ValueError, match="line 2"):
        parse_list("1.2.3.0/24\nnot-a-network\n")


def test_the_sample_lists_load_and_the_same_list_has_the_same_version(venue: Venue) -> None:
    lists = venue.state.identity.network_lists
    assert sorted(lists) == ["hosting", "tor", "vpn"]
    assert lists["tor"].action == DENY and lists["hosting"].action == STEP_UP
    assert "185.220.100.0/22" in sample_list("tor")
    again = venue.ok(
        LoadNetworkRiskList("tor", DENY, tuple(reversed(sample_list("tor"))), "again"), OFFICER
    )
    loaded = [e for e in again if isinstance(e, NetworkRiskListLoaded)][0]
    assert loaded.version == lists["tor"].version  # normalised: order does not matter


def test_lookups_find_v4_and_v6_and_the_strictest_action_wins(venue: Venue) -> None:
    registry = venue.state.identity
    assert verdict(registry, TOR_EXIT) == (DENY, "tor")
    assert verdict(registry, "2a0b:f4c2::9") == (DENY, "tor")
    assert verdict(registry, VPN_EGRESS) == (STEP_UP, "vpn")
    assert verdict(registry, "104.131.7.7") == (STEP_UP, "hosting")
    assert verdict(registry, "81.2.69.160") == ("", "")
    venue.ok(LoadNetworkRiskList("hosting", STEP_UP, ("185.220.0.0/16",), "wide"), OFFICER)
    assert verdict(venue.state.identity, TOR_EXIT) == (DENY, "tor")


def test_a_withdrawal_from_a_tor_exit_is_denied_even_with_a_second_factor(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=1_000)
    facts = rest(TOR_EXIT, "DE", step_up="totp")
    assert venue.reject(withdraw(alice, A, "w-1"), facts) == FORBIDDEN


def test_a_withdrawal_from_a_vpn_needs_a_second_factor(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=1_000)
    venue.ok(withdraw(alice, A, "w-0"), rest("81.2.69.160", "DE"))
    assert venue.reject(withdraw(alice, A, "w-1"), rest(VPN_EGRESS, "DE")) == STEP_UP_REQUIRED
    venue.ok(withdraw(alice, A, "w-1"), rest(VPN_EGRESS, "DE", step_up="totp"))


def test_api_key_creation_from_a_tor_exit_is_denied(venue: Venue) -> None:
    alice = venue.trader("Alice")
    key = CreateApiKey(alice, "K" * 32, b"sealed", ("spot",))
    assert venue.reject(key, rest(TOR_EXIT, "DE")) == FORBIDDEN
    venue.ok(key, Facts(channel="admin", actor="op"))  # an operator's own console is not a client


def test_trading_from_a_listed_address_is_not_a_sensitive_action(venue: Venue) -> None:
    alice = venue.trader("Alice", USDT=10_000)
    venue.ok(venue.limit(alice, BUY, "50000", "0.01"), rest(VPN_EGRESS, "FR"))


def test_websocket_logins_from_listed_addresses_are_refused(venue: Venue) -> None:
    denied = login_refusal(venue.state, TOR_EXIT)
    assert denied is not None and (denied.status, denied.label) == (403, API_FORBIDDEN)
    stepped = login_refusal(venue.state, VPN_EGRESS)
    assert stepped is not None and (stepped.status, stepped.label) == (403, STEP_UP_REQUIRED)
    assert login_refusal(venue.state, "81.2.69.160") is None
