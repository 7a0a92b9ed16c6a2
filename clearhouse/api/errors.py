"""Errors on the wire: `{"label": ..., "message": ...}` with Gate v4's labels and HTTP statuses.

The engine rejects with Gate labels already (`core.errors`); the gateway adds its own for
authentication, rate limits and malformed requests. ccxt maps labels to its typed exceptions
from any host, so the label is the contract; the status follows Gate's usage.
"""

from __future__ import annotations

from typing import Final

import msgspec
from starlette.responses import Response

from clearhouse.core.errors import Rejected

# Gateway labels (Gate v4 names).
INVALID_KEY: Final = "INVALID_KEY"
INVALID_SIGNATURE: Final = "INVALID_SIGNATURE"
REQUEST_EXPIRED: Final = "REQUEST_EXPIRED"
MISSING_REQUIRED_HEADER: Final = "MISSING_REQUIRED_HEADER"
INVALID_CREDENTIALS: Final = "INVALID_CREDENTIALS"
FORBIDDEN: Final = "FORBIDDEN"
TOO_MANY_REQUESTS: Final = "TOO_MANY_REQUESTS"
INVALID_PARAM_VALUE: Final = "INVALID_PARAM_VALUE"
MISSING_REQUIRED_PARAM: Final = "MISSING_REQUIRED_PARAM"
INVALID_REQUEST_BODY: Final = "INVALID_REQUEST_BODY"
INVALID_CONTENT_TYPE: Final = "INVALID_CONTENT_TYPE"
REQUEST_TOO_LARGE: Final = "REQUEST_TOO_LARGE"
NOT_FOUND: Final = "NOT_FOUND"
METHOD_NOT_ALLOWED: Final = "METHOD_NOT_ALLOWED"
TOO_BUSY: Final = "TOO_BUSY"
SERVER_ERROR: Final = "SERVER_ERROR"

_STATUS_BY_LABEL: Final[dict[str, int]] = {
    INVALID_KEY: 401,
    INVALID_SIGNATURE: 401,
    REQUEST_EXPIRED: 401,
    MISSING_REQUIRED_HEADER: 401,
    INVALID_CREDENTIALS: 401,
    FORBIDDEN: 403,
    "ACCOUNT_LOCKED": 403,
    "SANCTIONS_BLOCKED": 403,
    "SANCTIONS_REVIEW": 403,
    "ADDRESS_SANCTIONED": 403,
    "KYC_REQUIRED": 403,
    "JURISDICTION_BLOCKED": 403,
    "JURISDICTION_RESTRICTED": 403,
    "STEP_UP_REQUIRED": 403,
    NOT_FOUND: 404,
    "ORDER_NOT_FOUND": 404,
    "USER_NOT_FOUND": 404,
    "SUB_ACCOUNT_NOT_FOUND": 404,
    METHOD_NOT_ALLOWED: 405,
    REQUEST_TOO_LARGE: 413,
    INVALID_CONTENT_TYPE: 415,
    TOO_MANY_REQUESTS: 429,
    SERVER_ERROR: 500,
    TOO_BUSY: 503,
}

# Every status an error response can carry (the OpenAPI document lists them).
ERROR_STATUSES: Final = (400, 401, 403, 404, 413, 415, 429, 500, 503)


class ErrorBody(msgspec.Struct):
    label: str
    message: str


class ApiError(Exception):
    """A request refused by the gateway or the engine."""

    def __init__(self, label: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{label}: {message}")
        self.label = label
        self.message = message
        self.status = status if status is not None else status_for(label)


def status_for(label: str) -> int:
    return _STATUS_BY_LABEL.get(label, 400)


def from_rejected(rejected: Rejected) -> ApiError:
    return ApiError(rejected.label, rejected.message)


_encoder = msgspec.json.Encoder()


def error_response(error: ApiError, headers: dict[str, str] | None = None) -> Response:
    return Response(
        _encoder.encode(ErrorBody(error.label, error.message)),
        status_code=error.status,
        headers=headers,
        media_type="application/json",
    )
