"""The audit trail cannot be quietly rewritten: `clearhouse audit verify` names every edited,
removed or reordered record (exit 1), catches a forger who re-hashes the chain (signed
checkpoints, the journal), a forged or re-signed checkpoint, and a truncated tail; the venue
refuses to start on a tampered log."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from audit_support import Trail, audit_path, read_records, rechain, write_records
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from clearhouse.audit.chain import CHECKPOINT_FILE
from clearhouse.audit.log import AuditLog, AuditTampered
from clearhouse.audit.signing import PUBLIC_KEY_FILE, Signer, load_public_key
from clearhouse.audit.verify import verify_audit


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    trail = Trail(tmp_path / "venue")
    trail.busy()
    trail.close()
    yield trail.data_dir


def verify(data_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clearhouse.cli", "audit", "verify", str(data_dir), *extra],
        capture_output=True,
        text=True,
        timeout=120,
    )


def problems(data_dir: Path) -> list[tuple[str, int | None]]:
    report = verify_audit(data_dir / "audit", journal_dir=data_dir / "journal")
    return [(p.kind, p.record) for p in report.problems]


def test_an_untouched_trail_verifies_and_covers_every_admin_command(data_dir: Path) -> None:
    result = verify(data_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    report = verify_audit(data_dir / "audit", journal_dir=data_dir / "journal")
    assert report.ok and report.checkpoints >= 1 and report.journal_checked > 10
    records = read_records(data_dir)
    actions = {(r["action"], r["actor"]) for r in records}
    assert {("OnboardUser", "ops"), ("FileSar", "mlro"), ("CloseCase", "mlro")} <= actions
    assert ("OpenCase", "surveillance") in actions and ("rules_loaded", "system") in actions
    close = next(r for r in records if r["action"] == "CloseCase")
    assert close["outcome"] == "applied" and close["subject"] == "case 2"
    assert close["detail"]["rationale"] == "Deposits match the customer's documented salary."
    onboard = next(r for r in records if r["action"] == "OnboardUser")
    assert onboard["detail"]["secret_sealed"] == "<redacted>"


def test_an_edited_record_is_named(data_dir: Path) -> None:
    records = read_records(data_dir)
    target = next(r for r in records if r["action"] == "CloseCase")
    target["reason"] = "nothing to see"
    write_records(data_dir, records)
    result = verify(data_dir)
    assert result.returncode == 1
    assert f"record {target['n']}" in result.stdout and "edited" in result.stdout
    assert ("edited", target["n"]) in problems(data_dir)


def test_a_removed_record_is_named(data_dir: Path) -> None:
    records = read_records(data_dir)
    gone = records.pop(5)
    write_records(data_dir, records)
    result = verify(data_dir)
    assert result.returncode == 1
    assert f"record {gone['n']} is missing" in result.stdout
    assert ("removed", gone["n"]) in problems(data_dir)


def test_reordered_records_are_named(data_dir: Path) -> None:
    records = read_records(data_dir)
    records[6], records[7] = records[7], records[6]
    write_records(data_dir, records)
    result = verify(data_dir)
    assert result.returncode == 1
    n = records[7]["n"]
    assert f"record {n} comes after record {n + 1}" in result.stdout
    assert ("reordered", n) in problems(data_dir)


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(data_dir: Path) -> None:
    records = read_records(data_dir)
    i = next(i for i, r in enumerate(records) if r["action"] == "FileSar")
    records[i]["actor"] = "someone-else"
    records[i : i + 1] = rechain(records[: i + 1], start=i)[i:]
    write_records(data_dir, records)
    found = problems(data_dir)
    assert ("chain", records[i]["n"]) in found


def test_a_forger_who_rehashes_the_whole_chain_is_caught_by_the_signed_checkpoint(
    data_dir: Path,
) -> None:
    records = read_records(data_dir)
    i = next(i for i, r in enumerate(records) if r["action"] == "CloseCase")
    del records[i]  # the closed case's record, gone without a gap in the numbering
    write_records(data_dir, rechain(records))
    found = problems(data_dir)
    assert any(kind in ("checkpoint", "removed") for kind, _ in found), found
    assert any(kind == "journal" for kind, _ in found), found  # and the journal still has it
    result = verify(data_dir)
    assert result.returncode == 1 and "(CloseCase by mlro) has no audit record" in result.stdout


def test_a_truncated_tail_is_caught_by_the_checkpoint(data_dir: Path) -> None:
    records = read_records(data_dir)
    write_records(data_dir, records[:-3])
    result = verify(data_dir, "--no-journal")
    assert result.returncode == 1 and "truncated" in result.stdout


def test_a_forged_checkpoint_signature_is_detected(data_dir: Path) -> None:
    path = data_dir / "audit" / CHECKPOINT_FILE
    checkpoints = [json.loads(line) for line in path.read_text().splitlines()]
    checkpoints[-1]["head"] = "f" * 64
    path.write_text("".join(json.dumps(c) + "\n" for c in checkpoints))
    result = verify(data_dir)
    assert result.returncode == 1 and "signature does not verify" in result.stdout


def test_a_replaced_key_pair_fails_against_the_pinned_public_key(
    data_dir: Path, tmp_path: Path
) -> None:
    pinned = tmp_path / "pinned.pem"
    pinned.write_bytes((data_dir / "audit" / PUBLIC_KEY_FILE).read_bytes())
    # a forger re-signs every checkpoint with a key of their own and swaps the key files
    forger = Signer(Ed25519PrivateKey.generate())
    path = data_dir / "audit" / CHECKPOINT_FILE
    checkpoints = [json.loads(line) for line in path.read_text().splitlines()]
    resigned = [
        forger.checkpoint(c["n"], c["head"], c["journal_seq"], c["time_ns"]) for c in checkpoints
    ]
    path.write_text("".join(json.dumps(c) + "\n" for c in resigned))
    (data_dir / "audit" / PUBLIC_KEY_FILE).write_text(forger.public_pem)
    assert verify(data_dir).returncode == 0  # the data dir's own key is the forger's now
    result = verify(data_dir, "--public-key", str(pinned))
    assert result.returncode == 1 and "signature does not verify" in result.stdout
    report = verify_audit(data_dir / "audit", load_public_key(pinned.read_bytes()))
    assert {p.kind for p in report.problems} == {"signature"}


def test_the_venue_refuses_to_open_a_tampered_audit_log(data_dir: Path) -> None:
    records = read_records(data_dir)
    records[2]["actor"] = "mallory"
    write_records(data_dir, records)
    with pytest.raises(AuditTampered, match="record 3"):
        AuditLog.open(data_dir / "audit")


def test_a_torn_final_write_is_cut_and_recorded_while_a_whole_record_is_kept(
    data_dir: Path,
) -> None:
    path = audit_path(data_dir)
    whole = path.read_bytes()
    path.write_bytes(whole.rstrip(b"\n"))  # the last record lost only its newline
    log = AuditLog.open(data_dir / "audit")
    assert log.count == len(whole.splitlines())
    log.close(0)
    path.write_bytes(path.read_bytes() + b'{"n": 99, "half')  # a write cut by a crash
    log = AuditLog.open(data_dir / "audit")
    last = list(log.records())[-1]
    assert last["action"] == "torn_tail_cut" and last["detail"]["bytes"] == 15
    log.close(0)
    assert verify_audit(data_dir / "audit").ok


def test_the_audit_log_offers_no_way_to_delete_or_rewrite() -> None:
    public = {name for name in dir(AuditLog) if not name.startswith("_")}
    assert public == {"append", "checkpoint", "checkpoints", "close", "open", "records"}
