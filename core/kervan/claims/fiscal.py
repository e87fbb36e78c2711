"""Which fiscal document a return needs, and issuing it.

The rule (docs/returns.md has it with its sources, ../shared reference apis-2 §8):

* **The sale was invoiced on e-Fatura** (a registered buyer): the *buyer* issues the return
  invoice (IADE) to the seller, referring to our invoice in ``cac:BillingReference``. Kervan
  issues nothing; the return waits (``buyer_return_invoice``) until the IADE shows among the
  documents the integrator received (:func:`kervan.claims.service.Returns.find_return_invoices`)
  or an operator records one that came another way.
* **e-Arşiv to a private person**: the seller writes a **gider pusulası** (expense voucher)
  for the refund, VAT shown separately, numbered in its own series (``expense_voucher``).
  Never an IADE "from" a private person.
* **e-Arşiv to a company** (a VKN not registered for e-Fatura): a taxpayer documents a return
  with an invoice of its own (paper or e-Arşiv), never a gider pusulası; it waits for the
  buyer's return invoice, which an operator records.
* **e-Arşiv returned whole, inside the cancellation window**, when the tenant chose
  ``returns_earsiv = "cancel_invoice"``: the invoice is cancelled instead
  (:func:`kervan.returns.earsiv_cancellable` says whether it still may be).
* **Export / micro export**: customs documents are involved; an operator records what was
  done (``operator``).
* **No sales invoice** (never issued, voided or already cancelled): nothing to document.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal
from typing import Any

from .. import numbering
from ..domain import (
    PERSON_PLACEHOLDER,
    DocumentKind,
    DocumentStatus,
    Invoice,
    Order,
    PartyKind,
)
from ..engine.invoice import invoice_doc
from ..engine.records import INVOICE, ORDER, OrderRecord
from ..errors import InvalidInputError, UnsupportedOperationError
from ..roles import DocumentIssuer
from ..store.port import TenantStore, declare_kind
from .commit import ClaimChange, note
from .plan import settled_lines
from .record import ClaimRecord, Document

EXPENSE_VOUCHER = "expense_voucher"
#: the store kind of a gider pusulası (one per return), and the owner kind of its number
VOUCHER = "expense_voucher"
declare_kind(VOUCHER, ("order_id", "claim_id", "number"))
BUYER_RETURN_INVOICE = "buyer_return_invoice"
EARSIV_CANCELLED = "earsiv_cancelled"
OPERATOR = "operator"
NONE = "none"
#: how a person may close a return that waits for a document
RECORDABLE = frozenset({BUYER_RETURN_INVOICE, OPERATOR})


def voucher_key(claim_key: str) -> str:
    return f"voucher:{claim_key}"


def voucher_pdf_key(claim_key: str) -> str:
    return f"voucher:{claim_key}:pdf"


def sales_invoice(store: TenantStore, order: OrderRecord) -> Invoice | None:
    if not order.invoice_id:
        return None
    doc = store.get(INVOICE, order.invoice_id)
    return Invoice.model_validate(doc.body) if doc else None


def returned_units(rec: ClaimRecord, order: Order | None = None) -> dict[str, int]:
    """Settled claim lines as order line id → units (one claim item is one unit): the
    order's own line ids when ``order`` is given (a claim line may name it by barcode only),
    else the ids the marketplace gave."""
    wanted = set(settled_lines(rec))
    units: Counter[str] = Counter()
    for line in rec.claim.lines:
        if line.id in wanted:
            line_id = line.order_line_id
            if order is not None:
                line_id = _order_line(order, line_id, line.barcode)
            units[line_id] += int(line.quantity)
    return dict(units)


def _order_line(order: Order, line_id: str, barcode: str) -> str:
    if any(ln.line_id == line_id for ln in order.lines):
        return line_id
    match = next((ln.line_id for ln in order.lines if ln.barcode == barcode), None)
    if match is None:
        raise InvalidInputError(
            f"claim line {line_id} (barcode {barcode}) matches no line of order "
            f"{order.order_number}"
        )
    return match


def whole(order: Order, units: dict[str, int]) -> bool:
    return all(units.get(ln.line_id, 0) >= int(ln.quantity) for ln in order.lines)


def route(
    invoice: Invoice | None, order: Order, units: dict[str, int], choice: str, now: datetime
) -> tuple[str, str]:
    """``(route, why)`` for a return of ``units`` of ``order`` (see the module docstring)."""
    if invoice is None or invoice.status in (
        DocumentStatus.VOIDED,
        DocumentStatus.CANCELLED,
        DocumentStatus.DRAFT,
    ):
        return NONE, "the order has no valid sales invoice"
    if invoice.kind is DocumentKind.EFATURA:
        return BUYER_RETURN_INVOICE, (
            f"e-Fatura {invoice.number}: the buyer issues the return (IADE) invoice"
        )
    if invoice.kind is not DocumentKind.EARSIV or invoice.profile == "IHRACAT":
        return (
            OPERATOR,
            f"{invoice.kind} invoice {invoice.number}: customs papers; a person records it",
        )
    if choice == "cancel_invoice" and whole(order, units):
        from ..returns import earsiv_cancellable

        why_not = earsiv_cancellable(invoice, now)
        if why_not is None:
            return EARSIV_CANCELLED, f"returned whole: e-Arşiv {invoice.number} is cancelled"
        why_not_cancel = f"; not cancelled: {why_not}"
    else:
        why_not_cancel = ""
    person = invoice.buyer.tax_id == PERSON_PLACEHOLDER or invoice.buyer.kind is PartyKind.PERSON
    if person:
        return EXPENSE_VOUCHER, f"a private person's return: gider pusulası{why_not_cancel}"
    return BUYER_RETURN_INVOICE, (
        f"a company's return of e-Arşiv {invoice.number}: it issues a return invoice of its "
        f"own{why_not_cancel}"
    )


async def document(
    store: TenantStore,
    rec: ClaimRecord,
    order_rec: OrderRecord,
    issuer: DocumentIssuer | None,
    choice: str,
    series: str,
    seller: Any,
    now: datetime,
) -> ClaimChange:
    """Decide and issue the return's document; every write comes back in the change."""
    change = ClaimChange(rec)
    order = order_rec.order
    units = returned_units(rec, order)
    invoice = sales_invoice(store, order_rec)
    chosen, why = route(invoice, order, units, choice, now)
    event: dict[str, Any] = {
        "topic": "claim.returned",
        "claim_id": rec.key,
        "order_id": order.id,
        "invoice_id": invoice.id if invoice else None,
        "lines": units,
        "route": chosen,
        "done": False,
        "at": now.isoformat(),
    }
    if chosen == EXPENSE_VOUCHER:
        assert invoice is not None
        if issuer is None:
            raise InvalidInputError("no document issuer connection to render the gider pusulası")
        from ..vouchers import expense_voucher

        number = numbering.next_number(
            store, series, now.year, owner_kind=VOUCHER, owner_key=rec.key
        )
        voucher = expense_voucher(
            order,
            {k: Decimal(v) for k, v in units.items()},
            number=number,
            issued_at=now,
            seller=seller or invoice.seller,
            claim_id=rec.key,
        )
        voucher = voucher.model_copy(update={"id": voucher_key(rec.key)})
        try:
            change.blobs.append(
                (voucher_pdf_key(rec.key), issuer.render_pdf(voucher), "application/pdf")
            )
        except UnsupportedOperationError:  # the voucher stands; a renderer can print it later
            note(rec, now, "document", "info", f"{issuer.key} renders no PDF of a gider pusulası")
        change.docs.append(
            (
                VOUCHER,
                voucher.id,
                voucher.model_dump(mode="json") | {"order_id": order.id, "claim_id": rec.key},
            )
        )
        rec.document = Document(
            route=chosen, status="done", number=number, id=voucher.id, note=why, at=now
        )
        event.update(voucher_id=voucher.id, voucher_number=number, total=str(voucher.total))
        note(
            rec,
            now,
            "document",
            "ok",
            f"gider pusulası {number} issued ({voucher.total} TRY)",
            number=number,
        )
    elif chosen == EARSIV_CANCELLED:
        assert invoice is not None and issuer is not None
        sub = await issuer.cancel(invoice.kind, invoice.uuid, "returned whole")
        invoice.status = sub.status
        change.docs.append(invoice_doc(invoice))
        change.updates.append(
            (ORDER, order.id, _order_invoice_cancelled(invoice, sub.status, rec.key, now))
        )
        rec.document = Document(
            route=chosen, status="done", number=invoice.number, id=invoice.id, note=why, at=now
        )
        note(
            rec,
            now,
            "document",
            "ok",
            f"e-Arşiv {invoice.number} cancelled at {issuer.key}",
            request_id=sub.request_id,
            actor=issuer.key,
        )
    elif chosen in RECORDABLE:
        rec.document = Document(route=chosen, status="waiting", note=why, at=now)
        note(rec, now, "document", "info", why + ": waiting for it")
        return change  # the ERP hears of the return with its document
    else:
        rec.document = Document(route=chosen, status="none", note=why, at=now)
        note(rec, now, "document", "skipped", why)
    change.outbox.append((f"return:{rec.key}", event))
    return change


