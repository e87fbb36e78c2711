"""Package, book the carrier, follow tracking."""

from __future__ import annotations

import base64
import contextlib
import hashlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..documents import label_blobs
from ..domain import (
    Dimensions,
    Label,
    OrderState,
    Package,
    ProductCard,
    Shipment,
    ShipmentStatus,
    TrackingEvent,
    TrackingStatus,
)
from ..errors import InternalError, InvalidInputError, KervanError, UnsupportedOperationError
from ..roles import Carrier, OrderSource, RemoteRef, desi_of
from ..store.port import DocumentNotFound, Query, TenantStore
from . import stock
from .change import Change
from .context import StepContext
from .records import BARCODE, LABEL_DUE, ORDER, PACKAGE, PRODUCT, SHIPMENT, OrderRecord
from .splitting import LineSize, Parcel, divides_a_line, plan_parcels, plan_split

DEFAULT_UNIT = Dimensions(
    length_cm=Decimal(20), width_cm=Decimal(15), height_cm=Decimal(10), weight_kg=Decimal("0.5")
)


def cargo_key(tenant_id: str, order_id: str, n: int = 1) -> str:
    """A short, stable key for the carrier (≤ 20 chars, what the label barcode carries)."""
    digest = hashlib.sha256(f"{tenant_id}|{order_id}|{n}".encode()).digest()
    return "KRV" + base64.b32encode(digest).decode()[:13]


def product_card(ctx: StepContext, barcode: str) -> ProductCard | None:
    """The product card a barcode belongs to, if any."""
    mapping = ctx.store.get(BARCODE, barcode)
    card_doc = ctx.store.get(PRODUCT, mapping.body["product_id"]) if mapping else None
    return None if card_doc is None else ProductCard.model_validate(card_doc.body)


def _unit_dimensions(ctx: StepContext, barcode: str) -> Dimensions:
    return _dimensions_of(product_card(ctx, barcode))


def _dimensions_of(card: ProductCard | None) -> Dimensions:
    """A unit's size from its product card, or a default parcel when the card lacks it."""
    if card is None:
        return DEFAULT_UNIT
    if card.length_cm and card.width_cm and card.height_cm and card.weight_kg:
        return Dimensions(
            length_cm=card.length_cm,
            width_cm=card.width_cm,
            height_cm=card.height_cm,
            weight_kg=card.weight_kg,
        )
    return DEFAULT_UNIT


async def split_by_rules(ctx: StepContext, rec: OrderRecord) -> Change:
    """Before anything is reserved or invoiced: ask the source to split a package that
    breaks the tenant's split rules (:mod:`.splitting`); its parts arrive with the next poll
    and are checked in turn (a part that keeps the rules stays whole).

    A line over the size limit with several units is divided by quantity where the source
    can do that; a source that cannot gets the split by line instead."""
    rules = ctx.tenant.settings.split_rules
    alone = set(rules.ship_alone_skus)
    sizes = []
    for line in rec.order.lines:
        card = product_card(ctx, line.barcode)
        unit = _dimensions_of(card)
        size = max(desi_of(unit), unit.weight_kg) * line.quantity
        sku = card.sku if card else line.sku
        # only whole units divide: a line of 2.5 kg of something travels as one piece
        units = int(line.quantity) if line.quantity == int(line.quantity) else 1
        alone_line = sku is not None and sku in alone
        sizes.append(LineSize(line.line_id, size, alone=alone_line, quantity=max(units, 1)))
    parcels = plan_parcels(sizes, rules.max_parcel_desi)
    rec.flags.split_checked = True
    if parcels is None:
        return Change(rec)
    source = ctx.connector(rec.order.connection_id, OrderSource, "order source")
    try:
        ref, plan = await _ask_split(source, rec, parcels, sizes, rules.max_parcel_desi)
    except KervanError as exc:
        if exc.retryable:
            raise  # the source is busy or down: the step is tried again later
        # it cannot split this one (no split at that source, or a refusal): a parcel over the
        # rules still beats an order stuck before invoicing; the timeline says why
        ctx.note(
            rec,
            "split",
            "skipped",
            f"the split rules ask for {len(parcels)} packages, "
            f"but {source.key} did not split it: {exc.message}",
            request_id=getattr(exc, "request_id", None),
            **_plan_data(parcels if divides_a_line(parcels) else [list(p) for p in parcels]),
        )
        return Change(rec)
    note_split(ctx, rec, plan, ref, "by the tenant's split rules")
    return Change(rec)


