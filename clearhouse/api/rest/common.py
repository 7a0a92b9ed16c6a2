"""Small helpers the REST modules share: paging, time filters, the venue clock, client text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Final, TypeVar

from clearhouse.api.endpoint import Call
from clearhouse.api.errors import INVALID_PARAM_VALUE, ApiError
from clearhouse.core.state import State
from clearhouse.projections import Projections

T = TypeVar("T")

DEFAULT_ORDER_TEXT: Final = "apiv4"  # what Gate records for an API order without a text
_CLIENT_TEXT = re.compile(r"^t-[0-9A-Za-z_.-]{1,28}$")
NS_PER_S: Final = 1_000_000_000


def page(items: Iterable[T], page_number: int, limit: int) -> list[T]:
    start = (page_number - 1) * limit
    return list(islice(items, start, start + limit))


def window(items: Iterator[T], offset: int, limit: int) -> list[T]:
    return list(islice(items, offset, offset + limit))


def in_time_range(time_ns: int, from_s: int | None, to_s: int | None) -> bool:
    if from_s is not None and time_ns < from_s * NS_PER_S:
        return False
    return not (to_s is not None and time_ns >= (to_s + 1) * NS_PER_S)


def client_text(text: str | None) -> str:
    """Gate's rule for a client order id: `t-` and up to 28 of [0-9A-Za-z_.-]."""
    if text is None or text == "":
        return DEFAULT_ORDER_TEXT
    if not _CLIENT_TEXT.match(text):
        raise ApiError(INVALID_PARAM_VALUE, "text must be t- followed by 1-28 of 0-9 A-Z a-z _ . -")
    return text


def state_of(call: Call) -> State:
    return call.runtime.venue.engine.state


def projections_of(call: Call) -> Projections:
    return call.runtime.projections


def venue_now_ns(call: Call) -> int:
    """The venue's clock (simulated in demo mode), never behind the last command's time."""
    return max(call.runtime.venue.clock(), state_of(call).time_ns)
