"""`clearhouse serve` wires it all: REST, admin API, OpenAPI, health, keys that survive restarts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from api_support import Signed, User, free_port

TOKEN = "serve-test-token"
START_TIMEOUT_S = 20.0


@contextmanager
def serving(data_dir: Path, *extra: str) -> Iterator[str]:
    port = free_port()
    command = [
        sys.executable, "-m", "clearhouse.cli", "serve", "--port", str(port),
        "--data-dir", str(data_dir), "--trusted-proxy", "127.0.0.1/32", *extra,
    ]  # fmt: skip
    env = {**os.environ, "CLEARHOUSE_ADMIN_TOKEN": TOKEN}
    env.pop("CLEARHOUSE_MASTER_KEY", None)
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"serve did not start: {process.stderr and process.stderr.read()}"
                )
            time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=START_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_serve_starts_the_gateway_and_keys_survive_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "venue"
    admin = {"Authorization": f"Bearer {TOKEN}"}
    with serving(data_dir) as url:
        health = httpx.get(url + "/health").json()
        assert health["status"] == "ok" and health["mode"] == "demo"
        assert httpx.get(url + "/api/v4/openapi.json").json()["openapi"].startswith("3.1")
        user = httpx.post(
            url + "/api/ch/v1/admin/users",
            json={"name": "Eve", "email": "e@example.com", "country": "NL", "kyc_tier": 1},
            headers=admin,
        ).json()
        pairs = httpx.get(url + "/api/v4/spot/currency_pairs").json()
        assert {p["id"] for p in pairs} >= {"BTC_USDT", "ETH_USDT"}
    assert (data_dir / "master.key").stat().st_mode & 0o777 == 0o600
    with serving(data_dir) as url:
        client = Signed(url, User(user["uid"], user["api_key"], user["api_secret"]))
        assert client.request("GET", "/account/detail").json()["user_id"] == user["uid"]