async def _ask_split(
    source: OrderSource,
    rec: OrderRecord,
    parcels: list[Parcel],
    sizes: list[LineSize],
    max_size: Decimal | None,
) -> tuple[RemoteRef, list[Parcel] | list[list[str]]]:
    """Ask for the parcels; by line when no line is divided, or when the source cannot
    divide one (then the line plan, if there is one to ask for)."""
    if divides_a_line(parcels):
        try:
            return await source.split_package_by_quantity(rec.order, parcels), parcels
        except UnsupportedOperationError:
            groups = plan_split(sizes, max_size)
            if groups is None:
                raise
            return await source.split_package(rec.order, groups), groups
    groups = [list(parcel) for parcel in parcels]
    return await source.split_package(rec.order, groups), groups


def _plan_data(plan: list[Parcel] | list[list[str]]) -> dict[str, Any]:
    """A split plan for the timeline: ``groups`` of line ids, or ``parcels`` by quantity."""
    return {"parcels" if plan and isinstance(plan[0], dict) else "groups": plan}


def note_split(
    ctx: StepContext,
    rec: OrderRecord,
    plan: list[Parcel] | list[list[str]],
    ref: RemoteRef,
    why: str,
) -> None:
    """The source took a split (``plan``: groups of line ids, or parcels of ``{line id:
    quantity}``): the order waits for its replacement packages."""
    ctx.note(
        rec,
        "split",
        "ok",
        f"split into {len(plan)} packages requested {why}",
        request_id=ref.request_id,
        **_plan_data(plan),
    )
    rec.flags.split_requested = True


async def package(ctx: StepContext, rec: OrderRecord) -> Change:
    order = rec.order
    desi = weight = Decimal(0)
    for line in order.lines:
        unit = _unit_dimensions(ctx, line.barcode)
        desi += desi_of(unit) * line.quantity
        weight += unit.weight_kg * line.quantity
    pkg = Package(
        id=f"{order.id}:1",
        tenant_id=ctx.tenant.id,
        order_id=order.id,
        cargo_key=cargo_key(ctx.tenant.id, order.id),
        line_ids=[ln.line_id for ln in order.lines],
        desi=max(desi, Decimal(1)),
        weight_kg=max(weight, Decimal("0.1")),
        parcel_count=1,
        receiver=order.buyer,
        address=order.shipping_address,
        content=", ".join(ln.name for ln in order.lines)[:200],
    )
    if rec.invoice_id:
        doc = ctx.store.get("invoice", rec.invoice_id)
        pkg.invoice_number = doc.body["number"] if doc else None
    order.state = OrderState.PACKAGED
    ctx.note(
        rec,
        "package",
        "ok",
        f"1 parcel, {pkg.desi} desi, {pkg.weight_kg} kg",
        cargo_key=pkg.cargo_key,
    )
    return Change(rec, docs=[(PACKAGE, pkg.id, pkg.model_dump(mode="json"))])


async def book(ctx: StepContext, rec: OrderRecord) -> Change:
    order = rec.order
    pkg_doc = ctx.store.get(PACKAGE, f"{order.id}:1")
    assert pkg_doc is not None, "package step must run before booking"
    pkg = Package.model_validate(pkg_doc.body)
    if order.cargo_tracking_number and not rec.flags.booking_started:
        # the marketplace already booked its contracted carrier: booking ours as well would
        # send (and pay for) a second parcel
        return await _marketplace_booking(ctx, rec, pkg)
    if not rec.flags.booking_started:
        # one unit of work of its own, before the remote call: if the booking's commit is
        # lost, the retry knows a tracking number echoed by the marketplace is ours and books
        # again under the same cargo key (the carrier answers with the booking it has)
        rec.flags.booking_started = True
        return Change(rec, durable=True)
    conn_id = ctx.tenant.settings.default_carrier_connection
    carrier = ctx.connector(conn_id, Carrier, "carrier")
    pkg.sender = ctx.tenant.seller  # the label's sender is the seller, not a carrier setting
    quote = await carrier.quote(pkg)
    ctx.note(
        rec,
        "quote",
        "ok",
        f"{carrier.key}: {quote.price} {quote.currency} for {quote.billable_desi} desi",
        actor=carrier.key,
        price=str(quote.price),
    )
    booking = await carrier.create_shipment(pkg)
    shipment = Shipment(
        id=f"{order.id}:1",
        tenant_id=ctx.tenant.id,
        order_id=order.id,
        package_id=pkg.id,
        connection_id=conn_id or "",
        carrier=carrier.key,
        cargo_key=booking.cargo_key,
        tracking_number=booking.tracking_number,
        tracking_url=booking.tracking_url,
        cost=quote.price,
        booked_at=ctx.clock(),
        remote_id=booking.remote_id,
    )
    rec.shipment_id = shipment.id
    order.state = OrderState.BOOKED
    ctx.note(
        rec,
        "book",
        "ok",
        f"{carrier.key} tracking {booking.tracking_number}",
        request_id=booking.request_id,
        actor=carrier.key,
        cargo_key=booking.cargo_key,
    )
    return Change(
        rec,
        docs=[(SHIPMENT, shipment.id, shipment.model_dump(mode="json"))],
        blobs=label_blobs(order.id, booking.label),
    )


