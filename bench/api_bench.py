"""API benchmark: order placement and cancellation over REST and WebSocket, from a separate
client process on loopback, against the venue as `clearhouse serve` runs it (durable journal)
and, in the same run, the same REST client against a FastAPI endpoint that does nothing.

    python bench/api_bench.py [--seconds 10] [--rest-clients 8] [--ws-clients 4]
                              [--ws-window 64] [--only rest|ws]

Prints one JSON object. Client and servers share this machine's cores: every figure includes
the cost of the load generator competing with the server for CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
READY_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} not ready")


def start(args: list[str], ready_url: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, str(HERE / "api_server.py"), *args])
    try:
        wait_ready(ready_url, process)
    except Exception:
        process.kill()
        raise
    return process


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children that were waited for (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(fields[i]) for i in (11, 12)) / ticks


def tree_cpu_seconds(pid: int) -> float:
    """CPU of a server process and its live children (the journal writer)."""
    total = cpu_seconds(pid)
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        for child in children.read_text().split():
            total += cpu_seconds(int(child))
    return total


def measured(server: subprocess.Popen[bytes], run: Any) -> dict[str, Any]:
    before = tree_cpu_seconds(server.pid)
    result: dict[str, Any] = run()
    result["server_cpu_s"] = round(tree_cpu_seconds(server.pid) - before, 2)
    return result


def client(kind: str, url: str, creds: Path, **options: Any) -> dict[str, Any]:
    command = [
        sys.executable,
        str(HERE / "api_clients.py"),
        kind,
        "--url",
        url,
        "--creds",
        str(creds),
    ]
    for name, value in options.items():
        command += [f"--{name.replace('_', '-')}", str(value)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "note": "client and servers share these cores on loopback",
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rest-clients", type=int, default=8)
    parser.add_argument("--ws-clients", type=int, default=4)
    parser.add_argument("--ws-window", type=int, default=64)
    parser.add_argument("--only", choices=["rest", "ws"])
    args = parser.parse_args()
    users = max(args.rest_clients, args.ws_clients)
    report: dict[str, Any] = {"machine": machine(), "seconds": args.seconds}
    with tempfile.TemporaryDirectory(prefix="clearhouse-bench-") as tmp:
        data_dir = Path(tmp) / "venue"
        creds = Path(tmp) / "creds.json"
        port = free_port()
        venue = start(
            [
                "venue",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
                "--users",
                str(users),
                "--creds",
                str(creds),
            ],
            f"http://127.0.0.1:{port}/health",
        )
        noop: subprocess.Popen[bytes] | None = None
        try:
            report["server"] = {
                "journal": "durable (fsync, group commit)",
                "data_dir": tmp,
                "uvicorn": "same options as clearhouse serve",
                "rate_limits": "off",
            }
            if args.only in (None, "rest"):
                base = f"http://127.0.0.1:{port}"
                report["rest_venue"] = measured(
                    venue,
                    lambda: client(
                        "rest", base, creds, clients=args.rest_clients, seconds=args.seconds
                    ),
                )
                noop_port = free_port()
                noop = start(
                    ["noop", "--port", str(noop_port)], f"http://127.0.0.1:{noop_port}/docs"
                )
                report["rest_noop_fastapi"] = measured(
                    noop,
                    lambda: client(
                        "rest",
                        f"http://127.0.0.1:{noop_port}",
                        creds,
                        clients=args.rest_clients,
                        seconds=args.seconds,
                    ),
                )
            if args.only in (None, "ws"):
                ws_url = f"ws://127.0.0.1:{port}/ws/v4/"
                report["ws_venue"] = measured(
                    venue,
                    lambda: client(
                        "ws",
                        ws_url,
                        creds,
                        clients=args.ws_clients,
                        window=args.ws_window,
                        seconds=args.seconds,
                    ),
                )
                # one request at a time: the round trip without queueing
                report["ws_venue_one_in_flight"] = measured(
                    venue,
                    lambda: client("ws", ws_url, creds, clients=1, window=1, seconds=args.seconds),
                )
        finally:
            for process in (venue, noop):
                if process is not None:
                    process.terminate()
                    process.wait(timeout=30)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
