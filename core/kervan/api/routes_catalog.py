"""The catalog: product cards and their channel listings, merge and split, the stock ledger
(figures, movements, counts, receipts, safety stock), each channel's policy (buffer, cap,
pricing rule) with a price preview, and stock and price pushes with their status per listing.

Routes call :class:`kervan.catalog.Catalog` (``Runtime.catalog``) and nothing under it.
Listing keys are ``{connection}:{barcode}``: the colon is an ordinary character in a path
segment (``GET /v1/listings/trendyol:8690000000011/why``). Work that calls a channel (an
import, a push) is queued as a job when this process runs jobs, else it runs on the engine
loop and the answer carries its report.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    field_validator,
)

from ..catalog import Catalog, ChannelPolicy
from ..domain import ProductCard
from ..engine.records import LISTING, PRODUCT
from ..errors import CatalogConflictError, InvalidInputError, KervanError
from ..pricing import PricingRule, band_drops
from ..store.port import Query as StoreQuery
from .auth import ADMINS, FLOOR, OFFICE, Caller, caller, endpoint
from .loop import on_engine_loop
from .openapi import REMOTE, error_response
from .routes_orders import Barcode
from .schemas import MAX_OFFSET

router = APIRouter()
MAX_PAGE = 500
#: more units than any shelf holds; keeps every figure a 64-bit integer in every store
MAX_UNITS = 1_000_000_000

CONFLICT: dict[int | str, dict[str, Any]] = {
    409: error_response(
        "The cards are not as the action needs: a card merged away already, or the new "
        "card of a split exists (code catalog_conflict, detail.product_id names the card)"
    )
}
DISABLED: dict[int | str, dict[str, Any]] = REMOTE | {
    409: error_response(
        "The connection is disabled (code connection_disabled, detail.connection_id): "
        "enable it first (PATCH /v1/connections/{id})"
    )
}

#: a product card's id as Kervan makes them (``p-...``) or an ERP gives them
ProductId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
Warehouse = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]
Units = Annotated[int, Field(ge=0, le=MAX_UNITS)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Price = Annotated[str, Field(pattern=r"^\d{1,10}(\.\d{1,2})?$", description="TL, e.g. 299.90")]


class ConnectionDisabledError(CatalogConflictError):
    """The connection is disabled: Kervan does not call it until it is enabled again."""

    code = "connection_disabled"

    def __init__(self, connection_id: str) -> None:
        KervanError.__init__(
            self,
            f"connection {connection_id} is disabled; enable it first",
            detail={"connection_id": connection_id},
        )


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its ``$defs`` put in place of each ``$ref`` (the models have no cycles),
    so it can stand inside an operation of the OpenAPI document."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(
                    {
                        **defs[ref.rsplit("/", 1)[-1]],
                        **{k: v for k, v in node.items() if k != "$ref"},
                    }
                )
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    inlined: dict[str, Any] = walk(schema)
    return inlined


#: A pricing rule or a channel policy as JSON: FastAPI only checks that it is an object, the
#: route validates it with the model and answers 422 ``invalid_input`` naming each wrong field
#: (``detail.errors[].loc``, message ``invalid pricing rule: ...``). Pydantic's schema for a decimal says "any string" where the model
#: wants a decimal with at most two places; refused by the model, such a value is the domain's
#: 422 (its own message), not a request the schema promised would pass.
RuleJson = Annotated[
    dict[str, Any], WithJsonSchema(_inline(PricingRule.model_json_schema(mode="validation")))
]
PolicyJson = Annotated[
    dict[str, Any], WithJsonSchema(_inline(ChannelPolicy.model_json_schema(mode="validation")))
]


def _valid(model: type[Any], value: dict[str, Any], where: list[str], what: str) -> Any:
    """``value`` as ``model``, or a 422 that names every wrong field (never its value)."""
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        errors = [
            {"loc": [*where, *(str(p) for p in e["loc"])], "msg": e["msg"]} for e in exc.errors()
        ]
        first = errors[0]
        raise InvalidInputError(
            f"invalid {what}: {'.'.join(first['loc'][1:]) or 'body'}: {first['msg']}",
            errors=errors,
        ) from None


# -- answers ---------------------------------------------------------------------------------


class FiguresOut(BaseModel):
    """A product's stock figures: available = on hand − reserved − safety, never below zero."""

    on_hand: int
    reserved: int = Field(description="units held for open orders")
    safety: int = Field(description="units never offered on any channel")
    available: int = Field(description="what the channels may sell (before their buffer/cap)")
    short: int = Field(description="reserved units the shelves lack (a count found fewer)")
    warehouses: dict[str, int] = Field(description="on hand per warehouse")


