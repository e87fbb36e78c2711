"""What the outside tells us about work already sent: the carrier's tracking events and GİB's
answer on a submitted invoice. Each answer moves the remote's document and its order together,
in one transaction, so a crash in between cannot leave an order that never learns."""

from __future__ import annotations

from ..domain import DocumentStatus, Invoice, Shipment, ShipmentStatus, TrackingEvent
from ..store.port import CasMismatch
from . import fiscal_items, shipping
from .context import StepContext
from .invoice import forget_registration
from .records import INVOICE, ORDER, SHIPMENT, OrderRecord


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
    ctx: StepContext,
    invoice: Invoice,
    status: DocumentStatus,
    detail: str | None,
    answer: str | None = None,
) -> bool:
    """GİB's (or the receiver's) answer on a submitted invoice: the invoice and its order move
    together, in one transaction. Only a document still waiting moves (a cancellation that
    landed meanwhile wins). A rejection stops the order for a person (a retry sends the same
    number again) and drops the registry answer an e-Fatura was made on; a RED to a
    TICARIFATURA opens a ``refused_invoice`` fiscal item. True when something moved."""
    now = ctx.clock()
    with ctx.store.transaction() as tx:
        doc = tx.get(INVOICE, invoice.id)
        if doc is None:
            return False
        current = Invoice.model_validate(doc.body)
        moved = current.status is DocumentStatus.QUEUED and status is not current.status
        answered = (
            answer in ("KABUL", "RED")
            and current.answer is None
            and current.profile == "TICARIFATURA"
            and DocumentStatus.ACCEPTED in (current.status, status)
        )
        if not (moved or answered):
            return False
        if moved:
            current.status, current.status_detail = status, detail
        order_doc = tx.get(ORDER, invoice.order_id or "")
        rec = OrderRecord.from_body(order_doc.body) if order_doc is not None else None
        if answered:
            current.answer, current.answered_at = answer, now  # type: ignore[assignment]
        tx.replace(INVOICE, invoice.id, current.model_dump(mode="json"))
        if moved and status is DocumentStatus.REJECTED:
            for kind, key in forget_registration(invoice):
                if tx.get(kind, key) is not None:
                    tx.remove(kind, key)
        if rec is None or order_doc is None:
            return True
        if moved:
            rec.invoice_status = status
            if status is DocumentStatus.REJECTED:
                message = (
                    f"invoice {current.number} rejected by GİB: {detail}. Fix the cause and "
                    f"retry the order: the same number {current.number} is sent again"
                )
                rec.fail(message)
                ctx.note(rec, "invoice_status", "failed", message, number=current.number)
            else:
                ctx.note(rec, "invoice_status", "ok", f"invoice {current.number} {status}")
        if answered and answer == "RED":
            kind, key, body = fiscal_items.open_item(
                fiscal_items.Topic.REFUSED_INVOICE,
                current,
                rec,
                now,
                f"the buyer rejected TICARIFATURA {current.number} (RED): {detail or ''}".strip(),
            )
            if tx.get(kind, key) is None:
                tx.insert(kind, key, body)
            ctx.note(rec, "invoice_answer", "failed", f"buyer answered RED to {current.number}")
        elif answered:
            ctx.note(rec, "invoice_answer", "ok", f"buyer answered KABUL to {current.number}")
        rec.due_at, rec.waiting_for = now, None  # the next advance plans it again
        tx.replace(ORDER, order_doc.key, rec.to_body())
    return True
