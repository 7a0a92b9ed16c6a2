"""Load clients for the API benchmark; each run is one process that prints one JSON object.

    python bench/api_clients.py rest --url URL --creds FILE --clients 8 --seconds 10
    python bench/api_clients.py ws   --url URL --creds FILE --clients 4 --window 64 --seconds 10

Every "order" is a Gate v4 limit buy that rests (priced far below any ask) followed by its
cancellation, so the book stays small and the engine does the same work throughout.

* rest: N workers, each with its own API key and one keep-alive connection (aiohttp), sending
  signed `POST /api/v4/spot/orders` then signed `DELETE /api/v4/spot/orders/{id}`, one request
  at a time per worker. Latency is per request, send to full response.
* ws: N connections, each logged in with `spot.login`, keeping up to `window` requests in
  flight: `spot.order_place`, and on its result `spot.order_cancel`. Latency is per request,
  send to its result frame (the ack frame arrives first and is not the answer).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import resource
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson

PAIR = "BTC_USDT"
WARMUP_S = 1.0


def percentile(samples: list[float], q: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(latencies_s: list[float], orders: int, requests: int, seconds: float) -> dict[str, Any]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "client_cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "orders_per_s": round(orders / seconds),
        "requests_per_s": round(requests / seconds),
        "latency_ms_p50": round(percentile(latencies_s, 0.50) * 1000, 3),
        "latency_ms_p99": round(percentile(latencies_s, 0.99) * 1000, 3),
        "latency_ms_max": round(max(latencies_s, default=0.0) * 1000, 3),
        "orders": orders,
        "requests": requests,
        "seconds": round(seconds, 3),
    }


# --- REST ----------------------------------------------------------------------------------------
def rest_headers(
    key: str, secret: str, method: str, path: str, query: str, body: bytes
) -> dict[str, str]:
    timestamp = str(int(time.time()))
    message = "\n".join((method, path, query, hashlib.sha512(body).hexdigest(), timestamp))
    sign = hmac.new(secret.encode(), message.encode(), hashlib.sha512).hexdigest()
    return {"KEY": key, "Timestamp": timestamp, "SIGN": sign, "Content-Type": "application/json"}


async def rest_worker(
    session: aiohttp.ClientSession,
    url: str,
    user: dict[str, Any],
    n: int,
    stop_at: float,
    measure_from: float,
    out: dict[str, Any],
) -> None:
    key, secret = user["key"], user["secret"]
    path = "/api/v4/spot/orders"
    i = 0
    while time.monotonic() < stop_at:
        i += 1
        body = orjson.dumps(
            {
                "currency_pair": PAIR,
                "side": "buy",
                "amount": "0.001",
                "price": str(10_000 + (i % 100)),
                "text": f"t-{n}-{i}",
            }
        )
        start = time.monotonic()
        async with session.post(
            url + path, data=body, headers=rest_headers(key, secret, "POST", path, "", body)
        ) as resp:
            placed = orjson.loads(await resp.read())
            ok = resp.status == 201
        middle = time.monotonic()
        cancel_path = f"{path}/{placed.get('id', '0')}"
        query = f"currency_pair={PAIR}"
        async with session.delete(
            url + cancel_path + "?" + query,
            headers=rest_headers(key, secret, "DELETE", cancel_path, query, b""),
        ) as resp:
            await resp.read()
            ok = ok and resp.status == 200
        end = time.monotonic()
        if not ok:
            out["errors"] += 1
            if out["errors"] < 3:
                out["first_errors"].append(placed)
        if start >= measure_from:
            out["latencies"] += [middle - start, end - middle]
            out["orders"] += 1


async def run_rest(
    url: str, users: list[dict[str, Any]], clients: int, seconds: float
) -> dict[str, Any]:
    out: dict[str, Any] = {"latencies": [], "orders": 0, "errors": 0, "first_errors": []}
    connector = aiohttp.TCPConnector(limit=clients, keepalive_timeout=60)
    async with aiohttp.ClientSession(connector=connector) as session:
        now = time.monotonic()
        measure_from = now + WARMUP_S
        stop_at = measure_from + seconds
        await asyncio.gather(
            *(
                rest_worker(session, url, users[n % len(users)], n, stop_at, measure_from, out)
                for n in range(clients)
            )
        )
        elapsed = time.monotonic() - measure_from
    result = summary(out["latencies"], out["orders"], out["orders"] * 2, elapsed)
    result |= {"clients": clients, "errors": out["errors"], "first_errors": out["first_errors"]}
    return result


# --- WebSocket -----------------------------------------------------------------------------------
def login_frame(user: dict[str, Any]) -> bytes:
    now = int(time.time())
    message = f"api\nspot.login\n\n{now}"
    sign = hmac.new(user["secret"].encode(), message.encode(), hashlib.sha512).hexdigest()
    payload = {"req_id": "login", "api_key": user["key"], "signature": sign, "timestamp": str(now)}
    return orjson.dumps({"time": now, "channel": "spot.login", "event": "api", "payload": payload})


async def ws_connection(
    session: aiohttp.ClientSession,
    url: str,
    user: dict[str, Any],
    n: int,
    window: int,
    stop_at: float,
    measure_from: float,
    out: dict[str, Any],
) -> None:
    async with session.ws_connect(url, compress=0, max_msg_size=0) as ws:
        await ws.send_str(login_frame(user).decode())
        while True:
            reply = orjson.loads((await ws.receive()).data)
            if reply.get("request_id") == "login":
                assert reply["header"]["status"] == "200", reply
                break
        sent: dict[str, tuple[float, bool]] = {}  # req_id -> (sent at, is a placement)
        seq = 0
        done = False

        async def place() -> None:
            nonlocal seq
            seq += 1
            req_id = f"{n}-{seq}"
            param = {
                "currency_pair": PAIR,
                "side": "buy",
                "amount": "0.001",
                "price": str(10_000 + seq % 100),
            }
            frame = {
                "time": int(time.time()),
                "channel": "spot.order_place",
                "event": "api",
                "payload": {"req_id": req_id, "req_param": param},
            }
            sent[req_id] = (time.monotonic(), True)
            await ws.send_str(orjson.dumps(frame).decode())

        async def cancel(order_id: str) -> None:
            nonlocal seq
            seq += 1
            req_id = f"{n}-{seq}"
            frame = {
                "time": int(time.time()),
                "channel": "spot.order_cancel",
                "event": "api",
                "payload": {
                    "req_id": req_id,
                    "req_param": {"order_id": order_id, "currency_pair": PAIR},
                },
            }
            sent[req_id] = (time.monotonic(), False)
            await ws.send_str(orjson.dumps(frame).decode())

        for _ in range(window):
            await place()
        while sent:
            message = await ws.receive()
            if message.type != aiohttp.WSMsgType.TEXT:
                out["errors"] += 1
                break
            reply = orjson.loads(message.data)
            if reply.get("ack"):
                continue
            req_id = reply.get("request_id")
            if req_id not in sent:
                continue
            started, placing = sent.pop(req_id)
            now = time.monotonic()
            if started >= measure_from:
                out["latencies"].append(now - started)
                out["requests"] += 1
            data = reply.get("data", {})
            if "errs" in data:
                out["errors"] += 1
                if out["errors"] < 3:
                    out["first_errors"].append(data["errs"])
                if not done and now < stop_at:
                    await place()
                continue
            if placing:
                await cancel(data["result"]["id"])
            else:
                if started >= measure_from:
                    out["orders"] += 1
                if now >= stop_at:
                    done = True
                if not done:
                    await place()


async def run_ws(
    url: str, users: list[dict[str, Any]], clients: int, window: int, seconds: float
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "latencies": [],
        "orders": 0,
        "requests": 0,
        "errors": 0,
        "first_errors": [],
    }
    async with aiohttp.ClientSession() as session:
        now = time.monotonic()
        measure_from = now + WARMUP_S
        stop_at = measure_from + seconds
        await asyncio.gather(
            *(
                ws_connection(
                    session, url, users[n % len(users)], n, window, stop_at, measure_from, out
                )
                for n in range(clients)
            )
        )
        elapsed = time.monotonic() - measure_from
    result = summary(out["latencies"], out["orders"], out["requests"], elapsed)
    result |= {
        "connections": clients,
        "window_per_connection": window,
        "errors": out["errors"],
        "first_errors": out["first_errors"],
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["rest", "ws"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--creds", type=Path, required=True)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    users = json.loads(args.creds.read_text())
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    if args.kind == "rest":
        result = asyncio.run(run_rest(args.url, users, args.clients, args.seconds))
    else:
        result = asyncio.run(run_ws(args.url, users, args.clients, args.window, args.seconds))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