async def _marketplace_booking(ctx: StepContext, rec: OrderRecord, pkg: Package) -> Change:
    """Record the marketplace's booking as our shipment. Its label is fetched when first
    printed (:func:`marketplace_label`): marketplaces ration label calls (Trendyol: 100 a
    minute), and booking must not wait on that."""
    order = rec.order
    source = ctx.connector(order.connection_id, OrderSource, "order source")
    carrier = order.cargo_provider or source.key
    shipment = Shipment(
        id=f"{order.id}:1",
        tenant_id=ctx.tenant.id,
        order_id=order.id,
        package_id=pkg.id,
        connection_id=order.connection_id,
        carrier=carrier,
        cargo_key=pkg.cargo_key,
        tracking_number=order.cargo_tracking_number or "",
        booked_at=ctx.clock(),
    )
    rec.shipment_id = shipment.id
    rec.flags.marketplace_shipment = rec.flags.tracking_sent = True
    order.state = OrderState.BOOKED
    ctx.note(
        rec,
        "book",
        "ok",
        f"{carrier} under {source.key}'s contract, tracking {shipment.tracking_number}; "
        "its label comes from the marketplace when first printed",
        actor=source.key,
        cargo_key=pkg.cargo_key,
    )
    return Change(
        rec,
        docs=[
            (SHIPMENT, shipment.id, shipment.model_dump(mode="json")),
            (LABEL_DUE, shipment.id, {"order_id": order.id, "since": ctx.clock().isoformat()}),
        ],
    )


async def marketplace_label(ctx: StepContext, rec: OrderRecord) -> bool:
    """Fetch and keep the marketplace's label for an order it shipped under its contract.
    False when the marketplace offers none, the order is not such a shipment, or it was
    cancelled (nothing to print for a parcel that will not go)."""
    if not rec.flags.marketplace_shipment or rec.order.state is OrderState.CANCELLED:
        _label_settled(ctx.store, rec.shipment_id)
        return False
    order = rec.order
    source = ctx.connector(order.connection_id, OrderSource, "order source")
    try:
        label = await source.fetch_label(order)
    except UnsupportedOperationError:
        _label_settled(ctx.store, rec.shipment_id)
        return False
    if label is None or not (label.zpl or label.pdf):
        return False  # not ready yet at the marketplace: the sweep asks again
    store_label(ctx.store, order.id, label, rec.shipment_id)
    return True


def store_label(
    store: TenantStore, order_id: str, label: Label, shipment_id: str | None = None
) -> None:
    """Keep a label fetched on first print, as the marketplace gave it (not a step: nothing
    else changes with it); its PDF is drawn when first asked for (:mod:`kervan.documents`).
    The shipment leaves the label sweep's list in the same transaction."""
    with store.transaction() as tx:
        store.put_blobs(tx, label_blobs(order_id, label))
        if shipment_id and tx.get(LABEL_DUE, shipment_id) is not None:
            tx.remove(LABEL_DUE, shipment_id)


def _label_settled(store: TenantStore, shipment_id: str | None) -> None:
    """No label will come for this shipment (cancelled, or the marketplace offers none)."""
    if shipment_id:
        with contextlib.suppress(DocumentNotFound):
            store.remove(LABEL_DUE, shipment_id)


async def follow_source(ctx: StepContext, rec: OrderRecord) -> Change:
    """Carry the marketplace's carrier status over to the shipment and the order."""
    order = rec.order
    status = order.carrier_status
    assert status is not None and rec.shipment_id is not None
    event = TrackingEvent(
        at=order.remote_updated_at or ctx.clock(),
        status=status,
        description=f"{order.source}: {order.remote_status}",
    )
    doc = ctx.store.get(SHIPMENT, rec.shipment_id)
    if doc is None:
        raise InvalidInputError(f"order {order.id}: shipment {rec.shipment_id} is missing")
    # the marketplace is the authority on its own carrier: take its status as it stands
    shipment = Shipment.model_validate(doc.body).model_copy(
        update={"status": _STATUS_OF.get(status, ShipmentStatus.IN_TRANSIT)}
    )
    change = apply_tracking(ctx, rec, shipment)
    change.updates.append((SHIPMENT, rec.shipment_id, merge_into_body([event])))
    return change


