"""Orders (with timelines), documents (the invoice list, XML/PDF/HTML), shipments and labels,
stock, and dead letters with replay.

Files come from the documents service (``kervan.documents``): routes never build a blob key
or look up a connector. Timelines go out in time order."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from ..documents import DocumentFile, Documents
from ..domain import DocumentKind, DocumentStatus, Invoice, OrderState, Shipment
from ..engine import amounts
from ..engine.amounts import Choice
from ..engine.records import INVOICE, ORDER, SHIPMENT, OrderRecord, sortable
from ..errors import NotFoundError
from ..jobs import deadletters
from ..store.port import Query as StoreQuery
from .auth import FLOOR, OFFICE, caller, endpoint
from .loop import on_engine_loop
from .openapi import REMOTE, error_response
from .schemas import (
    MAX_OFFSET,
    Absent,
    DeadLetterOut,
    DocumentRow,
    OrderRow,
    OrderStateOut,
    ReplayOut,
    SplitOut,
    StockOut,
    refuse_null,
)

router = APIRouter()
MAX_PAGE = 500
#: an action the order's state does not allow (engine/actions.py says which)
STATE_CONFLICT: dict[int | str, dict[str, Any]] = REMOTE | {
    409: error_response(
        "The order's state does not allow this action: code state_conflict, the reason in "
        "message, detail.state where the order stands; or the remote says it was already "
        "done (code conflict)"
    )
}
#: replaying work needs a job runner in this process
NO_RUNNER: dict[int | str, dict[str, Any]] = {
    503: error_response("This process runs no jobs (start it with kervan serve): code unavailable")
}


def _ts(request: Request) -> Any:
    rt = request.app.state.runtime
    return rt.store.tenant(caller(request).tenant)


def _row(rec: OrderRecord) -> dict[str, Any]:
    o = rec.order
    return {
        "id": o.id,
        "order_number": o.order_number,
        "package_id": o.package_id,
        "connection_id": o.connection_id,
        "state": o.state,
        "buyer": o.buyer.display_name,
        "total": str(o.total),
        "currency": o.currency,
        "ordered_at": o.ordered_at,
        "hold_reason": o.hold_reason,
        "waiting_for": rec.waiting_for,
        "due_at": rec.due_at,
        "last_error": rec.last_error,
        "invoice_id": rec.invoice_id,
        "invoice_kind": rec.invoice_kind,
        "invoice_status": rec.invoice_status,
        "shipment_id": rec.shipment_id,
    }


@endpoint(router, "get", "/orders", FLOOR, response_model=list[OrderRow])
def list_orders(
    request: Request,
    state: OrderState | None = None,
    connection_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> list[dict[str, Any]]:
    where: dict[str, Any] = {}
    if state is not None:
        where["state"] = state.value
    if connection_id is not None:
        where["connection_id"] = connection_id
    rng = None
    if since or until:
        rng = ("ordered_at", sortable(since) if since else None, sortable(until) if until else None)
    docs = _ts(request).query(StoreQuery(ORDER, where, rng, "-ordered_at", limit, offset))
    return [_row(OrderRecord.from_body(d.body)) for d in docs]


def _record(request: Request, order_id: str) -> OrderRecord:
    doc = _ts(request).get(ORDER, order_id)
    if doc is None:
        raise NotFoundError(f"order {order_id!r} not found")
    return OrderRecord.from_body(doc.body)


class _Timed(Protocol):
    @property
    def at(self) -> datetime: ...


T = TypeVar("T", bound=_Timed)


def chronological(entries: Sequence[T]) -> list[T]:
    """Entries oldest first; entries with the same time keep the order they were written in
    (the store keeps them in the order they happened to be recorded, which need not be time
    order: a remote's event time, a retried step)."""
    return sorted(entries, key=lambda e: _utc(e.at))


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


@endpoint(router, "get", "/orders/{order_id}", FLOOR, response_model=OrderRecord)
def get_order(request: Request, order_id: str) -> OrderRecord:
    """The order with its timeline, oldest entry first: each step, its outcome, remote
    request id, and who did it."""
    rec = _record(request, order_id)
    rec.order.timeline = chronological(rec.order.timeline)
    return rec


@endpoint(
    router,
    "post",
    "/orders/{order_id}/cancel",
    OFFICE,
    response_model=OrderStateOut,
    responses=STATE_CONFLICT,
)
async def cancel_order(request: Request, order_id: str) -> dict[str, Any]:
    _record(request, order_id)
    c = caller(request)
    engine = request.app.state.runtime.engine
    state = await on_engine_loop(
        request, engine.cancel(c.tenant, order_id, f"user:{c.principal.user_id}")
    )
    return {"id": order_id, "state": state}


class SplitIn(BaseModel):
    """Either ``groups`` (whole lines) or ``parcels`` (by quantity), not both."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"oneOf": [{"required": ["groups"]}, {"required": ["parcels"]}]},
    )
    groups: Annotated[list[list[str]], Field(min_length=2)] | Absent = Field(
        default=None, description="line ids per new package"
    )
    parcels: Annotated[list[dict[str, int]], Field(min_length=2)] | Absent = Field(
        default=None,
        description="line id → quantity per new package: one line's units may travel in "
        "several; each line's quantities must add up to its own (Trendyol: split-packages)",
    )

    @model_validator(mode="after")
    def _one_of(self) -> SplitIn:
        refuse_null(self, "groups", "parcels")
        if (self.groups is None) == (self.parcels is None):
            raise ValueError("give either groups (line ids) or parcels (line id → quantity)")
        return self


@endpoint(
    router,
    "post",
    "/orders/{order_id}/split",
    OFFICE,
    response_model=SplitOut,
    responses=STATE_CONFLICT,
)
async def split_order(request: Request, order_id: str, body: SplitIn) -> dict[str, Any]:
    """Split a package (before invoicing). The marketplace creates the new packages; they and
    the original (then superseded and closed) arrive with the next poll."""
    _record(request, order_id)
    c = caller(request)
    engine = request.app.state.runtime.engine
    ref = await on_engine_loop(
        request,
        engine.split(
            c.tenant, order_id, body.groups, f"user:{c.principal.user_id}", parcels=body.parcels
        ),
    )
    return {"id": order_id, "requested": True, "request_id": ref.request_id}


@endpoint(
    router,
    "post",
    "/orders/{order_id}/retry",
    OFFICE,
    response_model=OrderStateOut,
    responses=STATE_CONFLICT,
)
async def retry_order(request: Request, order_id: str) -> dict[str, Any]:
    """Resume a failed order where it stopped (after fixing what its last error names)."""
    _record(request, order_id)
    c = caller(request)
    engine = request.app.state.runtime.engine
    state = await on_engine_loop(
        request, engine.retry(c.tenant, order_id, f"user:{c.principal.user_id}")
    )
    return {"id": order_id, "state": state}


class ResolveAmountsIn(BaseModel):
    """A person's decision on an order held because its lines and what the marketplace says
    the buyer paid differ."""

    model_config = ConfigDict(extra="forbid")
    invoice: Choice = Field(
        description="paid: invoice what the marketplace says the buyer paid (the difference is "
        "spread over the lines as seller discount, to the kuruş); lines: the lines are right, "
        "invoice them as they are"
    )
    note: str = Field(
        min_length=1, max_length=500, description="why (kept on the order's timeline)"
    )


@endpoint(
    router,
    "post",
    "/orders/{order_id}/resolve-amounts",
    OFFICE,
    response_model=OrderStateOut,
    responses=STATE_CONFLICT,
)
async def resolve_amounts(
    request: Request, order_id: str, body: ResolveAmountsIn
) -> dict[str, Any]:
    """Resolve an amounts hold: the decision, who made it, when and for which two figures is
    recorded (``resolutions.amounts`` and a timeline entry) and the order resumes where it
    stopped. 409 unless the order is held for its amounts; 422 when ``paid`` cannot be spread
    over the lines."""
    _record(request, order_id)
    c = caller(request)
    engine = request.app.state.runtime.engine
    state = await on_engine_loop(
        request,
        amounts.resolve_order(
            engine, c.tenant, order_id, body.invoice, body.note, f"user:{c.principal.user_id}"
        ),
    )
    return {"id": order_id, "state": state}


@endpoint(
    router,
    "post",
    "/orders/{order_id}/approve",
    OFFICE,
    response_model=OrderStateOut,
    responses=STATE_CONFLICT,
)
async def approve_order(request: Request, order_id: str) -> dict[str, Any]:
    """Approve an order (tenants without auto-approve): it is accepted at the marketplace,
    packaged and booked."""
    _record(request, order_id)
    c = caller(request)
    engine = request.app.state.runtime.engine
    state = await on_engine_loop(
        request, engine.approve(c.tenant, order_id, f"user:{c.principal.user_id}")
    )
    return {"id": order_id, "state": state}


@endpoint(
    router,
    "post",
    "/orders/{order_id}/advance",
    OFFICE,
    response_model=OrderStateOut,
    responses=REMOTE,
)
async def advance_order(request: Request, order_id: str) -> dict[str, Any]:
    """Run whatever is due for the order now (e.g. after fixing data or restocking)."""
    _record(request, order_id)
    engine = request.app.state.runtime.engine
    state = await on_engine_loop(request, engine.advance(caller(request).tenant, order_id))
    return {"id": order_id, "state": state}


@endpoint(router, "get", "/documents", OFFICE, response_model=list[DocumentRow])
def list_documents(
    request: Request,
    kind: DocumentKind | None = None,
    status: DocumentStatus | None = None,
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> list[dict[str, Any]]:
    where = {k: v.value for k, v in (("kind", kind), ("status", status)) if v is not None}
    docs = _ts(request).query(StoreQuery(INVOICE, where, None, "-number", limit, offset))
    return [
        {
            "id": d.key,
            "number": d.body["number"],
            "kind": d.body["kind"],
            "profile": d.body["profile"],
            "type_code": d.body["type_code"],
            "status": d.body["status"],
            "order_id": d.body.get("order_id"),
            "issued_at": d.body["issued_at"],
            "uuid": d.body["uuid"],
            "payable": d.body["totals"]["payable"],
        }
        for d in docs
    ]


def _documents(request: Request) -> Documents:
    found: Documents = request.app.state.documents
    return found


def _file(found: DocumentFile) -> Response:
    headers = {"Content-Disposition": f'{found.disposition}; filename="{found.filename}"'}
    if found.media_type.startswith("text/html"):
        # a remote's HTML never runs as this API's page: no scripts, no same-origin access
        headers |= {"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"}
    return Response(found.data, media_type=found.media_type, headers=headers)


@endpoint(router, "get", "/documents/{doc_id}", (*OFFICE,), response_model=Invoice)
def get_document(request: Request, doc_id: str) -> Invoice:
    return _documents(request).invoice(caller(request).tenant, doc_id)


@endpoint(router, "get", "/documents/{doc_id}/xml", FLOOR, response_class=Response)
def document_xml(request: Request, doc_id: str) -> Response:
    """The UBL-TR XML as issued (404 before the invoice is issued)."""
    return _file(_documents(request).xml(caller(request).tenant, doc_id))


@endpoint(
    router,
    "get",
    "/documents/{doc_id}/pdf",
    FLOOR,
    response_class=Response,
    responses=REMOTE,
)
async def document_pdf(request: Request, doc_id: str) -> Response:
    """The integrator's PDF once the document is submitted (fetched once and kept); before
    that, or when the integrator cannot give it, a local rendering by the default issuer."""
    tenant = caller(request).tenant
    return _file(await on_engine_loop(request, _documents(request).pdf(tenant, doc_id)))


@endpoint(
    router,
    "get",
    "/documents/{doc_id}/html",
    FLOOR,
    response_class=Response,
    responses=REMOTE,
)
async def document_html(request: Request, doc_id: str) -> Response:
    """The integrator's HTML rendering of a submitted document (fetched once and kept)."""
    tenant = caller(request).tenant
    return _file(await on_engine_loop(request, _documents(request).html(tenant, doc_id)))


@endpoint(router, "get", "/shipments", FLOOR, response_model=list[Shipment])
def list_shipments(
    request: Request,
    status: str | None = None,
    order_id: str | None = None,
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> list[dict[str, Any]]:
    where = {k: v for k, v in (("status", status), ("order_id", order_id)) if v is not None}
    docs = _ts(request).query(StoreQuery(SHIPMENT, where, None, None, limit, offset))
    shipments = [Shipment.model_validate(d.body) for d in docs]
    return [
        s.model_copy(update={"events": chronological(s.events)}).model_dump(mode="json")
        for s in shipments
    ]


@endpoint(
    router,
    "get",
    "/shipments/{shipment_id}/label.{fmt}",
    FLOOR,
    response_class=Response,
    responses=REMOTE,
)
async def shipment_label(request: Request, shipment_id: str, fmt: str) -> Response:
    """The label to print (``.pdf`` or ``.zpl``); a marketplace-booked parcel's is fetched
    from the marketplace the first time it is asked for."""
    tenant = caller(request).tenant
    label = _documents(request).label(tenant, shipment_id, fmt)
    return _file(await on_engine_loop(request, label))


#: a barcode as marketplaces print it (GTIN digits or the seller's own code): no blanks,
#: controls or colons, at most 100 characters. The blanks are named one by one, not with \s
#: (the JSON Schema's \s and Python's disagree on U+0085 and U+001C-U+001F), and a lone
#: surrogate, which no Unicode text holds, is refused too: the published pattern and the
#: check below are the same regex, so what the schema allows the model takes.
BARCODE_PATTERN = (
    r"^[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    r"\ud800-\udfff\ufeff:]{1,100}$"
)
_BARCODE = re.compile(BARCODE_PATTERN)


def _check_barcode(value: str) -> str:
    if not _BARCODE.fullmatch(value):
        raise ValueError("a barcode is 1-100 characters with no blank, control or colon")
    return value


Barcode = Annotated[
    str,
    AfterValidator(_check_barcode),
    WithJsonSchema({"type": "string", "pattern": BARCODE_PATTERN}),
]


class StockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on_hand: int = Field(ge=0)
    barcodes: list[Barcode] = Field(
        default_factory=list, description="barcodes that name this product on orders"
    )


@endpoint(router, "put", "/stock/{product_id}", OFFICE, response_model=StockOut)
def set_stock(request: Request, product_id: str, body: StockIn) -> dict[str, Any]:
    """Set a product's on-hand figure; held orders that now fit are queued again."""
    rt = request.app.state.runtime
    tenant = caller(request).tenant
    woken = rt.engine.set_stock(tenant, product_id, body.on_hand, body.barcodes)
    if rt.jobs is not None:
        for oid in woken:
            rt.jobs.enqueue_order(tenant, oid)
    return {"product_id": product_id, "on_hand": body.on_hand, "released_orders": woken}


@endpoint(router, "get", "/dead-letters", OFFICE, response_model=list[DeadLetterOut])
def list_dead_letters(request: Request) -> list[dict[str, Any]]:
    return deadletters.list_dead(request.app.state.runtime.store, caller(request).tenant)


@endpoint(
    router,
    "post",
    "/dead-letters/{letter_id}/replay",
    OFFICE,
    response_model=ReplayOut,
    responses=NO_RUNNER,
)
def replay_dead_letter(request: Request, letter_id: str) -> dict[str, Any]:
    rt = request.app.state.runtime
    tenant = caller(request).tenant
    if rt.jobs is None:  # the process cannot do it; another one (kervan serve) can
        raise HTTPException(503, "no job runner in this process (start it with kervan serve)")
    item = deadletters.replay(rt.store, rt.jobs, tenant, letter_id)
    if item is None:
        raise NotFoundError(f"dead letter {letter_id!r} not found")
    return {"replayed": True, "actor": item["actor"], "args": item["args"]}
