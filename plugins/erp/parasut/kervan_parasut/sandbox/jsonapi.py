"""JSON:API for the sandbox: documents, error documents, request bodies, paging parameters."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

JSONAPI = "application/vnd.api+json"
#: media types Paraşüt takes a body in (../shared/reference/apis-2.md §5.3)
ACCEPTED_BODIES = (JSONAPI, "application/json")
DEFAULT_PAGE_SIZE = 15
MAX_PAGE_SIZE = 25


class ApiProblem(Exception):
    """An error answer: ``status`` with a JSON:API ``errors`` array."""

    def __init__(self, status: int, title: str, detail: str, pointer: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.pointer = status, title, detail, pointer

    def response(self) -> JSONResponse:
        error: dict[str, Any] = {"title": self.title, "detail": self.detail}
        if self.pointer:
            error["source"] = {"pointer": self.pointer}
        return document({"errors": [error]}, self.status)


def document(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=JSONAPI)


def no_content() -> Response:
    return Response(status_code=204)


def invalid(field: str, detail: str) -> ApiProblem:
    """A 422 naming the attribute (``/data/attributes/<field>``)."""
    return ApiProblem(422, "Validation Error", f"{field} {detail}", f"/data/attributes/{field}")


def unauthorized(detail: str) -> JSONResponse:
    return ApiProblem(401, "Unauthorized", detail).response()


async def body_of(request: Request, resource_type: str, *, creating: bool) -> dict[str, Any]:
    """``data`` of a request body, checked as JSON:API: media type, ``type``, no client id."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media not in ACCEPTED_BODIES:
        raise ApiProblem(
            415, "Unsupported Media Type", f"send {JSONAPI} (or application/json), not {media!r}"
        )
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise ApiProblem(400, "Bad Request", "the body is not JSON") from None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise ApiProblem(400, "Bad Request", "a JSON:API body needs a data object", "/data")
    if data.get("type") != resource_type:
        # JSON:API: a type that does not match the endpoint is a conflict
        raise ApiProblem(
            409, "Conflict", f"data.type must be {resource_type!r}, not {data.get('type')!r}"
        )
    if creating and data.get("id") not in (None, ""):
        # JSON:API: client-generated ids are refused with 403 where unsupported
        raise ApiProblem(403, "Forbidden", "ids are given by Paraşüt: leave data.id out")
    attributes = data.get("attributes")
    if attributes is None:
        data["attributes"] = {}
    elif not isinstance(attributes, dict):
        raise ApiProblem(
            400, "Bad Request", "data.attributes must be an object", "/data/attributes"
        )
    return data


def number(attributes: dict[str, Any], field: str, *, required: bool = False) -> Decimal | None:
    """A numeric attribute (a JSON number or a decimal string)."""
    value = attributes.get(field)
    if value is None or value == "":
        if required:
            raise invalid(field, "can't be blank")
        return None
    if isinstance(value, bool):
        raise invalid(field, "is not a number")
    try:
        parsed = Decimal(str(value))
    except InvalidOperation:
        raise invalid(field, "is not a number") from None
    if not parsed.is_finite():
        raise invalid(field, "is not a number")
    return parsed


def text(attributes: dict[str, Any], field: str, *, required: bool = False) -> str | None:
    value = attributes.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise invalid(field, "can't be blank")
        return None
    if not isinstance(value, str | int):
        raise invalid(field, "must be text")
    return str(value)


def related_id(data: dict[str, Any], name: str, resource_type: str) -> str | None:
    """The id of a to-one relationship ``name`` of ``resource_type``, if given."""
    related = ((data.get("relationships") or {}).get(name) or {}).get("data")
    if related is None:
        return None
    if (
        not isinstance(related, dict)
        or related.get("type") != resource_type
        or not related.get("id")
    ):
        raise ApiProblem(
            422,
            "Validation Error",
            f"relationships.{name} must name one {resource_type} by id",
            f"/data/relationships/{name}",
        )
    return str(related["id"])


def page_of(request: Request) -> tuple[int, int]:
    """``page[number]`` (from 1) and ``page[size]`` (default 15, at most 25)."""
    try:
        number_ = int(request.query_params.get("page[number]", "1"))
        size = int(request.query_params.get("page[size]", str(DEFAULT_PAGE_SIZE)))
    except ValueError:
        raise ApiProblem(400, "Bad Request", "page[number] and page[size] are integers") from None
    if number_ < 1 or not 1 <= size <= MAX_PAGE_SIZE:
        raise ApiProblem(
            400, "Bad Request", f"page[number] starts at 1; page[size] is 1 to {MAX_PAGE_SIZE}"
        )
    return number_, size


def filters_of(request: Request, allowed: frozenset[str]) -> dict[str, str]:
    """``filter[x]=v`` parameters; an unknown filter is refused rather than ignored."""
    found: dict[str, str] = {}
    for key, value in request.query_params.items():
        if key.startswith("filter[") and key.endswith("]"):
            name = key[7:-1]
            if name not in allowed:
                raise ApiProblem(
                    400, "Bad Request", f"unknown filter {name!r}; one of {sorted(allowed)}"
                )
            found[name] = value
    return found


def includes_of(request: Request, allowed: frozenset[str]) -> list[str]:
    raw = request.query_params.get("include", "")
    names = [n.strip() for n in raw.split(",") if n.strip()]
    unknown = [n for n in names if n not in allowed]
    if unknown:
        # JSON:API: an include the server cannot honour is a 400
        raise ApiProblem(400, "Bad Request", f"cannot include {', '.join(unknown)}")
    return names
