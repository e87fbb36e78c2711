"""What the outside tells us about work already sent: the carrier's tracking events and GİB's
answer on a submitted invoice. Each answer moves the remote's document and its order together,
in one transaction, so a crash in between cannot leave an order that never learns."""

from __future__ import annotations

from typing import Any

from ..domain import DocumentStatus, Invoice, Shipment, ShipmentStatus, TrackingEvent
from ..store.port import CasMismatch
from . import shipping
from .context import StepContext
from .invoice import forget_registration
from .records import INVOICE, ORDER, SHIPMENT, sortable


def follow(ctx: StepContext, shipment_id: str, events: list[TrackingEvent]) -> bool:
    """New carrier events: the shipment takes them and its order follows, in one change
    (pickup consumes the stock with it), planned again from the store on a conflict.
    False when nothing was new or the shipment was cancelled meanwhile."""
    for _ in range(20):
        doc = ctx.store.get(SHIPMENT, shipment_id)
        if doc is None:
            return False
        shipment = Shipment.model_validate(doc.body)
        if shipment.status is ShipmentStatus.CANCELLED or not shipping.merge_events(
            shipment, events
        ):
            return False
        rec = shipping.load_record(ctx, shipment.order_id)
        if rec is None:
            return False
        change = shipping.apply_tracking(ctx, rec, shipment)
        # merged again inside the transaction (a concurrent poll's events stay); a
        # cancellation changes the order too, so the order's CAS catches it
        change.updates.append((SHIPMENT, shipment_id, shipping.merge_into_body(events)))
        try:
            ctx.commit(change)
            return True
        except CasMismatch:
            continue
    return False


def invoice_answered(
    ctx: StepContext, invoice: Invoice, status: DocumentStatus, detail: str | None
) -> bool:
    """GİB's answer on a queued invoice: the invoice and its order move together (only a
    still-queued document moves: a cancellation that landed meanwhile wins); a rejected
    e-Fatura drops the registry answer it was made on. True when it moved."""
    now = ctx.clock()
    with ctx.store.transaction() as tx:
        doc = tx.get(INVOICE, invoice.id)
        if doc is None or doc.body["status"] != DocumentStatus.QUEUED.value:
            return False
        tx.replace(
            INVOICE, invoice.id, {**doc.body, "status": status.value, "status_detail": detail}
        )
        if status is DocumentStatus.REJECTED:
            for kind, key in forget_registration(invoice):
                if tx.get(kind, key) is not None:
                    tx.remove(kind, key)
        order = tx.get(ORDER, invoice.order_id or "")
        if order is not None:
            body: dict[str, Any] = {
                **order.body,
                "invoice_status": status.value,
                "due_at": sortable(now),  # the next advance sends it on (or stops)
                "waiting_for": None,
            }
            tx.replace(ORDER, order.key, body)
    return True
