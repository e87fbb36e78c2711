"""Cancellation at any stage: withdraw the invoice, cancel the shipment, release stock. Each
part is done once (``flags.cancel_done``). ERP sinks get a reversal event when the sale is
really undone: an e-Arşiv cancelled at the integrator at once; an e-Fatura only when its
return document is recorded (:mod:`.fiscal_items`); a draft that never left needs none.

The step asks each remote in turn and gathers the writes into one change; when a remote fails
part way, the change holds what is done so far and carries the error, so the engine commits
the done parts and the rest is retried."""

from __future__ import annotations

from typing import Any

from ..domain import DocumentStatus, OrderState, Package, Shipment, ShipmentStatus
from ..errors import ConflictError, KervanError, UnsupportedOperationError
from ..roles import Carrier, DocumentIssuer
from . import fiscal_items, stock
from .change import Change
from .context import StepContext
from .invoice import invoice_doc, load_invoice
from .lifecycle import booking_in_flight, cancel_plan, invoice_cancel_action
from .records import PACKAGE, SHIPMENT, OrderRecord


async def _cancel_invoice(ctx: StepContext, rec: OrderRecord, change: Change) -> None:
    invoice = load_invoice(ctx, rec)
    action = invoice_cancel_action(invoice.profile, invoice.status)
    now = ctx.clock()
    if action == "leave_first":
        # the plan submits a numbered invoice before cancelling (lifecycle.must_leave)
        raise ConflictError(f"invoice {invoice.number} must leave before it can be withdrawn")
    if action == "void":
        invoice.status = DocumentStatus.VOIDED
        ctx.note(rec, "cancel", "ok", "draft invoice voided (it never had a number)")
    elif action == "cancel":
        issuer = ctx.connector(
            ctx.tenant.settings.default_issuer_connection, DocumentIssuer, "issuer"
        )
        sub = await issuer.cancel(invoice.kind, invoice.uuid, "order cancelled")
        invoice.status = sub.status
        ctx.note(
            rec,
            "cancel",
            "ok",
            f"e-Arşiv invoice {invoice.number} cancelled at {issuer.key}",
            request_id=sub.request_id,
            actor=issuer.key,
        )
        change.outbox.append(
            fiscal_items.reversal_event(rec.order.id, invoice.id, now, because="earsiv_cancelled")
        )
        ctx.note(rec, "cancel", "ok", "reversal event queued for ERP sinks")
    elif action == "return_document":
        # An e-Fatura cannot be withdrawn: it stays valid until the buyer's IADE invoice or a
        # GİB cancellation is recorded, and only then may the books reverse the sale.
        reason = "order cancelled after the e-Fatura was sent"
        change.docs.append(
            fiscal_items.open_item(fiscal_items.Topic.RETURN_DOCUMENT, invoice, rec, now, reason)
        )
        ctx.note(
            rec,
            "cancel",
            "info",
            f"e-Fatura {invoice.number} stays valid: a return document (the buyer's IADE "
            "invoice or a GİB cancellation) is needed before the ERP reverses the sale "
            "(GET /v1/fiscal-items)",
        )
    change.docs.append(invoice_doc(invoice))
    rec.invoice_status = invoice.status


def _cancelled(body: dict[str, Any]) -> dict[str, Any] | None:
    return None if body["status"] == "cancelled" else {**body, "status": "cancelled"}


async def _settle_booking(ctx: StepContext, rec: OrderRecord, change: Change) -> None:
    """A booking may have reached the carrier without being recorded: book again under the
    same cargo key (idempotent at the carrier: it answers with the booking it has, if any)
    and cancel what that gives, so no parcel stays booked for a cancelled order."""
    pkg_doc = ctx.store.get(PACKAGE, f"{rec.order.id}:1")
    if pkg_doc is None:
        return
    conn_id = ctx.tenant.settings.default_carrier_connection
    carrier = ctx.connector(conn_id, Carrier, "carrier")
    booking = await carrier.create_shipment(Package.model_validate(pkg_doc.body))
    await carrier.cancel_shipment(booking.cargo_key)
    found = "found booked" if booking.already_existed else "booked meanwhile"
    ctx.note(
        rec,
        "cancel",
        "ok",
        f"shipment {booking.cargo_key} {found} at {carrier.key} and cancelled there",
        actor=carrier.key,
    )
    shipment = Shipment(
        id=f"{rec.order.id}:1",
        tenant_id=ctx.tenant.id,
        order_id=rec.order.id,
        package_id=pkg_doc.key,
        connection_id=conn_id or "",
        carrier=carrier.key,
        cargo_key=booking.cargo_key,
        tracking_number=booking.tracking_number,
        status=ShipmentStatus.CANCELLED,
        booked_at=ctx.clock(),
        remote_id=booking.remote_id,
    )
    change.docs.append((SHIPMENT, shipment.id, shipment.model_dump(mode="json")))
    rec.shipment_id = shipment.id


async def _cancel_shipment(ctx: StepContext, rec: OrderRecord, change: Change) -> None:
    if booking_in_flight(rec):
        await _settle_booking(ctx, rec, change)
        return
    doc = ctx.store.get(SHIPMENT, rec.shipment_id or "")
    if doc is None or doc.body["status"] == "cancelled":
        return
    if rec.flags.marketplace_shipment:
        ctx.note(rec, "cancel", "ok", "shipment booked by the marketplace: it cancels it")
        change.updates.append((SHIPMENT, doc.key, _cancelled))
        return
    carrier = ctx.connector(doc.body["connection_id"], Carrier, "carrier")
    try:
        ref = await carrier.cancel_shipment(doc.body["cargo_key"])
        ctx.note(
            rec,
            "cancel",
            "ok",
            f"shipment {doc.body['cargo_key']} cancelled at {carrier.key}",
            request_id=ref.request_id,
            actor=carrier.key,
        )
    except UnsupportedOperationError as exc:
        ctx.note(rec, "cancel", "skipped", exc.message)
    change.updates.append((SHIPMENT, doc.key, _cancelled))


async def cancel(ctx: StepContext, rec: OrderRecord) -> Change:
    change = Change(rec)
    for part in cancel_plan(rec):
        try:
            if part == "invoice":
                await _cancel_invoice(ctx, rec, change)
            elif part == "shipment":
                await _cancel_shipment(ctx, rec, change)
            elif part == "stock":
                change.stock.extend(stock.release(rec))
                rec.reserved = {}
                ctx.note(rec, "cancel", "ok", "stock released")
        except KervanError as exc:
            change.error = exc  # keep what is done; the rest is retried
            return change
        rec.flags.cancel_done.append(part)
    rec.order.state = OrderState.CANCELLED
    if rec.order.superseded and not rec.order.source_cancelled:
        ctx.note(rec, "cancel", "ok", "replaced by the packages of a split")
    return change
