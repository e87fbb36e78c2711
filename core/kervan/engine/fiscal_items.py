"""Fiscal items: invoices that wait for a person before the books may move.

* ``return_document``: an order was cancelled after its e-Fatura left. An e-Fatura is never
  deleted, so the sale stays valid until a return document exists: the buyer's IADE invoice
  (found among incoming documents) or a cancellation recorded at GİB (the e-Fatura portal's
  cancellation request, or a notary/KEP notice). Until then no reversal reaches the ERP.
  The buyer's IADE is looked for among the documents the integrator received
  (:func:`find_return_documents`, run with every poll of the integrator); an operator records
  a GİB cancellation, or an IADE found some other way.
* ``refused_invoice``: the buyer answered RED to a TICARIFATURA. The sale did not happen as
  invoiced; an operator decides (a corrected invoice, a cancellation) and records it.

Each item is a store document keyed by the invoice it is about. Resolving one writes, in one
transaction: the item, the invoice's outcome, the ERP reversal event and a timeline entry on
the order (who resolved it, how, with which reference).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from ..domain import DocumentStatus, Invoice, TimelineEntry
from ..errors import (
    InvalidInputError,
    NotFoundError,
    StateConflictError,
    UnsupportedOperationError,
)
from ..roles import DocumentIssuer
from ..store.port import Query, TenantStore, declare_kind
from .records import INVOICE, ORDER, OUTBOX, OrderRecord

FISCAL_ITEM = "fiscal_item"
declare_kind(FISCAL_ITEM, ("topic", "status", "order_id", "opened_at"))


class Topic(StrEnum):
    RETURN_DOCUMENT = "return_document"
    REFUSED_INVOICE = "refused_invoice"


#: how each topic may be resolved
RESOLUTIONS: dict[Topic, frozenset[str]] = {
    Topic.RETURN_DOCUMENT: frozenset({"buyer_return_invoice", "gib_cancellation"}),
    Topic.REFUSED_INVOICE: frozenset({"reissued", "cancelled_with_buyer"}),
}


def item_key(topic: Topic, invoice_id: str) -> str:
    return f"{topic.value}|{invoice_id}"


def open_item(
    topic: Topic, invoice: Invoice, rec: OrderRecord, now: datetime, reason: str
) -> tuple[str, str, dict[str, Any]]:
    """The item as a document write for a step's change (kind, key, body)."""
    key = item_key(topic, invoice.id)
    body: dict[str, Any] = {
        "id": key,
        "topic": topic.value,
        "status": "open",
        "reason": reason,
        "order_id": rec.order.id,
        "order_number": rec.order.order_number,
        "ship_by": rec.order.ship_by.isoformat() if rec.order.ship_by else None,
        "invoice_id": invoice.id,
        "invoice_number": invoice.number,
        "invoice_uuid": invoice.uuid,
        "profile": invoice.profile,
        "buyer": invoice.buyer.display_name,
        "buyer_tax_id": invoice.buyer.tax_id,
        "total": str(invoice.totals.payable),
        "currency": invoice.currency,
        "opened_at": now.isoformat(),
        "resolution": None,
    }
    return FISCAL_ITEM, key, body


def reversal_event(
    rec_id: str, invoice_id: str, now: datetime, **why: Any
) -> tuple[str, dict[str, Any]]:
    """The outbox event that lets ERP sinks reverse the sale of ``rec_id``."""
    body = {
        "topic": "order.reverse",
        "order_id": rec_id,
        "invoice_id": invoice_id,
        "done": False,
        "at": now.isoformat(),
        **why,
    }
    return f"reverse:{rec_id}", body


def resolve(
    store: TenantStore,
    key: str,
    *,
    how: str,
    reference: str,
    note: str,
    actor: str,
    now: datetime,
) -> dict[str, Any]:
    """Resolve the open item ``key``; returns the item as stored."""
    with store.transaction() as tx:
        doc = tx.get(FISCAL_ITEM, key)
        if doc is None:
            raise NotFoundError(f"fiscal item {key} not found")
        item = dict(doc.body)
        topic = Topic(item["topic"])
        if item["status"] != "open":
            raise StateConflictError(
                f"fiscal item {key} is already resolved ({item['resolution']['how']})",
                order_id=item["order_id"],
                action="resolve",
                state="resolved",
            )
        if how not in RESOLUTIONS[topic]:
            raise InvalidInputError(
                f"a {topic.value} item is resolved by one of: {', '.join(sorted(RESOLUTIONS[topic]))}",
                errors=[{"loc": ["how"], "msg": f"not a way to resolve a {topic.value} item"}],
            )
        resolution = {"how": how, "reference": reference, "note": note, "by": actor, "at": now}
        item.update(status="resolved", resolution={**resolution, "at": now.isoformat()})
        tx.replace(FISCAL_ITEM, key, item)
        invoice_doc = tx.get(INVOICE, item["invoice_id"])
        if invoice_doc is not None:
            body = dict(invoice_doc.body)
            if how in ("gib_cancellation", "cancelled_with_buyer"):
                body["status"] = DocumentStatus.CANCELLED.value
            body["status_detail"] = f"{topic.value}: {how} {reference}".strip()
            tx.replace(INVOICE, invoice_doc.key, body)
        okey, event = reversal_event(
            item["order_id"],
            item["invoice_id"],
            now,
            because=topic.value,
            how=how,
            reference=reference,
        )
        tx.upsert(OUTBOX, okey, event)
        order_doc = tx.get(ORDER, item["order_id"])
        if order_doc is not None:
            rec = OrderRecord.from_body(order_doc.body)
            rec.log(
                TimelineEntry(
                    at=now,
                    step="fiscal_item",
                    outcome="ok",
                    actor=actor,
                    message=f"{topic.value} resolved: {how} {reference}; reversal sent to ERP",
                    data={"note": note, "invoice": item["invoice_number"]},
                )
            )
            tx.replace(ORDER, order_doc.key, rec.to_body())
    return item


#: how far before the oldest open item to look for a buyer's IADE (it may be issued before
#: the marketplace's cancellation reaches us)
LOOK_BACK = timedelta(days=15)


async def find_return_documents(
    store: TenantStore, issuer: DocumentIssuer, now: datetime
) -> list[str]:
    """Resolve open ``return_document`` items whose buyer's IADE invoice has arrived: asks the
    issuer for the return invoices received since the oldest open item (less
    :data:`LOOK_BACK`), and matches each to the items whose invoice number it refers to and
    whose buyer issued it. Returns the orders whose item was resolved. An issuer that cannot
    list incoming documents leaves the items to an operator."""
    docs = store.query(
        Query(FISCAL_ITEM, {"topic": Topic.RETURN_DOCUMENT.value, "status": "open"}, limit=1000)
    )
    if not docs:
        return []
    since = min(datetime.fromisoformat(d.body["opened_at"]) for d in docs) - LOOK_BACK
    try:
        received = await issuer.incoming_returns(since.date())
    except UnsupportedOperationError:
        return []
    resolved = []
    for doc in docs:
        item = doc.body
        match = next(
            (
                r
                for r in received
                if item["invoice_number"] in r.refers_to
                and (not item.get("buyer_tax_id") or r.sender_tax_id == item["buyer_tax_id"])
            ),
            None,
        )
        if match is None:
            continue
        try:
            resolve(
                store,
                doc.key,
                how="buyer_return_invoice",
                reference=match.number,
                note=f"found among incoming documents (UUID {match.uuid}, {match.issued_on})",
                actor=issuer.key,
                now=now,
            )
        except StateConflictError:  # a person resolved it meanwhile
            continue
        resolved.append(item["order_id"])
    return resolved
