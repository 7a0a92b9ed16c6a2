"""Schemathesis against the served OpenAPI document on a live server: every route, signed.

No response may be a server error or differ from the document (status code, content type,
body schema). Requests are signed with a real API key (and the admin token), so the signed and
admin routes are exercised past authentication, not just refused at the door.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import requests
import schemathesis
from api_support import ADMIN_TOKEN, Admin, LiveServer, Signed, User, settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.routing import Route

from clearhouse.api import openapi, rest
from clearhouse.api.admin import routes as admin_routes
from clearhouse.venue import Venue

MAX_EXAMPLES = 6  # per operation: keeps the suite fast while touching every route
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class GateSignature(requests.auth.AuthBase):
    """Signs the request exactly as sent (Gate v4), after schemathesis has serialised it."""

    def __init__(self, user: User) -> None:
        self.user = user

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        url = urlsplit(request.url or "")
        body = request.body or b""
        raw = body.encode() if isinstance(body, str) else body
        assert isinstance(raw, bytes)
        timestamp = str(int(time.time()))
        message = "\n".join(
            ((request.method or "GET").upper(), url.path, url.query,
             hashlib.sha512(raw).hexdigest(), timestamp)
        )  # fmt: skip
        signature = hmac.new(self.user.secret.encode(), message.encode(), hashlib.sha512)
        request.headers["KEY"] = self.user.key
        request.headers["Timestamp"] = timestamp
        request.headers["SIGN"] = signature.hexdigest()
        return request


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[LiveServer]:
    with LiveServer(Venue(None), settings()) as server:
        yield server


@pytest.fixture(scope="module")
def fuzz_session(fuzz_server: LiveServer) -> requests.Session:
    admin = Admin(fuzz_server)
    user = admin.user()
    admin.deposit(user.uid, "USDT", "1000000")
    admin.deposit(user.uid, "BTC", "100")
    session = requests.Session()
    session.auth = GateSignature(user)
    session.headers["Authorization"] = f"Bearer {ADMIN_TOKEN}"
    return session


@pytest.fixture(scope="module")
def api_schema(fuzz_server: LiveServer) -> Any:
    return schemathesis.openapi.from_url(fuzz_server.url + "/api/v4/openapi.json")


def _cases() -> list[tuple[str, GenerationMode]]:
    """Every operation (from the document the app builds; the test loads the served one), with
    valid input, and with invalid input where it takes any."""
    document = openapi.document(rest.endpoints() + admin_routes.endpoints())
    cases = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            label = f"{method.upper()} {path}"
            cases.append((label, GenerationMode.POSITIVE))
            if operation["parameters"] or "requestBody" in operation:
                cases.append((label, GenerationMode.NEGATIVE))
    return cases


@pytest.mark.parametrize(("label", "mode"), _cases())
def test_every_route_answers_as_documented(
    label: str,
    mode: GenerationMode,
    api_schema: Any,
    fuzz_server: LiveServer,
    fuzz_session: requests.Session,
) -> None:
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None, f"{label} is not in the served document"

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def check(case: Any) -> None:
        case.call_and_validate(base_url=fuzz_server.url, session=fuzz_session, checks=CHECKS)

    check()


def test_the_document_lists_every_route(fuzz_server: LiveServer) -> None:
    document = httpx.get(fuzz_server.url + "/api/v4/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    paths = document["paths"]
    for path, method in [
        ("/api/v4/spot/orders", "post"),
        ("/api/v4/spot/orders/{order_id}", "patch"),
        ("/api/v4/spot/open_orders", "get"),
        ("/api/v4/spot/price_orders", "post"),
        ("/api/v4/withdrawals", "post"),
        ("/api/v4/account/detail", "get"),
        ("/api/ch/v1/admin/users", "post"),
        ("/api/ch/v1/admin/config", "put"),
        ("/api/ch/v1/admin/clock/advance", "post"),
    ]:
        assert method in paths[path], (path, method)
    routes = {
        (route.path, method)
        for route in fuzz_server.app.routes
        if isinstance(route, Route) and route.path.startswith(("/api/v4/spot", "/api/ch"))
        for method in route.methods or ()
        if method != "HEAD"
    }
    documented = {(p, m.upper()) for p, ops in paths.items() for m in ops}
    assert routes <= documented


def test_successful_responses_of_every_route_match_the_document(
    fuzz_server: LiveServer, api_schema: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scripted session that succeeds on every route; each response is checked against the
    served document (fuzzing mostly meets refusals, so the success shapes are proven here)."""
    admin = Admin(fuzz_server)
    seller, buyer = admin.user(), admin.user()
    sub = admin.user(parent_uid=buyer.uid)
    for user in (seller, buyer):
        admin.deposit(user.uid, "USDT", "100000")
        admin.deposit(user.uid, "BTC", "10")
    s, b = Signed(fuzz_server, seller), Signed(fuzz_server, buyer)
    seen: set[str] = set()

    def check(label: str, response: httpx.Response) -> Any:
        assert response.status_code < 300, (label, response.text)
        operation = api_schema.find_operation_by_label(label)
        operation.validate_response(response)
        seen.add(label)
        return response.json()

    def public(path: str, query: str = "", template: str | None = None) -> Any:
        url = f"{fuzz_server.url}/api/v4{path}" + (f"?{query}" if query else "")
        return check(f"GET /api/v4{template or path}", httpx.get(url))

    def signed(client: Signed, method: str, path: str, query: str = "", body: Any = None,
               template: str | None = None) -> Any:  # fmt: skip
        return check(
            f"{method} /api/v4{template or path}", client.request(method, path, query, body=body)
        )

    def operator(method: str, path: str, template: str | None = None, **kwargs: Any) -> Any:
        response = admin.request(method, path, **kwargs)
        return check(f"{method} /api/ch/v1/admin{template or path}", response)

    order = {"currency_pair": "BTC_USDT", "side": "sell", "amount": "0.5", "price": "60000"}
    ask = signed(s, "POST", "/spot/orders", body=order)
    signed(b, "POST", "/spot/orders", body={**order, "side": "buy", "amount": "0.1"})
    bid = signed(b, "POST", "/spot/orders", body={**order, "side": "buy", "price": "50000"})
    oid = bid["id"]
    for path, query in [
        ("/spot/currencies", ""), ("/spot/currency_pairs", ""), ("/margin/currency_pairs", ""),
        ("/spot/tickers", ""), ("/spot/order_book", "currency_pair=BTC_USDT&with_id=true"),
        ("/spot/candlesticks", "currency_pair=BTC_USDT&interval=1m"),
        ("/spot/trades", "currency_pair=BTC_USDT"), ("/spot/time", ""),
        ("/options/underlyings", ""),
    ]:  # fmt: skip
        public(path, query)
    public("/spot/currencies/BTC", template="/spot/currencies/{currency}")
    public("/spot/currency_pairs/BTC_USDT", template="/spot/currency_pairs/{currency_pair}")
    public("/futures/usdt/contracts", template="/futures/{settle}/contracts")
    public("/delivery/btc/contracts", template="/delivery/{settle}/contracts")
    for path, query in [
        ("/spot/accounts", ""), ("/spot/fee", "currency_pair=BTC_USDT"), ("/wallet/fee", ""),
        ("/account/detail", ""), ("/spot/open_orders", ""), ("/spot/my_trades", ""),
        ("/spot/orders", "currency_pair=BTC_USDT&status=open"),
        ("/spot/orders", "status=finished"), ("/wallet/deposits", ""),
        ("/wallet/withdrawals", ""), ("/spot/price_orders", "status=open"),
        ("/wallet/sub_account_transfers", ""),
    ]:  # fmt: skip
        signed(b, "GET", path, query)
    one = "/spot/orders/{order_id}"
    signed(b, "GET", f"/spot/orders/{oid}", "currency_pair=BTC_USDT", template=one)
    signed(b, "PATCH", f"/spot/orders/{oid}", "currency_pair=BTC_USDT&price=50001", template=one)
    signed(b, "DELETE", f"/spot/orders/{oid}", "currency_pair=BTC_USDT", template=one)
    signed(s, "POST", "/spot/cancel_batch_orders",
           body=[{"currency_pair": "BTC_USDT", "id": ask["id"]}])  # fmt: skip
    signed(s, "DELETE", "/spot/orders", "currency_pair=BTC_USDT")
    trigger = {"market": "BTC_USDT", "trigger": {"price": "70000", "rule": ">="},
               "put": {"side": "buy", "price": "70000", "amount": "0.01"}}  # fmt: skip
    tid = signed(b, "POST", "/spot/price_orders", body=trigger)["id"]
    one_trigger = "/spot/price_orders/{order_id}"
    signed(b, "GET", f"/spot/price_orders/{tid}", template=one_trigger)
    signed(b, "DELETE", f"/spot/price_orders/{tid}", template=one_trigger)
    signed(b, "POST", "/spot/price_orders", body=trigger)
    signed(b, "DELETE", "/spot/price_orders")
    transfer = {"currency": "USDT", "sub_account": str(sub.uid), "direction": "to", "amount": "5"}
    signed(b, "POST", "/wallet/sub_account_transfers", body=transfer)
    withdrawal = {"currency": "USDT", "amount": "10", "address": "0xabc"}
    first = signed(b, "POST", "/withdrawals", body=withdrawal)
    second = signed(b, "POST", "/withdrawals", body=withdrawal)
    operator("POST", "/users", json={"name": "N", "email": "", "country": "", "kyc_tier": 0})
    operator("POST", f"/users/{buyer.uid}/api_keys", template="/users/{uid}/api_keys",
             json={"permissions": ["read"]})  # fmt: skip
    operator("POST", "/deposits", json={"uid": buyer.uid, "currency": "BTC", "amount": "1"})
    operator("GET", "/withdrawals")
    operator("POST", f"/withdrawals/{first['id'][1:]}/approve",
             template="/withdrawals/{withdrawal_id}/approve", json={})  # fmt: skip
    operator("POST", f"/withdrawals/{second['id'][1:]}/reject",
             template="/withdrawals/{withdrawal_id}/reject", json={"reason": "r"})  # fmt: skip
    operator("GET", "/markets")
    operator("PUT", "/config", json={"accounts": {str(buyer.uid): {"fee_tier": 1}}})
    operator("POST", "/prices", json={"index": {"ETH_USDT": "3000"}})
    operator("POST", "/clock/advance", json={"seconds": 1})
    # identities, KYC and jurisdictions (operator decisions need X-Reason)
    why = {"X-Reason": "openapi walk"}
    party = fuzz_server.venue.engine.state.accounts[buyer.uid].owner
    one_party = "/parties/{party}"
    operator("GET", f"/parties/{party}", template=one_party)
    kyc = {"tier": 2, "provider": "p", "decided_by": "o", "evidence_refs": ["e"],
           "verified_country": "DE", "document_hash": "h"}  # fmt: skip
    operator("POST", f"/parties/{party}/kyc", template=one_party + "/kyc", headers=why, json=kyc)
    firm = operator("POST", "/users", json={"name": "F", "email": "", "country": "DE",
                                            "kyc_tier": 0, "kind": "business"})  # fmt: skip
    firm_party = fuzz_server.venue.engine.state.accounts[firm["uid"]].owner
    structure = {"owners": [{"party": party, "share_bp": 5000}], "controllers": [party]}
    operator("PUT", f"/parties/{firm_party}/business_structure", headers=why, json=structure,
             template=one_party + "/business_structure")  # fmt: skip
    operator("POST", f"/parties/{firm_party}/status", template=one_party + "/status",
             headers=why, json={"status": "blocked"})  # fmt: skip
    corrections = one_party + "/country_corrections"
    proposal = {"country": "AT", "evidence_ref": "passport"}
    first_fix = operator("POST", f"/parties/{party}/country_corrections", template=corrections,
                         headers=why, json=proposal)  # fmt: skip
    operator("POST", f"/country_corrections/{first_fix['id']}/approve",
             template="/country_corrections/{correction_id}/approve",
             headers={**why, "X-Actor": "second-officer"})  # fmt: skip
    second_fix = operator("POST", f"/parties/{party}/country_corrections", template=corrections,
                          headers=why, json={**proposal, "country": "DE"})  # fmt: skip
    operator("POST", f"/country_corrections/{second_fix['id']}/reject",
             template="/country_corrections/{correction_id}/reject", headers=why)  # fmt: skip
    operator("POST", f"/parties/{party}/step_up", template=one_party + "/step_up", headers=why)
    operator("GET", f"/users/{buyer.uid}/eligibility", template="/users/{uid}/eligibility")
    operator("POST", f"/users/{sub.uid}/status", template="/users/{uid}/status", headers=why,
             json={"status": "frozen"})  # fmt: skip
    operator("GET", "/jurisdictions")
    operator("PUT", "/jurisdictions/restricted", template="/jurisdictions/{list_name}",
             headers=why, json={"codes": ["US"]})  # fmt: skip
    operator("GET", "/kyc_limits")
    operator("PUT", "/kyc_limits/1", template="/kyc_limits/{tier}", headers=why,
             json={"withdrawal_limits": {"USDT": "1000", "BTC": "0"}})  # fmt: skip
    operator("GET", "/network_risk")
    tor_list = {"action": "deny", "source": "sample", "text": "185.220.101.0/24 # exits"}
    operator("PUT", "/network_risk/tor", template="/network_risk/{kind}", headers=why,
             json=tor_list)  # fmt: skip
    # sanctions screening and the Travel Rule
    listed = "0x" + "ab" * 20
    watch = {"source": "WALK", "entries": [
        {"entry_id": "WALK:1", "primary_name": "Zed Listed",
         "aliases": [{"name": "Walker Review", "strength": "weak"}]},
        {"entry_id": "WALK:2", "primary_name": "Walk Exchange", "entity_type": "entity",
         "wallets": [{"chain": "ETH", "address": listed}]}]}  # fmt: skip
    operator("POST", "/screening/lists", json=watch)
    (tmp_path / "dca").mkdir()
    (tmp_path / "dca" / "sanctioned_addresses_ETH.txt").write_text("0x" + "cd" * 20 + "\n")
    monkeypatch.setenv("CLEARHOUSE_SANCTIONS_DIR", str(tmp_path))
    operator("POST", "/screening/lists/load",
             json={"format": "ofac_crypto_addresses", "path": "dca"})  # fmt: skip
    operator("GET", "/screening/lists")
    operator("POST", "/screening/names", json={"name": "Zed Listed"})
    operator("POST", "/screening/addresses", json={"address": listed, "chain": "ETH"})
    held = operator("POST", "/users", json={"name": "Walker Review", "email": "",
                                            "country": "DE", "kyc_tier": 1})  # fmt: skip
    operator("GET", "/screening/parties", params={"status": "review"})
    held_party = fuzz_server.venue.engine.state.accounts[held["uid"]].owner
    one_held = "/screening/parties/{party}"
    operator("GET", f"/screening/parties/{held_party}", template=one_held)
    operator("POST", f"/screening/parties/{held_party}/review", template=one_held + "/review",
             json={"outcome": "clear", "reason": "walk"})  # fmt: skip
    frozen = operator("POST", "/deposits", json={"uid": buyer.uid, "currency": "USDT",
                                                 "amount": "1", "chain": "ETH",
                                                 "address": listed})  # fmt: skip
    operator("GET", "/screening/frozen")
    operator("POST", f"/screening/frozen/{frozen['id']}/release",
             template="/screening/frozen/{deposit_id}/release", json={"reason": "walk"})
    operator("GET", "/travel_rule")
    operator("PUT", "/travel_rule", json={"threshold_usd": "3000"})
    documented = {label for label, _ in _cases()}
    assert seen == documented, documented - seen
