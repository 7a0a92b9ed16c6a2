"""The identity and jurisdiction tests reuse the core's harness and the gateway's live-server
helpers (tests/core/core_harness.py, tests/api/api_support.py)."""

from __future__ import annotations

import sys
from pathlib import Path

_TESTS = Path(__file__).resolve().parent.parent
for _helpers in ("core", "api"):
    _path = str(_TESTS / _helpers)
    if _path not in sys.path:
        sys.path.insert(0, _path)
