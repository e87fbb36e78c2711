"""The OpenAPI document tells the truth about errors.

FastAPI describes a 422 as its own ``HTTPValidationError`` (``{"detail": [...]}``), which Kervan
never sends. Here every operation's 422 becomes the error envelope, and ``4XX``/``5XX`` say that
any other error comes in the same envelope (docs/api.md lists the codes), so a client
generated from the spec parses errors right.
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


def install(app: FastAPI) -> None:
    """Wrap ``app.openapi`` so the document describes the error envelope."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _describe_errors(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _describe_errors(spec: dict[str, Any]) -> dict[str, Any]:
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    model = ErrorOut.model_json_schema(ref_template=REF)
    schemas.update(model.pop("$defs", {}))
    schemas["ErrorOut"] = model
    for item in spec.get("paths", {}).values():
        for op in item.values():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            responses = op["responses"]
            if "422" in responses:
                responses["422"] = _envelope("Invalid input: the wrong fields (never their values)")
            responses.setdefault("4XX", _envelope("Any other client error, in the envelope"))
            responses.setdefault("5XX", _envelope("A server or remote error, in the envelope"))
    if "schemas/HTTPValidationError" not in json.dumps(spec.get("paths", {})):
        for name in _FASTAPI_ONLY:  # no operation names them any more
            schemas.pop(name, None)
    return spec


def _envelope(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ENVELOPE}}}
