"""The OpenAPI document tells the truth: every status an operation can answer is listed, in the
error envelope, and how a caller authenticates is said the OpenAPI way.

FastAPI describes a 422 as its own ``HTTPValidationError`` (``{"detail": [...]}``), which Kervan
never sends, and knows nothing of the answers that come from outside a route (the key check,
the body limit, the throttle, the router). Here every operation gets, in the envelope
(``ErrorOut``), the statuses that follow from what it is:

- every operation: 413 (body too large), 429 (throttled, with ``Retry-After``), 500 (a bug);
- one that takes an API key (``x-roles`` not empty): 401 (with ``WWW-Authenticate``), 403 and
  404 (nothing by that id in the tenant, or an ``X-Tenant-Id`` that names no tenant); its key
  is described as the ``bearer`` / ``apiKey`` security schemes instead of two header
  parameters (OpenAPI ignores a header parameter named ``Authorization`` anyway);
- one with a JSON body: 400 (the body is not JSON) and 422 (a value is wrong);
- one with parameters: 422;
- what only some routes can answer (409, 502, 503) comes from the route's ``responses=``: the
  shared dicts below (:data:`EXISTS`, :data:`REMOTE`).

There is no ``4XX``/``5XX`` catch-all: tests/security/test_schemathesis.py fails on any status a
route answers that its operation does not list. A 405 (a method the path does not have) is the
path's answer, not an operation's; docs/api.md describes it and the same test checks it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

REF = "#/components/schemas/{model}"
ENVELOPE = {"$ref": "#/components/schemas/ErrorOut"}
_FASTAPI_ONLY = ("HTTPValidationError", "ValidationError")
#: header parameters FastAPI derives from the key check; the security schemes say it instead
_KEY_HEADERS = {"authorization", "x-api-key"}
SECURITY_SCHEMES: dict[str, Any] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key: `Authorization: Bearer kv_...`",
    },
    "apiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "The same API key in `X-API-Key` (it wins when both are sent)",
    },
}


class ErrorBody(BaseModel):
    code: str = Field(description="short and stable: branch on it (not_found, state_conflict…)")
    message: str = Field(description="for a person; never holds a secret or a submitted value")
    detail: dict[str, Any] | None = Field(
        default=None,
        description="more to say when there is: errors[] (loc, msg) for invalid input; "
        "order_id, action, state for a state conflict; remote, status, request_id for a "
        "remote's failure",
    )


class ErrorOut(BaseModel):
    """Every error answer: ``{"error": {"code", "message", "detail"?}}``."""

    error: ErrorBody


def error_response(description: str) -> dict[str, Any]:
    """For ``responses=`` on a route: an error status in the envelope, with why it happens."""
    return {"model": ErrorOut, "description": description}


#: a route that creates a document under an id the caller chose
EXISTS: dict[int | str, dict[str, Any]] = {
    409: error_response("It already exists: code exists (e.g. the id is taken)")
}
#: a route whose work calls a remote (marketplace, integrator, carrier) through a connector
REMOTE: dict[int | str, dict[str, Any]] = {
    400: error_response(
        "The connector cannot do this: code unsupported (the remote has no such operation), "
        "or another error Kervan does not retry; or the body is not JSON"
    ),
    409: error_response(
        "A state conflict (code state_conflict, detail.state), or the remote says it was "
        "already done (code conflict)"
    ),
    502: error_response(
        "The remote failed the call made on your behalf: code remote_error, auth, "
        "remote_rejected, rate_limited, remote_unavailable or invalid_response; detail may "
        "name remote, status, request_id"
    ),
    503: error_response("Try again later: a retryable error (hold, cas_mismatch)"),
}

_RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before trying again",
        "required": True,
        "schema": {"type": "integer", "minimum": 0},
    }
}
_WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": "always `Bearer`",
        "required": True,
        "schema": {"type": "string"},
    }
}
_EVERY: dict[str, tuple[str, dict[str, Any] | None]] = {
    "413": ("The request body is larger than the server takes (code too_large)", None),
    "429": ("Too many failed API keys from this address: wait Retry-After seconds", _RETRY_AFTER),
    "500": ("A bug: the server log has the trace, the answer nothing of it (code internal)", None),
}
_KEYED: dict[str, tuple[str, dict[str, Any] | None]] = {
    "401": ("No API key, or one that is not valid (code unauthenticated)", _WWW_AUTHENTICATE),
    "403": (
        "The key's roles do not include the operation's x-roles, it names another tenant, or "
        "a platform admin did not name the tenant with X-Tenant-Id (code forbidden)",
        None,
    ),
    "404": (
        "X-Tenant-Id names no tenant, or nothing by that id in the tenant (code not_found)",
        None,
    ),
}
_BODY: dict[str, tuple[str, dict[str, Any] | None]] = {
    "400": ("The body is not JSON, or not sent as application/json (code bad_request)", None),
    "422": ("Invalid input: the wrong fields (never their values)", None),
}
_PARAMETERS = {"422": _BODY["422"]}


def install(app: FastAPI) -> None:
    """Wrap ``app.openapi`` so the document describes the error envelope."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _describe_errors(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _describe_errors(spec: dict[str, Any]) -> dict[str, Any]:
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    model = ErrorOut.model_json_schema(ref_template=REF)
    schemas.update(model.pop("$defs", {}))
    schemas["ErrorOut"] = model
    keyed_any = False
    for item in spec.get("paths", {}).values():
        for op in item.values():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            keyed_any |= _describe_operation(op)
    if keyed_any:
        components["securitySchemes"] = SECURITY_SCHEMES
    if "schemas/HTTPValidationError" not in json.dumps(spec.get("paths", {})):
        for name in _FASTAPI_ONLY:  # no operation names them any more
            schemas.pop(name, None)
    return spec


def _describe_operation(op: dict[str, Any]) -> bool:
    """Add the statuses ``op`` can answer; True when it takes an API key."""
    responses = op["responses"]
    keyed = bool(op.get("x-roles"))
    if keyed:
        params = [p for p in op.get("parameters", []) if not _key_header(p)]
        if params:
            op["parameters"] = params
        else:
            op.pop("parameters", None)
        op["security"] = [{"bearer": []}, {"apiKey": []}]
    if "422" in responses:  # FastAPI's own, in its own shape
        responses["422"] = _envelope(*_BODY["422"])
    wanted = dict(_EVERY)
    if keyed:
        wanted |= _KEYED
    if op.get("parameters"):
        wanted |= _PARAMETERS
    if "requestBody" in op:
        wanted |= _BODY
    for status, (description, headers) in wanted.items():
        if status not in responses:
            responses[status] = _envelope(description, headers)
    op["responses"] = dict(sorted(responses.items()))
    return keyed


def _key_header(param: dict[str, Any]) -> bool:
    return param.get("in") == "header" and str(param.get("name", "")).lower() in _KEY_HEADERS


def _envelope(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": ENVELOPE}},
    }
    if headers:
        out["headers"] = headers
    return out
