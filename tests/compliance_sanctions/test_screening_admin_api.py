"""Screening and the Travel Rule through the operator API and the Gate wallet API, on a live
server: ad-hoc name and address screening against the engine's current lists (read-only), list
loads as engine commands with actor and reason, reviews, frozen deposits, and withdrawals."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from screening_support import CLEAN_ETH, LISTED_ETH, TORNADO, payload

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))

from api_support import Admin, LiveServer, Signed, observable, settings  # noqa: E402

from clearhouse.core.compliance.sanctions_list import combined_version  # noqa: E402
from clearhouse.venue import Venue  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EMPTY_VERSION = combined_version(())
ORDER = {"currency_pair": "BTC_USDT", "side": "buy", "amount": "0.01", "price": "50000"}

UPLOAD = {
    "source": "WATCH",
    "entries": [
        {"entry_id": "WATCH:1", "primary_name": "BOUT, Viktor Anatolyevich",
         "aliases": [{"name": "Viktor BUT"}], "programs": ["SDGT"]},
        {"entry_id": "WATCH:2", "primary_name": "GARANTEX EUROPE OU", "entity_type": "entity",
         "wallets": [{"chain": "ETH", "address": LISTED_ETH}]},
    ],
}  # fmt: skip


@pytest.fixture
def live() -> Iterator[LiveServer]:
    """A fresh venue per test: list loads and holds must not leak between tests."""
    with LiveServer(Venue(None), settings()) as server:
        yield server


@pytest.fixture
def admin(live: LiveServer) -> Admin:
    return Admin(live)


def refused(response: httpx.Response, status: int, label: str) -> str:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["label"] == label, body
    message: str = body["message"]
    return message


def screen_name(admin: Admin, name: str) -> dict[str, Any]:
    result: dict[str, Any] = admin.ok("POST", "/screening/names", json={"name": name})
    return result


def party_of(admin: Admin, uid: int) -> dict[str, Any]:
    for party in admin.ok("GET", "/screening/parties"):
        if uid in party["accounts"]:
            found: dict[str, Any] = party
            return found
    raise AssertionError(f"no screened party behind {uid}")


# --- ad-hoc screening ----------------------------------------------------------------------------
def test_name_screening_answers_against_the_engines_current_lists(
    live: LiveServer, admin: Admin
) -> None:
    before = screen_name(admin, "Viktor Anatolyevich Bout")
    assert (before["decision"], before["score"], before["matched_entry"]) == ("clear", 0.0, None)
    assert before["list_version"] == EMPTY_VERSION
    loaded = admin.ok("POST", "/screening/lists", json=UPLOAD)
    seq = live.state_seq

    hit = screen_name(admin, "Viktor Anatolyevich Bout")
    near = screen_name(admin, "Viktor Bout")
    clear = screen_name(admin, "Alice Smith")

    assert hit["decision"] == "block" and hit["score"] == 1.0
    assert hit["matched_entry"] == {
        "entry_id": "WATCH:1", "source": "WATCH", "name": "BOUT, Viktor Anatolyevich",
        "matched": "BOUT, Viktor Anatolyevich", "entity_type": "individual",
        "programs": ["SDGT"], "score": 1.0,
    }  # fmt: skip
    engine_version = live.venue.engine.state.sanctions.version
    assert hit["list_version"] == loaded["list_version"] == engine_version
    assert near["decision"] == "review" and 0.85 <= near["score"] < 0.95
    assert (clear["decision"], clear["matched_entry"]) == ("clear", None)
    assert (hit["review_threshold"], hit["block_threshold"]) == (0.85, 0.95)
    assert live.state_seq == seq  # a query is not a command


def test_address_screening_normalises_by_chain_and_matches_exactly(admin: Admin) -> None:
    admin.ok("POST", "/screening/lists", json=UPLOAD)
    listed = admin.ok(
        "POST", "/screening/addresses", json={"address": LISTED_ETH.lower(), "chain": "ETH"}
    )
    assert (listed["decision"], listed["score"], listed["reason"]) == ("block", 1.0, "listed")
    assert listed["normalized"] == LISTED_ETH.lower()
    assert listed["matched_entry"]["entry_id"] == "WATCH:2"
    assert listed["matched_entry"]["matched"] == LISTED_ETH
    clean = admin.ok("POST", "/screening/addresses", json={"address": CLEAN_ETH, "chain": "ETH"})
    assert (clean["decision"], clean["matched_entry"]) == ("clear", None)
    unknown = admin.ok("POST", "/screening/addresses", json={"address": "abc", "chain": "FOO"})
    assert (unknown["decision"], unknown["reason"]) == ("review", "unknown_chain")
    refused(
        admin.request("POST", "/screening/addresses", json={"address": " ", "chain": "ETH"}),
        400,
        "INVALID_PARAM_VALUE",
    )


# --- lists ---------------------------------------------------------------------------------------
def test_an_uploaded_list_gets_a_content_version_and_reloading_it_changes_nothing(
    live: LiveServer, admin: Admin
) -> None:
    first = admin.ok("POST", "/screening/lists", json=UPLOAD)
    assert (first["source"], first["entries"], first["addresses"]) == ("WATCH", 2, 1)
    assert len(first["version"]) == 64
    before = observable(live.venue)
    refused(admin.request("POST", "/screening/lists", json=UPLOAD), 400, "NO_CHANGE")
    assert observable(live.venue) == before
    lists = admin.ok("GET", "/screening/lists")
    assert lists["list_version"] == first["list_version"]
    assert [(x["source"], x["version"]) for x in lists["lists"]] == [("WATCH", first["version"])]


def test_a_list_loads_from_server_files_and_only_from_under_a_sanctions_directory(
    admin: Admin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLEARHOUSE_SANCTIONS_DIR", str(FIXTURES))
    loaded = admin.ok(
        "POST", "/screening/lists/load", json={"format": "ofac_csv", "path": "ofac_csv"}
    )
    assert (loaded["source"], loaded["entries"], loaded["addresses"]) == ("OFAC-SDN", 2, 2)
    for path, status, label in (
        ("../fixtures/ofac_csv", 400, "INVALID_PARAM_VALUE"),
        ("/etc", 400, "INVALID_PARAM_VALUE"),
        ("no_such_list", 404, "NOT_FOUND"),
    ):
        body = {"format": "ofac_csv", "path": path}
        refused(admin.request("POST", "/screening/lists/load", json=body), status, label)
    wrong_format = {"format": "un_xml", "path": "ofac_csv"}
    refused(admin.request("POST", "/screening/lists/load", json=wrong_format), 400,
            "INVALID_PARAM_VALUE")  # fmt: skip


def test_a_list_update_blocks_an_onboarded_user_who_then_cannot_trade(
    live: LiveServer, admin: Admin
) -> None:
    user = admin.user(name="Viktor Anatolyevich Bout")
    admin.deposit(user.uid, "USDT", "1000")
    client = Signed(live, user)
    assert client.request("POST", "/spot/orders", body=ORDER).status_code == 201
    loaded = admin.ok("POST", "/screening/lists", json=UPLOAD)
    assert loaded["parties_changed"] == 1
    party = party_of(admin, user.uid)
    assert (party["status"], party["list_version"]) == ("blocked", loaded["list_version"])
    assert [h["entry_id"] for h in party["hits"]] == ["WATCH:1"]
    assert client.request("GET", "/spot/open_orders").json() == []  # cancelled by the hold
    refused(client.request("POST", "/spot/orders", body=ORDER), 403, "SANCTIONS_BLOCKED")


def test_onboarding_a_near_match_holds_for_review_and_a_reviewer_clears_it(
    live: LiveServer, admin: Admin
) -> None:
    admin.ok("POST", "/screening/lists", json=UPLOAD)
    user = admin.user(name="Viktor Bout")
    admin.deposit(user.uid, "USDT", "1000")
    client = Signed(live, user)
    refused(client.request("POST", "/spot/orders", body=ORDER), 403, "SANCTIONS_REVIEW")
    party = party_of(admin, user.uid)
    assert party["status"] == "review" and party["hits"][0]["decision"] == "review"
    review = f"/screening/parties/{party['party']}/review"
    missing = admin.request("POST", review, json={"outcome": "clear"})
    refused(missing, 400, "MISSING_REQUIRED_PARAM")
    decided = admin.ok("POST", review, json={"outcome": "clear", "reason": "other DOB"})
    assert decided["status"] == "clear" and decided["reviewed_by"] == "tests"
    assert decided["hits"][0]["cleared"] is True
    assert client.request("POST", "/spot/orders", body=ORDER).status_code == 201
    refused(admin.request("POST", review, json={"outcome": "clear", "reason": "again"}), 400,
            "NO_CHANGE")  # fmt: skip
    one = admin.ok("GET", f"/screening/parties/{party['party']}")
    assert one["status"] == "clear"


# --- deposits and withdrawals --------------------------------------------------------------------
def test_a_deposit_from_a_listed_address_is_frozen_and_can_be_released(
    live: LiveServer, admin: Admin
) -> None:
    admin.ok("POST", "/screening/lists", json=UPLOAD)
    user = admin.user()
    body = {"uid": user.uid, "currency": "ETH", "amount": "2", "chain": "ETH",
            "address": LISTED_ETH}  # fmt: skip
    deposit = admin.ok("POST", "/deposits", json=body)
    [frozen] = admin.ok("GET", "/screening/frozen")
    assert (frozen["deposit_id"], frozen["uid"], frozen["amount"], frozen["entry_id"]) == (
        deposit["id"],
        user.uid,
        "2",
        "WATCH:2",
    )
    balances = Signed(live, user).request("GET", "/spot/accounts", "currency=ETH").json()
    assert balances[0]["available"] == "0"
    release = f"/screening/frozen/{deposit['id']}/release"
    released = admin.ok("POST", release, json={"reason": "licence GL-1"})
    assert released == {"deposit_id": deposit["id"], "uid": user.uid, "currency": "ETH",
                        "amount": "2"}  # fmt: skip
    assert admin.ok("GET", "/screening/frozen") == []
    refused(admin.request("POST", release, json={"reason": "twice"}), 400, "INVALID_PARAM_VALUE")


def test_a_withdrawal_to_a_listed_address_is_refused_and_changes_nothing(
    live: LiveServer, admin: Admin
) -> None:
    admin.ok("POST", "/screening/lists", json=UPLOAD)
    user = admin.user()
    admin.deposit(user.uid, "USDT", "500")
    before = observable(live.venue)
    body = {"currency": "USDT", "amount": "100", "address": LISTED_ETH, "chain": "ETH"}
    message = refused(
        Signed(live, user).request("POST", "/withdrawals", body=body), 403, "ADDRESS_SANCTIONED"
    )
    assert "WATCH:2" in message
    assert observable(live.venue) == before


# --- Travel Rule ---------------------------------------------------------------------------------
def ivms_json(destination: str) -> dict[str, Any]:
    """IVMS101 as clients send it: camelCase JSON."""
    data: dict[str, Any] = msgspec.to_builtins(payload(destination))
    assert "originatorPersons" in data["originator"]
    return data


def test_withdrawals_at_the_threshold_carry_ivms101_data_through_the_gate_api(
    live: LiveServer, admin: Admin
) -> None:
    assert admin.ok("GET", "/travel_rule") == {"threshold_usd": "1,000.00"}
    user = admin.user()
    admin.deposit(user.uid, "USDT", "5000")
    client = Signed(live, user)
    body: dict[str, Any] = {"currency": "USDT", "amount": "1000", "address": CLEAN_ETH}
    before = observable(live.venue)
    message = refused(client.request("POST", "/withdrawals", body=body), 400,
                      "TRAVEL_RULE_REQUIRED")  # fmt: skip
    assert "IVMS101" in message and observable(live.venue) == before
    bad = ivms_json(CLEAN_ETH)
    bad["beneficiary"]["beneficiaryPersons"][0]["naturalPerson"]["name"]["nameIdentifier"][0][
        "nameIdentifierType"
    ] = "ALIA"
    message = refused(client.request("POST", "/withdrawals", body={**body, "travel_rule": bad}),
                      400, "TRAVEL_RULE_INVALID")  # fmt: skip
    assert "C6 LegalNamePresent" in message and observable(live.venue) == before
    accepted = client.request(
        "POST", "/withdrawals", body={**body, "travel_rule": ivms_json(CLEAN_ETH)}
    )
    assert accepted.status_code == 200, accepted.text
    [withdrawal] = live.venue.engine.state.withdrawals.values()
    assert withdrawal.travel_rule is not None and withdrawal.travel_rule.payload is not None


def test_the_threshold_is_set_through_the_operator_api(live: LiveServer, admin: Admin) -> None:
    assert admin.ok("PUT", "/travel_rule", json={"threshold_usd": "3000"}) == {
        "threshold_usd": "3,000.00"
    }
    assert admin.ok("PUT", "/travel_rule", json={"threshold_usd": "0"}) == {"threshold_usd": "0.00"}
    assert live.venue.engine.state.travel_rule_threshold_usd_cents == 0
    refused(admin.request("PUT", "/travel_rule", json={"threshold_usd": "0"}), 400, "NO_CHANGE")
    refused(admin.request("PUT", "/travel_rule", json={"threshold_usd": "0.001"}), 400,
            "INVALID_PRECISION")  # fmt: skip


def test_the_screening_routes_are_in_the_openapi_document(live: LiveServer) -> None:
    document = httpx.get(live.url + "/api/v4/openapi.json").json()
    paths = document["paths"]
    for path in ("/screening/names", "/screening/addresses", "/screening/lists",
                 "/screening/lists/load", "/travel_rule"):  # fmt: skip
        assert "/api/ch/v1/admin" + path in paths
    schema = document["components"]["schemas"]["IdentityPayload"]
    assert set(schema["properties"]) == {"originator", "beneficiary"}


def test_no_route_needs_shared_data_and_tornado_is_just_an_address_without_a_list(
    admin: Admin,
) -> None:
    result = admin.ok("POST", "/screening/addresses", json={"address": TORNADO, "chain": "ETH"})
    assert (result["decision"], result["list_version"]) == ("clear", EMPTY_VERSION)


def test_an_address_list_update_through_the_api_releases_what_its_removals_froze(
    admin: Admin, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Tornado Cash delisting on the fixture extracts (no shared data needed)."""
    monkeypatch.setenv("CLEARHOUSE_SANCTIONS_DIR", str(FIXTURES))
    load = {"format": "ofac_crypto_addresses", "path": "crypto_2024"}
    first = admin.ok("POST", "/screening/lists/load", json=load)
    assert (first["source"], first["addresses"], first["parties_screened"]) == ("OFAC-DCA", 2, 0)
    user = admin.user()
    body = {"uid": user.uid, "currency": "ETH", "amount": "1", "chain": "ETH", "address": TORNADO}
    admin.ok("POST", "/deposits", json=body)
    assert [f["address"] for f in admin.ok("GET", "/screening/frozen")] == [TORNADO]
    second = admin.ok("POST", "/screening/lists/load", json={**load, "path": "crypto_2025"})
    assert second["deposits_released"] == 1 and second["list_version"] != first["list_version"]
    assert admin.ok("GET", "/screening/frozen") == []
