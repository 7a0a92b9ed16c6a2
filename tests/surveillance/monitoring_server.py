"""A real server for the compliance API tests: uvicorn on a free loopback port, in a thread, over
a journaled venue in a temporary data dir; clients speak HTTP only."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any, Final

import httpx
import uvicorn

from clearhouse.api.app import create_app
from clearhouse.api.runtime import Settings
from clearhouse.venue import Venue

TOKEN: Final = "compliance-test-token"
ADMIN_PREFIX: Final = "/api/ch/v1/admin"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    def __init__(self, data_dir: Path, rules_dir: Path | None = None) -> None:
        self.venue = Venue(data_dir, durable=False, parallel_journal=False)
        settings = Settings(
            admin_token=TOKEN, ip_rate_per_s=0, key_rate_per_s=0, data_dir=data_dir,
            rules_dir=rules_dir,
        )  # fmt: skip
        self.app = create_app(self.venue, settings)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "server did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.venue.close()

    def admin(self, actor: str = "mlro", reason: str = "compliance test") -> Admin:
        return Admin(self.url, actor, reason)


class Admin:
    def __init__(self, url: str, actor: str, reason: str) -> None:
        headers = {"Authorization": f"Bearer {TOKEN}", "X-Actor": actor, "X-Reason": reason}
        self.http = httpx.Client(base_url=url + ADMIN_PREFIX, headers=headers, timeout=30)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, path, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        assert response.status_code < 300, (method, path, response.status_code, response.text)
        return response.json()

    def refused(self, method: str, path: str, status: int, label: str, **kwargs: Any) -> str:
        response = self.request(method, path, **kwargs)
        assert response.status_code == status, response.text
        body: dict[str, str] = response.json()
        assert body["label"] == label, body
        return body["message"]

    def eventually(self, method: str, path: str, check: Any, timeout_s: float = 10) -> Any:
        """Poll until `check(body)` holds (cases are opened by a background task)."""
        deadline = time.monotonic() + timeout_s
        while True:
            body = self.ok(method, path)
            if check(body):
                return body
            assert time.monotonic() < deadline, body
            time.sleep(0.02)
