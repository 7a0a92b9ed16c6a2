"""Request parameters: query strings, path parameters and JSON bodies into typed values.

Unknown parameters, repeated parameters and values of the wrong shape are refused with Gate's
labels before anything is submitted: `MISSING_REQUIRED_PARAM` for an absent required one,
`INVALID_PARAM_VALUE` for the rest, `INVALID_REQUEST_BODY` for a body that is not JSON.
"""

from __future__ import annotations

import re
from typing import Any, Final
from urllib.parse import parse_qsl

import msgspec

from clearhouse.api.errors import (
    INVALID_PARAM_VALUE,
    INVALID_REQUEST_BODY,
    MISSING_REQUIRED_PARAM,
    ApiError,
)

MAX_QUERY_PARAMS: Final = 32
MAX_CACHED_DECODERS: Final = 1_024  # body shapes are the endpoints' declared types: a few dozen
_MISSING = re.compile(r"Object missing required field `([^`]+)`(?: - at `\$(.*)`)?")


def _validation_error(exc: msgspec.ValidationError, where: str) -> ApiError:
    text = str(exc)
    missing = _MISSING.match(text)
    if missing:
        name = missing.group(1)
        inner = (missing.group(2) or "").lstrip(".")
        full = f"{inner}.{name}" if inner else name
        return ApiError(MISSING_REQUIRED_PARAM, f"missing required parameter: {full}")
    return ApiError(INVALID_PARAM_VALUE, f"invalid {where}: {text}")


def query_values(raw_query: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(raw_query, keep_blank_values=True, max_num_fields=MAX_QUERY_PARAMS)
    except ValueError as exc:
        raise ApiError(INVALID_PARAM_VALUE, f"at most {MAX_QUERY_PARAMS} parameters") from exc
    values: dict[str, str] = {}
    for name, value in pairs:
        if name in values:
            raise ApiError(INVALID_PARAM_VALUE, f"parameter {name!r} given more than once")
        values[name] = value
    return values


def parse_query(raw_query: str, shape: Any) -> Any:
    values = query_values(raw_query)
    if shape is None:
        if values:
            raise ApiError(INVALID_PARAM_VALUE, f"unknown parameter: {next(iter(values))}")
        return None
    try:
        return msgspec.convert(values, shape, strict=False)
    except msgspec.ValidationError as exc:
        raise _validation_error(exc, "query parameter") from exc


def parse_query_and_body(raw_query: str, body: bytes, shape: Any) -> Any:
    """Parameters that may come in the query, the JSON body, or both (Gate's amend, which ccxt
    sends in both places); a name given in both must have the same value."""
    values: dict[str, Any] = dict(query_values(raw_query))
    if body.strip():
        try:
            decoded = msgspec.json.decode(body)
        except msgspec.DecodeError as exc:
            raise ApiError(INVALID_REQUEST_BODY, f"request body is not valid JSON: {exc}") from exc
        if not isinstance(decoded, dict):
            raise ApiError(INVALID_REQUEST_BODY, "request body must be a JSON object")
        for name, value in decoded.items():
            if name in values and values[name] != value:
                raise ApiError(INVALID_PARAM_VALUE, f"{name!r} differs between query and body")
            values[name] = value
    try:
        return msgspec.convert(values, shape, strict=False)
    except msgspec.ValidationError as exc:
        raise _validation_error(exc, "parameter") from exc


def parse_path(values: dict[str, Any], shape: Any) -> Any:
    if shape is None:
        return None
    try:
        return msgspec.convert(values, shape, strict=False)
    except msgspec.ValidationError as exc:
        raise _validation_error(exc, "path parameter") from exc


_decoders: dict[Any, msgspec.json.Decoder[Any]] = {}


def _decoder(shape: Any) -> msgspec.json.Decoder[Any]:
    """A decoder per body shape, built once: msgspec caches what it learns about a Struct type,
    but not about a union or a list, which it would otherwise work out again for every body."""
    decoder = _decoders.get(shape)
    if decoder is None:
        if len(_decoders) >= MAX_CACHED_DECODERS:
            _decoders.clear()
        decoder = _decoders[shape] = msgspec.json.Decoder(shape)
    return decoder


def parse_body(body: bytes, shape: Any) -> Any:
    if shape is None:
        if body.strip():
            raise ApiError(INVALID_REQUEST_BODY, "this endpoint takes no request body")
        return None
    if not body.strip():
        if not (isinstance(shape, type) and issubclass(shape, msgspec.Struct)):
            raise ApiError(INVALID_REQUEST_BODY, "a JSON request body is required")
        body = b"{}"  # an object whose fields all have defaults may be left out
    try:
        return _decoder(shape).decode(body)
    except msgspec.ValidationError as exc:
        raise _validation_error(exc, "request body") from exc
    except msgspec.DecodeError as exc:
        raise ApiError(INVALID_REQUEST_BODY, f"request body is not valid JSON: {exc}") from exc