def _order_invoice_cancelled(
    invoice: Invoice, status: DocumentStatus, claim_key: str, now: datetime
) -> Any:
    def change(body: dict[str, Any]) -> dict[str, Any]:
        order = OrderRecord.from_body(body)
        order.invoice_status = status
        order.log(
            _entry(
                now,
                f"e-Arşiv {invoice.number} cancelled: the order was returned whole "
                f"(claim {claim_key})",
            )
        )
        return order.to_body()

    return change


def _entry(now: datetime, message: str) -> Any:
    from ..domain import TimelineEntry

    return TimelineEntry(at=now, step="return", outcome="ok", message=message)


def recorded(
    rec: ClaimRecord,
    order_id: str,
    reference: str,
    how: str,
    by: str,
    now: datetime,
    invoice_id: str | None,
) -> tuple[str, dict[str, Any]]:
    """Close a waiting document with what was found or recorded; the ERP event it implies."""
    assert rec.document is not None
    rec.document.status = "done"
    rec.document.reference = reference
    rec.document.at = now
    note(
        rec,
        now,
        "document",
        "ok",
        f"return document recorded: {how} {reference}",
        actor=by,
        how=how,
    )
    return f"return:{rec.key}", {
        "topic": "claim.returned",
        "claim_id": rec.key,
        "order_id": order_id,
        "invoice_id": invoice_id,
        "route": rec.document.route,
        "lines": returned_units(rec),
        "reference": reference,
        "how": how,
        "done": False,
        "at": now.isoformat(),
    }