class StockFiguresOut(FiguresOut):
    product_id: str


class StockChangeOut(StockFiguresOut):
    released_orders: list[str] = Field(description="held orders that now fit, queued again")


class PushRecord(BaseModel):
    """A figure (and price) for one listing: as pushed, as attempted, or as it would be now."""

    quantity: int
    sale_price: str | None = Field(default=None, description="null: no price sent")
    list_price: str | None = None
    figures: FiguresOut | None = Field(
        default=None, description="the ledger figures the quantity came from"
    )
    buffer: int | None = Field(default=None, description="the buffer applied")
    cap: int | None = Field(default=None, description="the cap applied (null: none)")
    price_steps: list[str] | None = Field(default=None, description="how the price was made")
    price_reason: str | None = Field(default=None, description="why no price is sent")
    at: str | None = Field(default=None, description="when it was sent (UTC, ISO 8601)")
    ok: bool | None = Field(default=None, description="whether the channel accepted it")
    answer: list[str] | None = Field(default=None, description="the channel's answer")


class ListingOut(BaseModel):
    """One channel's listing of a card."""

    key: str = Field(description="{connection_id}:{barcode}")
    connection_id: str
    barcode: str
    sku: str | None
    external_id: str | None = Field(description="the channel's own id for it")
    title: str | None
    product_id: str
    buffer: int | None = Field(description="this listing's own buffer (null: the channel's)")
    cap: int | None = Field(description="this listing's own cap (null: the channel's)")
    pushed: PushRecord | None = Field(description="what the channel last accepted")
    last_push: PushRecord | None = Field(description="the last attempt, accepted or not")
    failures: int = Field(description="failed attempts in a row")
    flagged: bool = Field(description="failed so often that a person should look")


class CardRow(BaseModel):
    card: ProductCard
    stock: FiguresOut


class CardOut(CardRow):
    listings: list[ListingOut]


class AuditOut(BaseModel):
    action: str = Field(description="created, saved, merged, split, erp_conflict")
    product_id: str
    actor: str
    at: str
    detail: dict[str, Any]


class MergeCandidateOut(BaseModel):
    stock_code: str
    cards: list[str] = Field(description="live cards with exactly this stock code")


class MovementOut(BaseModel):
    """One ledger entry."""

    key: str
    product_id: str
    reason: str = Field(
        description="reserved, picked, shipped, cancelled, returned, count, received, "
        "erp_sync, import, merge_in/out, split_in/out, safety, ..."
    )
    ref: str = Field(description="what moved it (an order line, a count, a delivery)")
    on_hand: int = Field(description="change of on hand")
    reserved: int = Field(description="change of reserved")
    safety: int | None = Field(default=None, description="change of safety stock")
    warehouses: dict[str, int] | None = Field(default=None, description="on hand change each")
    note: str | None = None
    at: str


class WhyOut(BaseModel):
    """Why a channel shows the number it shows."""

    listing: ListingOut
    shown: PushRecord | None = Field(description="what the channel last accepted, and why")
    last_attempt: PushRecord | None = Field(description="the last push, accepted or not")
    now: PushRecord | None = Field(description="what the ledger would send now")
    in_step: bool = Field(description="the channel already holds what the ledger would send")
    policy: ChannelPolicy = Field(description="the channel's buffer, cap and pricing rule")
    pending: bool = Field(description="the product is queued for a push")


class PolicySavedOut(BaseModel):
    connection_id: str
    policy: ChannelPolicy
    queued_products: int = Field(description="products listed there, queued for a push")


