"""`clearhouse audit ...`: verify the audit log, export its public key, export KPIs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from clearhouse.audit.chain import RECORD_FILE

audit_app = typer.Typer(help="The tamper-evident audit log and compliance KPIs.")
console = Console(stderr=True)


def _audit_dir(directory: Path) -> Path:
    """A data dir (holding audit/) or the audit folder itself."""
    return directory / "audit" if (directory / "audit" / RECORD_FILE).exists() else directory


@audit_app.command("verify")
def verify(
    directory: Annotated[Path, typer.Argument(help="A data dir, or its audit/ folder.")],
    public_key: Annotated[
        Path | None,
        typer.Option(help="PEM public key kept outside the data dir (default: the one in it)."),
    ] = None,
    journal: Annotated[
        bool, typer.Option("--journal/--no-journal", help="Also check against the journal.")
    ] = True,
) -> None:
    """Recompute the hash chain, check the signed checkpoints and (with the journal) that every
    audited command has its record. Names every edited, removed or reordered record; exit 1."""
    from clearhouse.audit.signing import load_public_key
    from clearhouse.audit.verify import verify_audit

    audit_dir = _audit_dir(directory)
    key = load_public_key(public_key.read_bytes()) if public_key is not None else None
    journal_dir = audit_dir.parent / "journal" if journal else None
    report = verify_audit(audit_dir, key, journal_dir)
    for note in report.notes:
        console.print(f"[dim]{note}[/]")
    if report.ok:
        console.print(
            f"[green]ok[/] {report.records} records, {report.checkpoints} checkpoints, "
            f"{report.journal_checked} journaled commands matched, head {report.head}"
        )
        raise typer.Exit(0)
    table = Table("problem", "record", "detail")
    for problem in report.problems:
        table.add_row(problem.kind, str(problem.record or ""), problem.message)
    console.print(table)
    for problem in report.problems:
        print(f"{problem.kind}: {problem.message}")
    raise typer.Exit(1)


@audit_app.command("public-key")
def public_key(
    directory: Annotated[Path, typer.Argument(help="A data dir, or its audit/ folder.")],
) -> None:
    """Print the audit checkpoint public key (PEM); keep a copy outside the venue."""
    from clearhouse.audit.signing import PUBLIC_KEY_FILE

    path = _audit_dir(directory) / PUBLIC_KEY_FILE
    if not path.exists():
        console.print(f"[red]no public key at {path}[/]")
        raise typer.Exit(1)
    print(path.read_text(), end="")


@audit_app.command("kpis")
def export_kpis(
    directory: Annotated[Path, typer.Argument(help="A data dir holding journal/ and audit/.")],
    fmt: Annotated[str, typer.Option("--format", help="json or csv.")] = "json",
    rules_dir: Annotated[
        Path | None, typer.Option(help="Monitoring rules (default rules/).")
    ] = None,
) -> None:
    """Recompute the compliance KPIs offline from the journal and the audit log, with checksum."""
    from clearhouse.audit import kpis
    from clearhouse.audit.log import read_lines
    from clearhouse.core.commands import decode_envelope
    from clearhouse.core.engine import Engine
    from clearhouse.journal import read_records
    from clearhouse.surveillance.monitor import Monitor
    from clearhouse.surveillance.rules import load_rules
    from clearhouse.surveillance.service import rules_dir_from

    if fmt not in ("json", "csv"):
        raise typer.BadParameter("json or csv", param_hint="--format")
    rules = load_rules(rules_dir_from(rules_dir))
    engine = Engine()
    monitor = Monitor(rules)
    with console.status("replaying the journal"):
        for record in read_records(directory / "journal", from_seq=1):
            envelope = decode_envelope(record.payload)
            monitor(envelope, engine.apply(envelope))
    records = list(read_lines(_audit_dir(directory) / RECORD_FILE))
    document = kpis.compute_kpis(
        engine.state,
        monitor.store,
        audit_records=len(records),
        audit_head=records[-1]["hash"] if records else "0" * 64,
        rules_version=rules.version,
        open_case_at=rules.settings.open_case_at,
    )
    data, digest = (kpis.export_csv if fmt == "csv" else kpis.export_json)(document)
    print(data.decode(), end="" if fmt == "csv" else "\n")
    console.print(f"sha256 {digest}")
