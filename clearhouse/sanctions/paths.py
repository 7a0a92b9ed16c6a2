"""Where the shared reference data lives, if it is present at all.

The venue must run without it: nothing in the product reads this implicitly. Tests, the
benchmark and operators' tools call :func:`shared_data_dir` and skip or fail clearly when it is
absent.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "CLEARHOUSE_SHARED_DATA"
_REPO_ROOT = Path(__file__).resolve().parents[2]


def shared_data_dir() -> Path | None:
    """``$CLEARHOUSE_SHARED_DATA`` if set, else ``../shared/data`` by the repo; None if absent."""
    configured = os.environ.get(ENV_VAR)
    candidate = Path(configured) if configured else _REPO_ROOT.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None


def sanctions_data_dir() -> Path | None:
    base = shared_data_dir()
    if base is None:
        return None
    path = base / "sanctions"
    return path if path.is_dir() else None
