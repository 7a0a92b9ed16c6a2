"""Benchmark servers, one per process: the venue as `clearhouse serve` runs it, or a no-op.

    python bench/api_server.py venue --port P --data-dir D --users N --creds FILE
    python bench/api_server.py noop --port P

`venue`: a durable journal (fsync group commit) in D, the full application (REST, WebSocket,
admin), N funded users whose keys are written to FILE. Rate limits are off: they are policy,
and a benchmark from one address would only measure the 429s. `noop`: a FastAPI app with the
same two order routes that answers at once, to show what HTTP itself costs on this machine.
Both are served by `uvicorn.run` with the same options as `clearhouse serve`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import uvicorn

FUNDS = {"USDT": 10**9 * 10**8, "BTC": 10**5 * 10**8}


def venue_app(data_dir: Path, users: int, creds: Path) -> Any:
    from clearhouse.api.app import create_app
    from clearhouse.api.runtime import Settings
    from clearhouse.api.sealing import new_api_key
    from clearhouse.core.commands import CreditDeposit, OnboardUser
    from clearhouse.core.events import AccountOpened
    from clearhouse.venue import Venue

    venue = Venue(data_dir)
    settings = Settings(demo=True, data_dir=data_dir, ip_rate_per_s=0, key_rate_per_s=0)
    app = create_app(venue, settings)
    master = app.state.runtime.master_key
    out = []
    for i in range(users):
        key, secret = new_api_key()
        events = venue.submit_one(
            OnboardUser(
                name=f"Bench {i}",
                email=f"bench{i}@example.com",
                country="DE",
                kyc_tier=2,
                key=key,
                secret_sealed=master.seal(secret, key),
                permissions=("read", "spot"),
            )
        )
        uid = next(e.account for e in events if isinstance(e, AccountOpened))
        for asset, units in FUNDS.items():
            venue.submit_one(CreditDeposit(uid, asset, units, txid=f"bench-{uid}-{asset}"))
        out.append({"uid": uid, "key": key, "secret": secret})
    creds.write_text(json.dumps(out))
    return app


def noop_app() -> Any:
    from fastapi import FastAPI

    app = FastAPI()

    @app.post("/api/v4/spot/orders", status_code=201)
    async def place() -> dict[str, str]:
        return {"id": "1", "status": "open"}

    @app.delete("/api/v4/spot/orders/{order_id}")
    async def cancel(order_id: str) -> dict[str, str]:
        return {"id": order_id, "status": "cancelled"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["venue", "noop"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--creds", type=Path)
    args = parser.parse_args()
    if args.kind == "venue":
        app = venue_app(args.data_dir, args.users, args.creds)
    else:
        app = noop_app()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
