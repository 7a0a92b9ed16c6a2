"""The OpenAPI 3.1 document, generated from the endpoint declarations and their msgspec shapes.

Served at /api/v4/openapi.json. Because request validation and response encoding use the very
types the schemas come from, the document describes what the server actually does.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from clearhouse.api.endpoint import Endpoint
from clearhouse.api.errors import ERROR_STATUSES, ErrorBody

OPENAPI_PATH: Final = "/api/v4/openapi.json"
REF_TEMPLATE: Final = "#/components/schemas/{name}"

_ERROR_TEXT: Final = {
    400: "Invalid request (INVALID_PARAM_VALUE, MISSING_REQUIRED_PARAM, BALANCE_NOT_ENOUGH, ...)",
    401: "Authentication failed (INVALID_KEY, INVALID_SIGNATURE, REQUEST_EXPIRED, ...)",
    403: "Forbidden (FORBIDDEN: permission, IP allow-list, admin API disabled)",
    404: "Not found (ORDER_NOT_FOUND, USER_NOT_FOUND, NOT_FOUND)",
    413: "Request body too large (REQUEST_TOO_LARGE)",
    415: "Request body is not JSON (INVALID_CONTENT_TYPE)",
    429: "Rate limited (TOO_MANY_REQUESTS)",
    500: "Internal error (SERVER_ERROR)",
    503: "Busy or stopped (TOO_BUSY, SERVER_ERROR)",
}

_RATE_HEADERS: Final = {
    "X-Gate-RateLimit-Requests-Remain": {"schema": {"type": "string"}},
    "X-Gate-RateLimit-Limit": {"schema": {"type": "string"}},
    "X-Gate-RateLimit-Reset-Timestamp": {"schema": {"type": "string"}},
}


def _drop_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional query parameter is absent, never null: keep the non-null branch."""
    options = schema.get("anyOf")
    if options:
        kept = [o for o in options if o != {"type": "null"}]
        if len(kept) == 1:
            rest = {k: v for k, v in schema.items() if k != "anyOf"}
            return {**kept[0], **{k: v for k, v in rest.items() if k != "default" or v is not None}}
    return schema


def _parameters(shape: Any, where: str, components: dict[str, Any]) -> list[dict[str, Any]]:
    if shape is None:
        return []
    (ref,), found = msgspec.json.schema_components([shape], ref_template=REF_TEMPLATE)
    name = ref["$ref"].rsplit("/", 1)[-1]
    schema = found.pop(name)
    components.update(found)
    required = set(schema.get("required", ()))
    out = []
    for prop, prop_schema in schema.get("properties", {}).items():
        cleaned = _drop_null(prop_schema)
        if "default" in cleaned and cleaned["default"] is None:
            cleaned = {k: v for k, v in cleaned.items() if k != "default"}
        param: dict[str, Any] = {
            "name": prop,
            "in": where,
            "required": where == "path" or prop in required,
            "schema": cleaned,
        }
        if "description" in cleaned:
            param["description"] = cleaned["description"]
        out.append(param)
    return out


def _operation(endpoint: Endpoint, components: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": f"{endpoint.method.lower()}_{endpoint.path}".replace("/", "_")
        .replace("{", "")
        .replace("}", ""),
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "parameters": _parameters(endpoint.path_params, "path", components)
        + _parameters(endpoint.query, "query", components),
    }
    if endpoint.description:
        operation["description"] = endpoint.description
    if endpoint.access == "signed":
        operation["security"] = [{"gate_key": [], "gate_timestamp": [], "gate_sign": []}]
    elif endpoint.access == "admin":
        operation["security"] = [{"admin_token": []}]
    if endpoint.body is not None:
        (body_schema,), found = msgspec.json.schema_components(
            [endpoint.body], ref_template=REF_TEMPLATE
        )
        components.update(found)
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body_schema}},
        }
    responses: dict[str, Any] = {}
    if endpoint.response is not None:
        (schema,), found = msgspec.json.schema_components(
            [endpoint.response], ref_template=REF_TEMPLATE
        )
        components.update(found)
        responses[str(endpoint.status)] = {
            "description": "OK",
            "headers": _RATE_HEADERS,
            "content": {"application/json": {"schema": schema}},
        }
    error_ref = {"$ref": REF_TEMPLATE.format(name="ErrorBody")}
    for status in ERROR_STATUSES:
        responses[str(status)] = {
            "description": _ERROR_TEXT[status],
            "content": {"application/json": {"schema": error_ref}},
        }
    operation["responses"] = responses
    return operation


def document(endpoints: list[Endpoint], title: str = "Clearhouse") -> dict[str, Any]:
    (_,), components = msgspec.json.schema_components([ErrorBody], ref_template=REF_TEMPLATE)
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(
            endpoint, components
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{title} API",
            "version": "4",
            "description": (
                "Gate API v4-compatible REST under /api/v4 (spot, wallet, account) and the "
                "operator API under /api/ch/v1/admin. Signed endpoints use Gate's HMAC-SHA512 "
                "scheme: SIGN = hex(HMAC-SHA512(secret, METHOD\\n/api/v4/path\\nquery\\n"
                "hex(SHA512(body))\\ntimestamp)) with headers KEY, Timestamp, SIGN."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "gate_key": {"type": "apiKey", "in": "header", "name": "KEY"},
                "gate_timestamp": {"type": "apiKey", "in": "header", "name": "Timestamp"},
                "gate_sign": {"type": "apiKey", "in": "header", "name": "SIGN"},
                "admin_token": {"type": "http", "scheme": "bearer"},
            },
        },
    }
