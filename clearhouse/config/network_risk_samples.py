"""The sample VPN, Tor and hosting lists shipped with Clearhouse (config/network_risk/*.txt),
as the commands that load them. Real deployments load their providers' feeds the same way,
through `PUT /api/ch/v1/admin/network_risk/{kind}`."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from clearhouse.core.commands import LoadNetworkRiskList
from clearhouse.core.compliance.network_risk import DENY, HOSTING, STEP_UP, TOR, VPN, parse_list

SAMPLE_DIR: Final = Path(__file__).parent / "network_risk"
# Tor exits are refused outright for sensitive actions; VPN and hosting ranges ask for a second
# factor (many honest users sit behind a corporate VPN or a cloud desktop).
DEFAULT_ACTIONS: Final = {TOR: DENY, VPN: STEP_UP, HOSTING: STEP_UP}


def sample_list(kind: str) -> tuple[str, ...]:
    return parse_list((SAMPLE_DIR / f"{kind}.txt").read_text())


def sample_commands(actions: dict[str, str] = DEFAULT_ACTIONS) -> list[LoadNetworkRiskList]:
    return [
        LoadNetworkRiskList(kind, action, sample_list(kind), f"sample:{kind}.txt")
        for kind, action in sorted(actions.items())
    ]
