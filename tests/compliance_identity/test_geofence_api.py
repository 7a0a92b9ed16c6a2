"""Geofencing through the live API: a request from a blocked or unknown IP country is refused
with 403 on every call, REST (public, signed, admin) and WebSocket (the handshake itself); local
addresses follow the venue's explicit policy; listed VPN/Tor/hosting addresses cannot log in on
the WebSocket API. Clients reach the server through a trusted proxy (X-Forwarded-For), as they
would in production, so each test chooses the address it comes from."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from api_support import Admin, LiveServer, Signed, User, observable, settings
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from clearhouse.core.commands import SetLocalAddressPolicy, decode_envelope
from clearhouse.journal import read_records
from clearhouse.venue import Venue

IRAN = "2.176.0.1"
NORTH_KOREA_FREE_UNKNOWN = "100.64.0.1"  # shared address space: no country anywhere
BRITAIN = "81.2.69.160"
TOR_EXIT = "185.220.101.7"


@pytest.fixture(scope="module")
def proxied() -> Iterator[LiveServer]:
    with LiveServer(Venue(None), settings(trusted_proxies=("127.0.0.1/32",))) as server:
        yield server


def _from(ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": ip}


def _label(response: httpx.Response) -> str:
    label: str = response.json()["label"]
    return label


@pytest.mark.parametrize("ip", [IRAN, NORTH_KOREA_FREE_UNKNOWN])
def test_every_rest_call_from_a_blocked_or_unknown_country_gets_403(
    proxied: LiveServer, ip: str
) -> None:
    admin = Admin(proxied)
    user = admin.user()
    admin.deposit(user.uid, "USDT", "1000")
    before = observable(proxied.venue)
    public = httpx.get(f"{proxied.url}/api/v4/spot/currency_pairs", headers=_from(ip))
    client = Signed(proxied, user)
    reads = client.request("GET", "/spot/accounts", extra_headers=_from(ip))
    order = {"currency_pair": "BTC_USDT", "side": "buy", "amount": "0.001", "price": "50000"}
    write = client.request("POST", "/spot/orders", body=order, extra_headers=_from(ip))
    operator = admin.request("GET", "/markets", headers=_from(ip))
    for response in (public, reads, write, operator):
        assert (response.status_code, _label(response)) == (403, "FORBIDDEN"), response.text
    assert observable(proxied.venue) == before
    # the same calls from an allowed country, and from the venue's own (local) network, pass
    for headers in (_from(BRITAIN), {}):
        assert httpx.get(f"{proxied.url}/api/v4/spot/currency_pairs", headers=headers).is_success
        assert client.request("GET", "/spot/accounts", extra_headers=headers).is_success


def test_a_websocket_handshake_from_a_blocked_or_unknown_country_is_refused_with_403(
    proxied: LiveServer,
) -> None:
    url = proxied.url.replace("http://", "ws://") + "/ws/v4/"
    for ip in (IRAN, NORTH_KOREA_FREE_UNKNOWN):
        with pytest.raises(InvalidStatus) as refused:
            connect(url, additional_headers=_from(ip), open_timeout=10)
        assert refused.value.response.status_code == 403
    with connect(url, additional_headers=_from(BRITAIN), open_timeout=10) as ws:
        ws.send(json.dumps({"time": int(time.time()), "channel": "spot.ping"}))
        assert json.loads(ws.recv(timeout=10))["channel"] == "spot.pong"


def _login(user: User, req_id: str = "login") -> str:
    now = int(time.time())
    message = f"api\nspot.login\n\n{now}"
    signature = hmac.new(user.secret.encode(), message.encode(), hashlib.sha512).hexdigest()
    payload = {"req_id": req_id, "api_key": user.key, "timestamp": str(now), "signature": signature}
    return json.dumps({"time": now, "channel": "spot.login", "event": "api", "payload": payload})


def _answer(ws: Any, req_id: str) -> dict[str, Any]:
    while True:
        frame: dict[str, Any] = json.loads(ws.recv(timeout=10))
        if frame.get("request_id") == req_id:
            return frame


def test_a_websocket_login_from_a_denied_network_is_refused(proxied: LiveServer) -> None:
    admin = Admin(proxied)
    user = admin.user()
    loaded = admin.request(
        "PUT", "/network_risk/tor", headers={"X-Reason": "tor exits"},
        json={"action": "deny", "source": "test", "cidrs": ["185.220.101.0/24"]},
    )  # fmt: skip
    assert loaded.is_success, loaded.text
    url = proxied.url.replace("http://", "ws://") + "/ws/v4/"
    with connect(url, additional_headers=_from(TOR_EXIT), open_timeout=10) as ws:
        ws.send(_login(user))
        errs = _answer(ws, "login")["data"]["errs"]
        assert errs["label"] == "FORBIDDEN"
    with connect(url, additional_headers=_from(BRITAIN), open_timeout=10) as ws:
        ws.send(_login(user))
        assert _answer(ws, "login")["data"]["result"]["uid"] == str(user.uid)


def test_a_live_venue_refuses_local_addresses_unless_told_otherwise(tmp_path: Any) -> None:
    data_dir = tmp_path / "live"
    with LiveServer(Venue(data_dir), settings(demo=False, data_dir=data_dir)) as server:
        response = httpx.get(f"{server.url}/api/v4/spot/currency_pairs")
        assert (response.status_code, _label(response)) == (403, "FORBIDDEN")
        url = server.url.replace("http://", "ws://") + "/ws/v4/"
        with pytest.raises(InvalidStatus) as refused:
            connect(url, open_timeout=10)
        assert refused.value.response.status_code == 403
    # the decision is in the journal, attributed to the settings it came from
    envelopes = [decode_envelope(r.payload) for r in read_records(data_dir / "journal")]
    policies = [
        (e.command.allowed, e.facts.actor)
        for e in envelopes
        if isinstance(e.command, SetLocalAddressPolicy)
    ]
    assert policies == [(False, "settings")]
    with LiveServer(
        Venue(data_dir), settings(demo=False, data_dir=data_dir, local_addresses="allow")
    ) as server:
        assert httpx.get(f"{server.url}/api/v4/spot/currency_pairs").is_success
