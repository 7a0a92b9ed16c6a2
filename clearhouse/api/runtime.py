"""What the HTTP and WebSocket layers share: the venue, its async sequencer, the read-side
projections and the server settings. Built once by `create_app`; handlers receive it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from clearhouse.api.client_ip import ClientAddress
from clearhouse.api.key_secrets import KeySecrets
from clearhouse.api.rate_limit import RateLimiter
from clearhouse.api.sealing import MasterKey
from clearhouse.api.sequencer import AsyncSequencer
from clearhouse.api.sim_clock import SimClock
from clearhouse.projections import Projections
from clearhouse.surveillance.service import ComplianceMonitoring
from clearhouse.venue import Venue


@dataclass
class Settings:
    demo: bool = True
    admin_token: str = ""  # "" = admin API disabled (403)
    trusted_proxies: tuple[str, ...] = ()  # CIDRs whose X-Forwarded-For we believe
    # loopback/private clients (no country): "allow", "block", or "" = allow in demo mode only
    local_addresses: str = ""
    data_dir: Path | None = None
    timestamp_window_s: int = 60  # Gate: requests older or newer than this are REQUEST_EXPIRED
    max_body_bytes: int = 64 * 1024
    max_query_chars: int = 4 * 1024
    # token buckets; a rate of 0 disables that limit
    ip_rate_per_s: float = 200.0
    ip_burst: int = 400
    key_rate_per_s: float = 100.0
    key_burst: int = 200
    rules_dir: Path | None = None  # monitoring rules; None = $CLEARHOUSE_RULES_DIR or rules/


@dataclass
class Runtime:
    venue: Venue
    sequencer: AsyncSequencer
    settings: Settings
    projections: Projections  # read models, registered as a venue listener at start-up
    master_key: MasterKey
    client_address: ClientAddress
    ip_limiter: RateLimiter
    key_limiter: RateLimiter
    clock: SimClock | None = None  # the venue's clock in demo mode
    monitoring: ComplianceMonitoring | None = None  # AML, surveillance, cases, audit log
    # unsealed API secrets (bounded cache); made from master_key and registered as a venue
    # listener, so revocations drop their entries
    key_secrets: KeySecrets = field(init=False)

    def __post_init__(self) -> None:
        self.key_secrets = KeySecrets(self.master_key)
        self.venue.listeners.append(self.key_secrets)
