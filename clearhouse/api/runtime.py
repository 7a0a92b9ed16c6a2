"""What the HTTP and WebSocket layers share: the venue, its async sequencer, the read-side
projections and the server settings. Built once by `create_app`; handlers receive it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from clearhouse.api.sequencer import AsyncSequencer
from clearhouse.venue import Venue


@dataclass
class Settings:
    demo: bool = True
    admin_token: str = ""
    trusted_proxies: tuple[str, ...] = ()  # CIDRs whose X-Forwarded-For we believe
    data_dir: Path | None = None
    timestamp_window_s: int = 60  # Gate: requests older or newer than this are REQUEST_EXPIRED
    max_body_bytes: int = 64 * 1024
    max_query_chars: int = 4 * 1024


@dataclass
class Runtime:
    venue: Venue
    sequencer: AsyncSequencer
    settings: Settings
    # read models keyed by name; registered as venue listeners at start-up
    projections: dict[str, object] = field(default_factory=dict)
