"""What waits for a person before an invoice is right: the PK alias of a buyer with several,
and fiscal items (a cancelled order's e-Fatura waiting for its return document, a
TICARIFATURA the buyer refused). See ``kervan.engine.aliases`` and
``kervan.engine.fiscal_items``."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from ..engine import aliases, fiscal_items
from ..engine.records import ORDER
from ..errors import NotFoundError
from ..store.port import Query as StoreQuery
from .auth import OFFICE, caller, endpoint
from .loop import on_engine_loop
from .openapi import error_response
from .schemas import OrderStateOut

router = APIRouter()
NOT_OPEN: dict[int | str, dict[str, Any]] = {
    409: error_response(
        "The order does not wait for this decision, or the item is already resolved: code "
        "state_conflict"
    )
}


class AliasChoice(BaseModel):
    """An order waiting for an operator to choose its buyer's PK alias."""

    order_id: str
    order_number: str
    buyer: str
    buyer_tax_id: str | None
    choices: list[str]
    ship_by: str | None = Field(description="the marketplace's ship-by date: work these first")
    since: str | None


class AliasIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    alias: str = Field(min_length=1, max_length=200, description="one of the order's choices")
    note: str = Field(min_length=1, max_length=500, description="why (kept on the timeline)")


@endpoint(router, "get", "/alias-choices", OFFICE, response_model=list[AliasChoice])
def list_alias_choices(request: Request) -> list[dict[str, Any]]:
    """Orders held because their registered buyer has several PK aliases and none is marked
    default, the earliest ship-by date first."""
    rt = request.app.state.runtime
    return aliases.queue(rt.store.tenant(caller(request).tenant))


@endpoint(
    router,
    "post",
    "/orders/{order_id}/alias",
    OFFICE,
    response_model=OrderStateOut,
    responses=NOT_OPEN,
)
async def choose_alias(request: Request, order_id: str, body: AliasIn) -> dict[str, Any]:
    """Choose the PK alias the e-Fatura goes to; recorded with who and why, and the order is
    classified again at once. 409 unless the order waits for this choice; 422 for an alias
    that is not one of its choices."""
    c = caller(request)
    rt = request.app.state.runtime
    if rt.store.tenant(c.tenant).get(ORDER, order_id) is None:
        raise NotFoundError(f"order {order_id!r} not found")
    state = await on_engine_loop(
        request,
        aliases.choose_alias(
            rt.engine, c.tenant, order_id, body.alias, body.note, f"user:{c.principal.user_id}"
        ),
    )
    return {"id": order_id, "state": state}


class FiscalItemOut(BaseModel):
    id: str
    topic: fiscal_items.Topic
    status: Literal["open", "resolved"]
    reason: str
    order_id: str
    order_number: str
    ship_by: str | None
    invoice_id: str
    invoice_number: str | None
    invoice_uuid: str
    profile: str
    buyer: str
    buyer_tax_id: str | None
    total: str
    currency: str
    opened_at: str
    resolution: dict[str, Any] | None


class ResolveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    how: Literal["buyer_return_invoice", "gib_cancellation", "reissued", "cancelled_with_buyer"] = (
        Field(
            description="return_document: buyer_return_invoice (the buyer's IADE invoice) or "
            "gib_cancellation (cancelled at GİB); refused_invoice: reissued or "
            "cancelled_with_buyer"
        )
    )
    reference: str = Field(
        min_length=1,
        max_length=100,
        description="the IADE invoice's number or UUID, or the cancellation's reference",
    )
    note: str = Field(min_length=1, max_length=500)


@endpoint(router, "get", "/fiscal-items", OFFICE, response_model=list[FiscalItemOut])
def list_fiscal_items(
    request: Request,
    status: Literal["open", "resolved"] | None = Query(default="open"),
    topic: fiscal_items.Topic | None = None,
) -> list[dict[str, Any]]:
    """Invoices waiting for a person before the books may move, oldest first."""
    rt = request.app.state.runtime
    where: dict[str, Any] = {}
    if status is not None:
        where["status"] = status
    if topic is not None:
        where["topic"] = topic.value
    docs = rt.store.tenant(caller(request).tenant).query(
        StoreQuery(fiscal_items.FISCAL_ITEM, where, order_by="opened_at", limit=1000)
    )
    return [d.body for d in docs]


@endpoint(
    router,
    "post",
    "/fiscal-items/{item_id}/resolve",
    OFFICE,
    response_model=FiscalItemOut,
    responses=NOT_OPEN,
)
def resolve_fiscal_item(request: Request, item_id: str, body: ResolveIn) -> dict[str, Any]:
    """Record how the item was settled. In one transaction: the item, the invoice's outcome,
    the ERP reversal event and a timeline entry on the order."""
    c = caller(request)
    rt = request.app.state.runtime
    return fiscal_items.resolve(
        rt.store.tenant(c.tenant),
        item_id,
        how=body.how,
        reference=body.reference,
        note=body.note,
        actor=f"user:{c.principal.user_id}",
        now=rt.engine.clock(),
    )
