"""The audit record format and its hash chain.

One record per line of `audit.log`, JSON with sorted keys and no spaces (its canonical form).
Each record carries its number `n` (1, 2, 3, ... with no gaps), the hash of the record before it
(`prev`; the first record's is 64 zeros) and its own `hash`:

    hash = SHA-256( prev || canonical JSON of the record without "hash" )

so editing a record changes its hash, removing or reordering records breaks the numbering and
the links, and rewriting the whole tail is caught by the signed checkpoints (signing.py).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

GENESIS: Final = "0" * 64
RECORD_FILE: Final = "audit.log"
CHECKPOINT_FILE: Final = "checkpoints.log"


def canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def record_hash(record: dict[str, Any]) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(str(record.get("prev", "")).encode() + canonical(body)).hexdigest()


def seal(record: dict[str, Any]) -> dict[str, Any]:
    """The record with its hash filled in (it must already carry `n` and `prev`)."""
    sealed = dict(record)
    sealed["hash"] = record_hash(sealed)
    return sealed


def describe(record: dict[str, Any]) -> str:
    """A short human name for a record in verification reports."""
    parts = [f"record {record.get('n')}"]
    if record.get("seq"):
        parts.append(f"journal seq {record['seq']}")
    action = record.get("action")
    if action:
        actor = record.get("actor") or "system"
        parts.append(f"{action} by {actor}")
    return ", ".join(parts)
