"""`clearhouse ...`: serve the venue, verify and replay journals, run the benchmark."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from clearhouse.audit.cli import audit_app

app = typer.Typer(help="Clearhouse: a crypto derivatives exchange with compliance in the engine.")
journal_app = typer.Typer(help="Inspect the durable command journal.")
app.add_typer(journal_app, name="journal")
app.add_typer(audit_app, name="audit")
console = Console(stderr=True)

DEFAULT_DATA_DIR = Path("var/clearhouse")


@app.command()
def serve(
    demo: Annotated[bool, typer.Option("--demo/--live", help="Demo mode (default).")] = True,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8080,
    data_dir: Annotated[Path, typer.Option(help="Journal and snapshots.")] = DEFAULT_DATA_DIR,
    admin_token: Annotated[
        str | None, typer.Option(help="Bearer token for the admin API (or CLEARHOUSE_ADMIN_TOKEN).")
    ] = None,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-proxy",
            metavar="CIDR",
            help="Believe X-Forwarded-For from these peers (repeatable).",
        ),
    ] = None,
    rate_limit_ip: Annotated[
        float, typer.Option(help="Requests per second per client IP (0 = no limit).")
    ] = 200.0,
    rate_limit_key: Annotated[
        float, typer.Option(help="Requests per second per API key (0 = no limit).")
    ] = 100.0,
    local_addresses: Annotated[
        str,
        typer.Option(
            help="Loopback/private clients (no country): allow, block, or '' = demo only."
        ),
    ] = "",
) -> None:
    """Start the venue: engine, durable journal and HTTP API on HOST:PORT."""
    import uvicorn

    from clearhouse.api.app import create_app
    from clearhouse.api.client_ip import parse_networks
    from clearhouse.api.runtime import Settings
    from clearhouse.api.sim_clock import SimClock
    from clearhouse.venue import Venue

    token = admin_token or os.environ.get("CLEARHOUSE_ADMIN_TOKEN", "")
    proxies = tuple(trusted_proxy or ())
    try:
        parse_networks(proxies)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--trusted-proxy") from exc
    if rate_limit_ip < 0 or rate_limit_key < 0:
        raise typer.BadParameter("rate limits are >= 0", param_hint="--rate-limit-*")
    venue = Venue(data_dir, clock=SimClock()) if demo else Venue(data_dir)
    recovery = venue.recovery
    console.print(
        f"[bold]clearhouse[/] {'demo' if demo else 'live'} venue, data in {data_dir} "
        f"(seq {venue.engine.state.seq}, replayed {recovery.replayed} from snapshot "
        f"{recovery.snapshot_seq})"
    )
    if recovery.torn_tail:
        console.print(f"[yellow]journal had a torn tail, truncated:[/] {recovery.torn_tail}")
    if token:
        console.print("admin API enabled (token set)")
    settings = Settings(
        demo=demo,
        admin_token=token,
        data_dir=data_dir,
        trusted_proxies=proxies,
        ip_rate_per_s=rate_limit_ip,
        ip_burst=max(1, int(rate_limit_ip * 2)),
        key_rate_per_s=rate_limit_key,
        key_burst=max(1, int(rate_limit_key * 2)),
        local_addresses=local_addresses,
    )
    application = create_app(venue, settings)
    console.print(f"API on http://{host}:{port}/api/v4 (OpenAPI: /api/v4/openapi.json)")
    try:
        # proxy_headers=False: the gateway decides whose X-Forwarded-For to believe
        uvicorn.run(application, host=host, port=port, log_level="warning", proxy_headers=False)
    finally:
        venue.close()


@journal_app.command("verify")
def journal_verify(
    directory: Annotated[Path, typer.Argument(help="A data dir or its journal/ folder.")],
) -> None:
    """Check every record's length, checksum, sequence and hash chain; exit 1 at the first bad
    one."""
    from clearhouse.journal import verify

    journal_dir = _journal_dir(directory)
    report = verify(journal_dir)
    if report.ok:
        console.print(f"[green]ok[/] {report.records} records, last seq {report.last_seq}")
        raise typer.Exit(0)
    bad = report.first_bad
    assert bad is not None
    console.print(
        f"[red]bad record[/] in {bad.file} at offset {bad.offset} (seq {bad.seq}): {bad.reason}"
    )
    print(f"first bad offset: {bad.file}:{bad.offset}")
    raise typer.Exit(1)


@app.command()
def replay(
    directory: Annotated[Path, typer.Argument(help="A data dir holding journal/.")],
) -> None:
    """Rebuild state from the journal alone and print the state hash."""
    from clearhouse.venue import replay_state_hash

    seq, digest = replay_state_hash(_data_dir(directory))
    console.print(f"replayed {seq} commands")
    print(digest)


@app.command()
def bench(
    ops: Annotated[int, typer.Option(help="Operations per run.")] = 1_000_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    journal: Annotated[
        Path | None, typer.Option(help="Leave the durable journal in this directory.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Workload seed.")] = 7,
    compare: Annotated[bool, typer.Option(help="Also run the plain and Liquibook books.")] = True,
    repeat: Annotated[
        int, typer.Option(min=1, max=20, help="Interleaved runs per configuration (median).")
    ] = 1,
) -> None:
    """Seeded limit/cancel/market workload: book only, engine, engine + durable journal."""
    from clearhouse.bench.runner import run_all

    result = run_all(
        ops=ops, seed=seed, journal_dir=journal, compare=compare, progress=console, repeat=repeat
    )
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        console.print_json(json.dumps(result))


def _journal_dir(directory: Path) -> Path:
    return directory / "journal" if (directory / "journal").is_dir() else directory


def _data_dir(directory: Path) -> Path:
    return directory if (directory / "journal").is_dir() else directory.parent


def main() -> None:
    app(prog_name="clearhouse")


if __name__ == "__main__":
    main()