class QuoteOut(BaseModel):
    listing: str
    barcode: str
    sale_price: str | None = Field(description="null: no price would be sent (see reason)")
    list_price: str | None
    base: str | None
    steps: list[str]
    reason: str | None


class PreviewOut(BaseModel):
    connection_id: str
    rule: PricingRule
    warnings: list[str] = Field(
        description="band edges where a higher base price gets a lower price"
    )
    quotes: list[QuoteOut] = Field(description="one per listing (at most 500), by barcode")


class ImportReportOut(BaseModel):
    seen: int
    new_cards: int
    attached: int = Field(description="listings that joined an existing card by barcode")
    updated: int
    problems: int = Field(description="listings kept in quarantine (GET /v1/problems)")


class ImportOut(BaseModel):
    connection_id: str
    queued: bool = Field(description="queued as a job (report null) or done (report set)")
    report: ImportReportOut | None


class PullOut(BaseModel):
    connection_id: str
    queued: bool = Field(description="queued as a job (counts null) or done (counts set)")
    counts: dict[str, int] | None = Field(
        description="cards by outcome of the pull (created, updated, unchanged, conflict, ...)"
    )


class PushReportOut(BaseModel):
    products: int
    listings: int
    sent: int
    ok: int
    failed: int
    flagged: list[str] = Field(description="listings flagged by this run")
    by_channel: dict[str, int] = Field(description="items sent per connection")


class PushOut(BaseModel):
    queued: bool = Field(description="queued as a job (report null) or done (report set)")
    report: PushReportOut | None


class PushStatusOut(BaseModel):
    due: int = Field(description="products waiting for a push that is due now")
    flagged: int = Field(description="listings that keep failing")
    listings: int


# -- bodies ----------------------------------------------------------------------------------


class CardIn(BaseModel):
    """A card as a person edits it. What the ERP owns (its price, its on-hand figures) and a
    merged card's pointer are kept from the stored card."""

    model_config = ConfigDict(extra="forbid")
    sku: str = Field(min_length=1, max_length=100, description="the stock code (exact)")
    name: str = Field(min_length=1, max_length=500)
    barcodes: list[Barcode] = Field(min_length=1, max_length=100)
    vat_rate: int = Field(default=20, ge=0, le=100, description="VAT rate in %")
    list_price: Price | None = None
    sale_price: Price | None = None
    cost_price: Price | None = None
    length_cm: Annotated[float, Field(gt=0, le=100_000)] | None = None
    width_cm: Annotated[float, Field(gt=0, le=100_000)] | None = None
    height_cm: Annotated[float, Field(gt=0, le=100_000)] | None = None
    weight_kg: Annotated[float, Field(gt=0, le=100_000)] | None = None
    hs_code: Annotated[str, StringConstraints(pattern=r"^[0-9.]{2,20}$")] | None = Field(
        default=None, description="GTİP"
    )
    attributes: dict[Annotated[str, StringConstraints(max_length=100)], str] = Field(
        default_factory=dict, max_length=200
    )
    images: list[Annotated[str, StringConstraints(pattern=r"^https?://\S{1,2000}$")]] = Field(
        default_factory=list, max_length=50, description="URLs; the first is the main image"
    )
    variant_group: str | None = Field(default=None, max_length=100)

    @field_validator("barcodes")
    @classmethod
    def _distinct(cls, barcodes: list[str]) -> list[str]:
        if len(set(barcodes)) != len(barcodes):
            raise ValueError("each barcode once")
        return barcodes


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sources: list[str] = Field(
        min_length=1, max_length=100, description="cards merged into this one"
    )
    stock: Literal["keep", "sum"] = Field(
        default="keep",
        description="keep: this card's shelf figure stands (the same units counted twice); "
        "sum: the sources' on-hand units are added, warehouse by warehouse",
    )
    reason: Reason | None = Field(default=None, description="kept in the audit trail")

    @field_validator("sources")
    @classmethod
    def _distinct(cls, sources: list[str]) -> list[str]:
        if len(set(sources)) != len(sources):
            raise ValueError("each source card once")
        return sources


class SplitCardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    barcodes: list[Barcode] = Field(
        min_length=1, max_length=100, description="barcodes (and their listings) that move"
    )
    sku: str = Field(min_length=1, max_length=100, description="the new card's stock code")
    name: str | None = Field(default=None, min_length=1, max_length=500)
    on_hand: Units = Field(default=0, description="units moved from this card's main warehouse")
    reason: Reason | None = None


class CountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on_hand: Units = Field(description="units counted on the shelf")
    warehouse: Warehouse = "main"
    note: Reason | None = None


class CountLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_id: ProductId
    on_hand: Units = Field(description="units counted on the shelf")


class StockTakeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    counts: list[CountLine] = Field(
        min_length=1, max_length=5000, description="each product counted, once"
    )
    warehouse: Warehouse = "main"
    note: Reason | None = None


class StockTakeOut(BaseModel):
    counted: int = Field(description="products whose figure the stock take set")
    released_orders: list[str] = Field(description="held orders that now fit, queued again")


class ReceiptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quantity: Annotated[int, Field(ge=1, le=MAX_UNITS)]
    warehouse: Warehouse = "main"
    ref: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="the delivery's reference: the same ref twice moves stock once",
    )
    reason: Literal["received", "returned"] = "received"


class SafetyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    safety: Units = Field(description="units never offered on any channel")


class LimitsIn(BaseModel):
    """Both are set (a field left out or null: the channel's own)."""

    model_config = ConfigDict(extra="forbid")
    buffer: Units | None = Field(default=None, description="units held back from this listing")
    cap: Units | None = Field(default=None, description="show at most this many")


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule: RuleJson | None = Field(
        default=None, description="the pricing rule to try (left out: the channel's own)"
    )


# -- helpers ---------------------------------------------------------------------------------


def _catalog(request: Request) -> Catalog:
    found: Catalog = request.app.state.runtime.catalog
    return found


def _actor(c: Caller) -> str:
    return f"user:{c.principal.user_id}"


def _enqueue(request: Request, tenant: str, orders: list[str]) -> None:
    jobs = request.app.state.runtime.jobs
    if jobs is not None:
        for oid in orders:
            jobs.enqueue_order(tenant, oid)


def _connection(request: Request, tenant: str, connection_id: str) -> Any:
    return request.app.state.runtime.connections.require(tenant, connection_id)


# -- cards -----------------------------------------------------------------------------------