async def send_tracking(ctx: StepContext, rec: OrderRecord) -> Change:
    """Tell the marketplace the tracking number of the parcel our carrier picked up.

    A temporary failure is retried on the step's backoff. A refusal is recorded on the
    timeline for a person and not asked again: the parcel travels whatever the marketplace
    says, and the order must not fail over it."""
    doc = ctx.store.get(SHIPMENT, rec.shipment_id or "")
    if doc is None:
        raise InternalError(f"order {rec.order.id} names shipment {rec.shipment_id}, not stored")
    shipment = Shipment.model_validate(doc.body)
    source = ctx.connector(rec.order.connection_id, OrderSource, "order source")
    try:
        ref = await source.send_tracking_number(
            rec.order, shipment.tracking_number, shipment.carrier
        )
        ctx.note(
            rec,
            "send_tracking",
            "ok",
            f"tracking sent to {source.key}",
            request_id=ref.request_id,
            actor=source.key,
        )
    except UnsupportedOperationError as exc:
        ctx.note(rec, "send_tracking", "skipped", exc.message)
    except KervanError as exc:
        if exc.retryable:
            raise
        ctx.note(rec, "send_tracking", "failed", f"{exc.message}; not sent again", actor=source.key)
    rec.flags.tracking_sent = True
    return Change(rec)


_ACTIVE = [
    ShipmentStatus.BOOKED.value,
    ShipmentStatus.PICKED_UP.value,
    ShipmentStatus.IN_TRANSIT.value,
]
_STATUS_OF: dict[TrackingStatus, ShipmentStatus] = {
    TrackingStatus.PICKED_UP: ShipmentStatus.PICKED_UP,
    TrackingStatus.IN_TRANSIT: ShipmentStatus.IN_TRANSIT,
    TrackingStatus.OUT_FOR_DELIVERY: ShipmentStatus.IN_TRANSIT,
    TrackingStatus.DELIVERED: ShipmentStatus.DELIVERED,
    TrackingStatus.RETURNED: ShipmentStatus.RETURNED,
    TrackingStatus.CANCELLED: ShipmentStatus.CANCELLED,
}


def active_shipments(ctx: StepContext, connection_id: str) -> list[Shipment]:
    docs = ctx.store.query(Query(SHIPMENT, {"connection_id": connection_id, "status": _ACTIVE}))
    return [Shipment.model_validate(d.body) for d in docs]


def merge_events(shipment: Shipment, events: list[TrackingEvent]) -> bool:
    """Add events not seen before; move the status forward. True if anything changed."""
    seen = {(e.at, e.status) for e in shipment.events}
    new = sorted((e for e in events if (e.at, e.status) not in seen), key=lambda e: e.at)
    if not new:
        return False
    shipment.events.extend(new)
    for event in new:
        shipment.status = _STATUS_OF.get(event.status, shipment.status)
    return True


def merge_into_body(
    events: list[TrackingEvent],
) -> Callable[[dict[str, Any]], dict[str, Any] | None]:
    """A store ``update`` change: merge ``events`` into a stored shipment unless it was
    cancelled meanwhile or nothing is new."""

    def change(body: dict[str, Any]) -> dict[str, Any] | None:
        shipment = Shipment.model_validate(body)
        if shipment.status is ShipmentStatus.CANCELLED or not merge_events(shipment, events):
            return None
        return shipment.model_dump(mode="json")

    return change


def apply_tracking(ctx: StepContext, rec: OrderRecord, shipment: Shipment) -> Change:
    """Carry a shipment's progress over to its order (pickup releases the held e-Fatura and
    consumes the reserved stock)."""
    change = Change(rec)
    picked = shipment.status in (
        ShipmentStatus.PICKED_UP,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.DELIVERED,
    )
    if picked and not rec.flags.picked_up:
        rec.flags.picked_up = True
        if not rec.flags.stock_consumed:
            change.stock.extend(stock.consume(rec))
            rec.flags.stock_consumed = True
        if rec.order.state in (OrderState.BOOKED, OrderState.PACKED):
            rec.order.state = OrderState.SHIPPED
        ctx.note(rec, "track", "ok", f"picked up by {shipment.carrier}", actor=shipment.carrier)
    if shipment.status is ShipmentStatus.DELIVERED and rec.order.state is not OrderState.DELIVERED:
        rec.order.state = OrderState.DELIVERED
        ctx.note(rec, "track", "ok", "delivered", actor=shipment.carrier)
    if shipment.status is ShipmentStatus.RETURNED:
        ctx.note(rec, "track", "info", "returned to sender", actor=shipment.carrier)
    return change


def load_record(ctx: StepContext, order_id: str) -> OrderRecord | None:
    doc = ctx.store.get(ORDER, order_id)
    if doc is None:
        return None
    ctx.cas = doc.cas
    return OrderRecord.from_body(doc.body)
