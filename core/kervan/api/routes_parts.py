"""Exchanges, missing parts and return codes (``/v1/part-shipments``, ``/v1/returns/{id}/return-code``).

A part shipment sends goods to a buyer without a new sale: the replacement of a returned item
(``exchange``, linked to its claim) or a part missing from a delivered order
(``missing_part``). One request books the tenant's carrier, sends the transport-only
e-İrsaliye through the integrator and takes the units off the warehouse
(:mod:`kervan.claims.parts`); the same ``request_id`` again gives the same shipment. Its label
and e-İrsaliye are served for the station's printer. A return code is what the buyer gives a
carrier's branch to send a return back unpaid.

Open to the returns clerk and the tenant admin, like the rest of the returns desk.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ..claims.parts import DESPATCH, PartShipment, part_key
from ..documents import Documents, xml_key
from ..domain import DespatchAdvice
from ..errors import InvalidInputError, KervanError, NotFoundError
from .auth import caller, endpoint
from .loop import on_engine_loop
from .openapi import REMOTE
from .routes_returns import RETURNS, _actor, _out, _returns
from .schemas_returns import ClaimOut

router = APIRouter()

FILES = {"zpl": "application/zpl", "pdf": "application/pdf"}


class PartShipmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: str = Field(min_length=1, description="the order the goods belong to")
    kind: Literal["exchange", "missing_part"] = Field(
        description="exchange: a replacement for a returned item (name its claim_id); "
        "missing_part: a part missing from a delivered order"
    )
    lines: dict[str, int] = Field(
        min_length=1, description="order line id → units sent (at most what was sold)"
    )
    request_id: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="the client's id for this shipment: the same id again is the same shipment",
    )
    claim_id: str | None = Field(default=None, description="the return it settles, if any")
    warehouse: str = Field(default="main", min_length=1, max_length=64)
    note: str | None = Field(default=None, max_length=200, description="printed on the e-İrsaliye")


class PartShipmentOut(BaseModel):
    shipment: PartShipment
    error: dict[str, Any] | None = Field(
        default=None, description="a step that failed in this request (the shipment stands)"
    )


class ReturnCodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    connection_id: str | None = Field(
        default=None, description="the carrier connection (default: the tenant's carrier)"
    )


@endpoint(
    router,
    "post",
    "/part-shipments",
    RETURNS,
    response_model=PartShipmentOut,
    status_code=201,
    responses=REMOTE,
)
async def ship_part(request: Request, body: PartShipmentIn) -> dict[str, Any]:
    """Book the carrier, send the transport-only e-İrsaliye and take the units off the
    warehouse, in this request. A step that fails is on the shipment's timeline and in
    ``error``; sending the same ``request_id`` again resumes it."""
    c = caller(request)
    parts = _returns(request).parts
    try:
        part = await on_engine_loop(
            request,
            parts.ship(
                c.tenant,
                body.order_id,
                kind=body.kind,
                lines=body.lines,
                request_id=body.request_id,
                by=_actor(c),
                claim_id=body.claim_id,
                warehouse=body.warehouse,
                note=body.note,
            ),
        )
    except InvalidInputError:
        raise  # nothing was shipped: the request itself is wrong
    except KervanError as exc:
        try:
            part = parts.get(c.tenant, part_key(body.order_id, body.request_id))
        except NotFoundError:
            raise exc from None
        error = {"code": exc.code, "message": exc.message, "retryable": exc.retryable}
        return {"shipment": part.model_dump(mode="json"), "error": error}
    return {"shipment": part.model_dump(mode="json"), "error": None}


@endpoint(
    router,
    "get",
    "/orders/{order_id}/part-shipments",
    RETURNS,
    response_model=list[PartShipment],
)
def list_parts(request: Request, order_id: str) -> list[dict[str, Any]]:
    """The exchanges and missing-part shipments of an order, with their timelines."""
    parts = _returns(request).parts.for_order(caller(request).tenant, order_id)
    return [p.model_dump(mode="json") for p in parts]


def _part(request: Request, order_id: str, request_id: str) -> PartShipment:
    return _returns(request).parts.get(caller(request).tenant, part_key(order_id, request_id))


@endpoint(
    router,
    "get",
    "/orders/{order_id}/part-shipments/{request_id}/label.{fmt}",
    RETURNS,
    response_class=Response,
)
async def part_label(request: Request, order_id: str, request_id: str, fmt: str) -> Response:
    """The part shipment's label to print (``.pdf`` or ``.zpl``)."""
    # its PDF is drawn by the carrier connection the first time it is asked for, then kept
    if fmt not in FILES:
        raise NotFoundError(f"no .{fmt} label: ask for .pdf or .zpl")
    part = _part(request, order_id, request_id)
    name = f"{part.cargo_key}.{fmt}"
    documents: Documents = request.app.state.documents
    found = documents.part_label(
        caller(request).tenant,
        part.key,
        part.carrier_connection,
        fmt,
        f"part shipment {request_id}",
    )
    data = await on_engine_loop(request, found)
    return Response(data, media_type=FILES[fmt], headers=_inline(name))


@endpoint(
    router,
    "get",
    "/orders/{order_id}/part-shipments/{request_id}/despatch.{fmt}",
    RETURNS,
    response_class=Response,
)
def part_despatch(request: Request, order_id: str, request_id: str, fmt: str) -> Response:
    """The shipment's e-İrsaliye: ``.xml`` (the UBL-TR sent to GİB) or ``.pdf`` (printed)."""
    part = _part(request, order_id, request_id)
    ts = request.app.state.runtime.store.tenant(caller(request).tenant)
    doc = ts.get(DESPATCH, part.despatch_id or "")
    if doc is None:
        raise NotFoundError(f"part shipment {request_id} has no e-İrsaliye yet")
    despatch = DespatchAdvice.model_validate(doc.body)
    if fmt == "xml":
        blob = ts.get_blob(xml_key(despatch.uuid))
        if blob is None:
            raise NotFoundError(f"e-İrsaliye {despatch.number}: its XML is not kept")
        return Response(
            blob[0], media_type="application/xml", headers=_inline(f"{despatch.number}.xml")
        )
    if fmt != "pdf":
        raise NotFoundError(f"no .{fmt} e-İrsaliye: ask for .xml or .pdf")
    pdf = _returns(request).parts.render_despatch(caller(request).tenant, despatch)
    return Response(pdf, media_type="application/pdf", headers=_inline(f"{despatch.number}.pdf"))


@endpoint(
    router,
    "post",
    "/returns/{claim_id}/return-code",
    RETURNS,
    response_model=ClaimOut,
    responses=REMOTE,
)
async def return_code(request: Request, claim_id: str, body: ReturnCodeIn) -> dict[str, Any]:
    """Ask the carrier for a return code the buyer gives at a branch to send the goods back
    unpaid; asked again, the same code. The code is then scannable at the desk, and the
    parcel's movements show on the claim with every carrier poll."""
    c = caller(request)
    rec = await on_engine_loop(
        request,
        _returns(request).book_return_code(
            c.tenant, claim_id, by=_actor(c), connection_id=body.connection_id
        ),
    )
    return _out(rec)


def _inline(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'inline; filename="{name}"'}