@endpoint(router, "get", "/products", FLOOR, response_model=list[CardRow])
def list_products(
    request: Request,
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> list[dict[str, Any]]:
    """Product cards by stock code, each with its stock figures (a merged card stays, with
    ``merged_into``)."""
    return _catalog(request).cards(caller(request).tenant, limit=limit, offset=offset)


@endpoint(
    router, "get", "/products/merge-candidates", OFFICE, response_model=list[MergeCandidateOut]
)
def merge_candidates(request: Request) -> list[dict[str, Any]]:
    """Live cards that share a stock code: Kervan never merges them on its own; merge them
    with ``POST /v1/products/{id}/merge`` when they are one item."""
    return _catalog(request).merge_candidates(caller(request).tenant)


@endpoint(router, "get", "/products/{product_id}", FLOOR, response_model=CardOut)
def get_product(request: Request, product_id: str) -> dict[str, Any]:
    """A card with its stock figures and every channel listing bound to it."""
    return _catalog(request).card(caller(request).tenant, product_id)


@endpoint(
    router, "put", "/products/{product_id}", OFFICE, response_model=CardOut, responses=CONFLICT
)
def save_product(request: Request, product_id: ProductId, body: CardIn) -> dict[str, Any]:
    """Create or change a card; its barcodes are bound to it and every channel is sent its
    price again. 422 when a barcode belongs to another card (merge them instead); 409 for a
    card merged away."""
    c = caller(request)
    catalog = _catalog(request)
    existing = request.app.state.runtime.store.tenant(c.tenant).get(PRODUCT, product_id)
    kept: dict[str, Any] = {}
    if existing is not None:
        if existing.body.get("merged_into"):
            raise CatalogConflictError(
                f"card {product_id} was merged into {existing.body['merged_into']}; "
                "change that card",
                product_id=product_id,
            )
        kept = {k: existing.body.get(k) for k in ("erp_price", "erp_on_hand")}
    fields = body.model_dump(exclude_none=True)
    card = ProductCard.model_validate({**fields, **kept, "id": product_id, "tenant_id": c.tenant})
    catalog.save_card(c.tenant, card, _actor(c))
    return catalog.card(c.tenant, product_id)


@endpoint(router, "get", "/products/{product_id}/audit", OFFICE, response_model=list[AuditOut])
def product_audit(request: Request, product_id: str) -> list[dict[str, Any]]:
    """Who created, saved, merged and split the card, when and why, oldest first."""
    tenant = caller(request).tenant
    catalog = _catalog(request)
    catalog.card(tenant, product_id)  # 404 for a card that never was
    return catalog.audit_trail(tenant, product_id)


@endpoint(
    router,
    "post",
    "/products/{product_id}/merge",
    OFFICE,
    response_model=CardOut,
    responses=CONFLICT,
)
def merge_products(request: Request, product_id: str, body: MergeIn) -> dict[str, Any]:
    """Merge ``sources`` into this card: their barcodes, listings and reservations move here,
    the sources stay as tombstones (``merged_into``), each merge is audited and every channel
    gets the card's figure. 404 for an unknown card; 409 for one merged away already."""
    c = caller(request)
    catalog = _catalog(request)
    catalog.merge(
        c.tenant, product_id, body.sources, _actor(c), stock=body.stock, reason=body.reason
    )
    return catalog.card(c.tenant, product_id)


@endpoint(
    router,
    "post",
    "/products/{product_id}/split",
    OFFICE,
    response_model=CardOut,
    status_code=201,
    responses=CONFLICT,
)
def split_product(request: Request, product_id: str, body: SplitCardIn) -> dict[str, Any]:
    """Take ``barcodes`` (and their listings) off this card onto a new card with stock code
    ``sku``; ``on_hand`` units move with them. Answers the new card. 422 for a barcode the
    card does not have or a split that leaves it none."""
    c = caller(request)
    catalog = _catalog(request)
    new = catalog.split(
        c.tenant,
        product_id,
        body.barcodes,
        body.sku,
        _actor(c),
        name=body.name,
        on_hand=body.on_hand,
        reason=body.reason,
    )
    return catalog.card(c.tenant, new.id)


# -- stock -----------------------------------------------------------------------------------


@endpoint(router, "get", "/products/{product_id}/stock", FLOOR, response_model=StockFiguresOut)
def product_stock(request: Request, product_id: str) -> dict[str, Any]:
    """On hand, reserved, safety and available, summed and per warehouse."""
    return _catalog(request).stock(caller(request).tenant, product_id)


@endpoint(
    router, "get", "/products/{product_id}/movements", FLOOR, response_model=list[MovementOut]
)
def product_movements(
    request: Request,
    product_id: str,
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> list[dict[str, Any]]:
    """The card's ledger, the newest movement first: each with its reason and what caused it."""
    tenant = caller(request).tenant
    catalog = _catalog(request)
    catalog.card(tenant, product_id)
    return catalog.movements(tenant, product_id, limit=limit, offset=offset)


@endpoint(router, "post", "/products/{product_id}/count", OFFICE, response_model=StockChangeOut)
def count_product(request: Request, product_id: str, body: CountIn) -> dict[str, Any]:
    """A person counted the shelf: on hand in ``warehouse`` becomes ``on_hand`` (a ``count``
    movement); held orders that now fit are queued again."""
    c = caller(request)
    out = _catalog(request).count(
        c.tenant, product_id, body.on_hand, _actor(c), warehouse=body.warehouse, note=body.note
    )
    _enqueue(request, c.tenant, out["released_orders"])
    return out


@endpoint(router, "post", "/stock/counts", OFFICE, response_model=StockTakeOut)
def stock_take(request: Request, body: StockTakeIn) -> dict[str, Any]:
    """A stock take: many products counted at once in one warehouse (``count`` movements,
    written 200 products a transaction); an unknown product refuses the whole take before
    anything moves. Held orders that now fit are queued again."""
    c = caller(request)
    counts = {line.product_id: line.on_hand for line in body.counts}
    if len(counts) != len(body.counts):
        raise InvalidInputError("a stock take names each product once")
    out = _catalog(request).count_many(
        c.tenant, counts, _actor(c), warehouse=body.warehouse, note=body.note
    )
    _enqueue(request, c.tenant, out["released_orders"])
    return out


@endpoint(router, "post", "/products/{product_id}/receipts", OFFICE, response_model=StockChangeOut)
def receive_product(request: Request, product_id: str, body: ReceiptIn) -> dict[str, Any]:
    """Units arrived (a delivery, a return put back on the shelf); the same ``ref`` twice
    moves stock once. Held orders that now fit are queued again."""
    c = caller(request)
    out = _catalog(request).receive(
        c.tenant,
        product_id,
        body.quantity,
        _actor(c),
        warehouse=body.warehouse,
        ref=body.ref,
        reason=body.reason,
    )
    _enqueue(request, c.tenant, out["released_orders"])
    return out


@endpoint(
    router, "put", "/products/{product_id}/safety-stock", OFFICE, response_model=StockFiguresOut
)
def set_safety_stock(request: Request, product_id: str, body: SafetyIn) -> dict[str, Any]:
    """Units never offered on any channel (a ``safety`` movement)."""
    c = caller(request)
    return _catalog(request).set_safety(c.tenant, product_id, body.safety, _actor(c))


# -- listings --------------------------------------------------------------------------------


@endpoint(router, "get", "/listings", OFFICE, response_model=list[ListingOut])
def list_listings(
    request: Request,
    connection_id: str | None = None,
    flagged: bool | None = Query(None, description="only flagged (true) or unflagged (false)"),
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    offset: int = Query(0, ge=0, le=MAX_OFFSET),
) -> list[dict[str, Any]]:
    """Channel listings by barcode, with what each was last sent and the channel's answer."""
    return _catalog(request).listings(
        caller(request).tenant, connection_id, flagged, limit=limit, offset=offset
    )


@endpoint(router, "get", "/listings/{key}/why", OFFICE, response_model=WhyOut)
def why_listing(request: Request, key: str) -> dict[str, Any]:
    """Why is this number on that channel: the last value pushed and when, the ledger figures
    it came from, the buffer and cap applied, the channel's answer, and what the ledger would
    send now."""
    return _catalog(request).explain(caller(request).tenant, key)


@endpoint(router, "put", "/listings/{key}/limits", OFFICE, response_model=ListingOut)
def set_listing_limits(request: Request, key: str, body: LimitsIn) -> dict[str, Any]:
    """This listing's own buffer and cap (null: the channel's); it is pushed again."""
    return _catalog(request).set_listing_limits(caller(request).tenant, key, body.buffer, body.cap)


# -- channels --------------------------------------------------------------------------------


@endpoint(
    router,
    "get",
    "/connections/{connection_id}/channel-policy",
    OFFICE,
    response_model=ChannelPolicy,
)
def get_channel_policy(request: Request, connection_id: str) -> ChannelPolicy:
    """How the catalog feeds this channel: stock on or off, buffer, cap, pricing rule."""
    tenant = caller(request).tenant
    _connection(request, tenant, connection_id)
    return _catalog(request).policy(tenant, connection_id)


@endpoint(
    router,
    "put",
    "/connections/{connection_id}/channel-policy",
    ADMINS,
    response_model=PolicySavedOut,
)
def set_channel_policy(request: Request, connection_id: str, body: PolicyJson) -> dict[str, Any]:
    """Replace the channel's policy; every product listed there is queued for a push. A
    pricing rule is checked whole (bands in order, one margin kind, floor not above ceiling):
    422 names the field."""
    tenant = caller(request).tenant
    _connection(request, tenant, connection_id)
    policy = _valid(ChannelPolicy, body, ["body"], "channel policy")
    queued = _catalog(request).set_policy(tenant, connection_id, policy)
    return {"connection_id": connection_id, "policy": policy, "queued_products": queued}


@endpoint(
    router, "post", "/connections/{connection_id}/price-preview", OFFICE, response_model=PreviewOut
)
def preview_prices(request: Request, connection_id: str, body: PreviewIn) -> dict[str, Any]:
    """What each listing's price would be under ``rule`` (or the channel's own), step by
    step; nothing is saved or sent. 422 when neither exists."""
    tenant = caller(request).tenant
    _connection(request, tenant, connection_id)
    catalog = _catalog(request)
    rule = (
        _valid(PricingRule, body.rule, ["body", "rule"], "pricing rule")
        if body.rule is not None
        else catalog.policy(tenant, connection_id).pricing
    )
    if rule is None:
        raise InvalidInputError(
            f"channel {connection_id} has no pricing rule; send one as rule to preview"
        )
    quotes = catalog.preview_prices(tenant, connection_id, rule)
    return {
        "connection_id": connection_id,
        "rule": rule,
        "warnings": band_drops(rule),
        "quotes": quotes,
    }


@endpoint(
    router,
    "post",
    "/connections/{connection_id}/import-listings",
    OFFICE,
    response_model=ImportOut,
    responses=DISABLED,
)
async def import_listings(request: Request, connection_id: str) -> dict[str, Any]:
    """Read every listing of the channel onto its card (by barcode; a new card when no card
    has it). Queued as a job when this process runs jobs; otherwise done before the answer."""
    rt = request.app.state.runtime
    c = caller(request)
    conn = _connection(request, c.tenant, connection_id)
    if not conn.enabled:
        raise ConnectionDisabledError(connection_id)
    if rt.jobs is not None:
        rt.jobs.send("import_listings", c.tenant, connection_id)
        return {"connection_id": connection_id, "queued": True, "report": None}
    report = await on_engine_loop(
        request, _catalog(request).import_listings(c.tenant, connection_id, _actor(c))
    )
    return {"connection_id": connection_id, "queued": False, "report": report.as_dict()}


@endpoint(
    router,
    "post",
    "/connections/{connection_id}/pull-products",
    OFFICE,
    response_model=PullOut,
    responses=DISABLED,
)
async def pull_products(request: Request, connection_id: str) -> dict[str, Any]:
    """Read the ERP's products onto the cards now (by exact stock code; names, prices and
    stock as the connection's toggles say) instead of at the scheduler's next pull (every 15
    minutes). Queued as a job when this process runs jobs; otherwise done before the answer."""
    rt = request.app.state.runtime
    c = caller(request)
    conn = _connection(request, c.tenant, connection_id)
    if not conn.enabled:
        raise ConnectionDisabledError(connection_id)
    if rt.jobs is not None:
        rt.jobs.send("pull_products", c.tenant, connection_id)
        return {"connection_id": connection_id, "queued": True, "counts": None}
    counts = await on_engine_loop(
        request, _catalog(request).pull_erp(c.tenant, connection_id, _actor(c))
    )
    return {"connection_id": connection_id, "queued": False, "counts": counts}


@endpoint(router, "post", "/stock/push", OFFICE, response_model=PushOut, responses=REMOTE)
async def push_now(request: Request) -> dict[str, Any]:
    """Push every due product's figure (and price) to every listing now, instead of at the
    scheduler's next tick. Queued as a job when this process runs jobs."""
    rt = request.app.state.runtime
    tenant = caller(request).tenant
    if rt.jobs is not None:
        rt.jobs.send("push_stock", tenant)
        return {"queued": True, "report": None}
    report = await on_engine_loop(request, _catalog(request).push(tenant))
    return {"queued": False, "report": report.as_dict()}


@endpoint(router, "get", "/stock/push-status", OFFICE, response_model=PushStatusOut)
def push_status(request: Request) -> dict[str, Any]:
    """How many products wait for a push, and how many listings keep failing (``GET
    /v1/listings?flagged=true`` lists them)."""
    tenant = caller(request).tenant
    store = request.app.state.runtime.store.tenant(tenant)
    return {
        "due": _catalog(request).due(tenant),
        "flagged": store.count(StoreQuery(LISTING, {"flagged": True})),
        "listings": store.count(StoreQuery(LISTING)),
    }
