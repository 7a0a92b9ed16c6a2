"""Every bound the WebSocket gateway keeps, as named numbers in one place (DESIGN §2.7).

A slow consumer is disconnected when its send queue fills, never allowed to grow memory; a client
that sends faster than the venue answers is slowed down by TCP (the server stops reading while
its requests are in flight), never buffered without limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# Close codes (RFC 6455 §7.4.1). 1008: the client broke a rule the server enforces.
CLOSE_POLICY: Final = 1008
CLOSE_GOING_AWAY: Final = 1001


@dataclass(frozen=True)
class WsLimits:
    """The queue bound must hold the largest burst one sequencer batch can produce for one
    client that does read: its own API answers (two frames per in-flight request) plus the
    pushes of one batch; the writer drains it between batches."""

    send_queue_frames: int = 16_384  # frames waiting for one client; one more and it is closed
    send_queue_bytes: int = 16 * 1024 * 1024  # the same, in bytes of encoded frames
    max_subscriptions: int = 256  # (channel, topic) pairs per connection
    connections_per_ip: int = 64
    max_connections: int = 10_000
    max_frame_bytes: int = 64 * 1024  # a request frame larger than this is refused (code 1)
    max_inflight_requests: int = 512  # api requests in the sequencer per connection
    max_batch_orders: int = 10  # orders in one spot.order_place array (Gate: 10)
    request_window_s: int = 60  # Gate: request time within 60 s of server time
    close_timeout_s: float = 5.0  # how long a slow consumer's close may take before we let go
    flush_interval_s: float = 0.02  # tick of the interval feeds (20 ms is Gate's fastest)
    secret_cache_entries: int = 10_000  # unsealed API secrets kept in memory

    def __post_init__(self) -> None:
        if self.send_queue_frames < 2 * self.max_inflight_requests + 16:
            raise ValueError("send_queue_frames must hold two frames per in-flight request")


DEFAULT_LIMITS: Final = WsLimits()
