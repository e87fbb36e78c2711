"""The order steps up to the invoice: reserve, classify, invoice, submit, send, accept.

Each step reads the record it is given, asks the remote, and returns the change: the order's
new state with every write it implies (:class:`~.change.Change`); the engine commits it in one
transaction with the order's CAS. Every step is safe to run again: it checks what is already
done first, and the remote calls it makes are idempotent at the connector.
"""

from __future__ import annotations

import asyncio
import uuid as uuidlib
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from .. import invoicing, tax
from ..documents import pdf_key, xml_key
from ..domain import DocumentKind, DocumentStatus, Invoice, OrderState
from ..errors import ConflictError, InvalidInputError, KervanError, UnsupportedOperationError
from ..roles import DocumentIssuer, OrderSource, Registration, TaxClassifier
from . import amounts, registrations, stock
from .change import Change, NewInvoice
from .context import StepContext
from .records import INVOICE, OrderRecord

ISTANBUL = ZoneInfo("Europe/Istanbul")
HOLD_BASE = timedelta(seconds=30)
HOLD_MAX = timedelta(minutes=30)


def ctx_backoff(now: datetime, attempts: int) -> datetime:
    """When to try again after ``attempts`` failures: 30 s doubling, capped at 30 min."""
    return now + min(HOLD_MAX, HOLD_BASE * (2 ** min(max(attempts, 1) - 1, 10)))


def hold(ctx: StepContext, rec: OrderRecord, step: str, reason: str) -> None:
    """Put the order on hold for ``step`` with a backoff; the reconciler brings it back."""
    rec.attempts += 1
    now = ctx.clock()
    rec.due_at = ctx_backoff(now, rec.attempts)
    rec.order.state = OrderState.ON_HOLD
    rec.order.hold_reason = reason
    rec.hold_step = step
    ctx.note(rec, step, "held", reason, retry_in_s=int((rec.due_at - now).total_seconds()))


def _clear_hold(rec: OrderRecord) -> None:
    """A held step went through (the commit plans the next due time)."""
    rec.order.hold_reason = None
    rec.hold_step = None


def _source(ctx: StepContext, rec: OrderRecord) -> OrderSource:
    return ctx.connector(rec.order.connection_id, OrderSource, "order source")


def _issuer(ctx: StepContext) -> DocumentIssuer:
    return ctx.connector(ctx.tenant.settings.default_issuer_connection, DocumentIssuer, "issuer")


async def reserve(ctx: StepContext, rec: OrderRecord) -> Change:
    shortages, unmanaged, need, moves = stock.reserve(ctx.store, rec)
    if shortages:
        hold(ctx, rec, "reserve", "out of stock: " + "; ".join(shortages))
        return Change(rec)
    _clear_hold(rec)
    rec.reserved = need
    rec.order.state = OrderState.STOCK_RESERVED
    data: dict[str, Any] = {"reserved": rec.reserved}
    if unmanaged:
        data["not_stock_managed"] = unmanaged
    ctx.note(rec, "reserve", "ok", None, **data)
    return Change(rec, stock=moves)


async def classify(ctx: StepContext, rec: OrderRecord) -> Change:
    order = rec.order
    lookup: Registration | tax.LookupFailed | None = None
    kept = None  # a registry answer kept from an earlier order of this buyer
    if tax.needs_lookup(order):
        lookup = kept = registrations.cached(ctx, order.buyer.tax_id)
        if kept is None:
            lookup = await _ask_registry(ctx, order.buyer.tax_id)
    decision = tax.decide(order, lookup)
    also: list[tuple[str, str, dict[str, Any]]] = []
    if decision.hold:
        hold(ctx, rec, "classify", decision.reason)
    else:
        _clear_hold(rec)
        rec.decision = decision.model_dump(mode="json")
        order.state = OrderState.CLASSIFIED
        if isinstance(lookup, Registration) and kept is None:
            doc = registrations.keep(ctx, lookup, decision.kind)
            also = [doc] if doc else []
        ctx.note(
            rec,
            "classify",
            "ok",
            decision.reason,
            kind=str(decision.kind),
            profile=decision.profile,
            receiver_alias=decision.receiver_alias,
            **({"registry": f"kept answer of {kept.checked_at.isoformat()}"} if kept else {}),
        )
    return Change(rec, docs=also)


async def _ask_registry(ctx: StepContext, tax_id: str) -> Registration | tax.LookupFailed:
    classifier = ctx.connector(
        ctx.tenant.settings.default_classifier_connection, TaxClassifier, "classifier"
    )
    try:
        return await classifier.lookup(tax_id)
    except KervanError as exc:  # an outage is not an answer: the order waits
        return tax.LookupFailed(reason=f"{type(exc).__name__}: {exc.message}", at=ctx.clock())


def _draft(ctx: StepContext, rec: OrderRecord, rate: Decimal | None) -> Change:
    """The draft invoice, numbered inside the commit that records it with the order (no gap,
    no repeat); the XML is built by the next run of the step, from the stored draft."""
    decision = tax.Decision.model_validate(rec.decision)
    settings = ctx.tenant.settings
    if ctx.tenant.seller is None:
        raise InvalidInputError(f"tenant {ctx.tenant.id} has no seller party (VKN, address) set")
    assert decision.kind is not None
    seller = ctx.tenant.seller
    issued_at = ctx.clock().astimezone(ISTANBUL)
    key = f"sale:{rec.order.id}"
    order = rec.order.model_copy(deep=True)

    def build(number: str) -> dict[str, Any]:
        invoice = invoicing.invoice_from_order(
            order,
            decision,
            seller=seller,
            number=number,
            uuid=str(uuidlib.uuid4()),
            issued_at=issued_at,
            sender_alias=settings.sender_alias,
            website=settings.website,
            carrier_name=order.cargo_provider,
            exchange_rate=rate,
        )
        invoice.tenant_id = ctx.tenant.id
        invoice.id = key
        return invoice.model_dump(mode="json")

    rec.invoice_id, rec.invoice_kind = key, decision.kind
    rec.invoice_status = DocumentStatus.DRAFT
    ctx.note(rec, "invoice", "info", "draft invoice numbered")
    series = settings.invoice_series[decision.kind.value]
    return Change(rec, invoice=NewInvoice(key, series, issued_at.year, build))


def load_invoice(ctx: StepContext, rec: OrderRecord) -> Invoice:
    doc = ctx.store.get(INVOICE, rec.invoice_id or "")
    if doc is None:
        raise InvalidInputError(f"order {rec.order.id}: invoice {rec.invoice_id} is missing")
    return Invoice.model_validate(doc.body)


def invoice_doc(invoice: Invoice) -> tuple[str, str, dict[str, Any]]:
    """The invoice as a document for :meth:`StepContext.save`'s ``also``."""
    return INVOICE, invoice.id, invoice.model_dump(mode="json")


def _exchange_rate(ctx: StepContext, rec: OrderRecord) -> tuple[bool, Decimal | None]:
    """(ok, rate): a non-TRY order needs the tenant's rate for its currency, else it waits."""
    currency = rec.order.currency
    if currency == "TRY":
        return True, None
    rate = ctx.tenant.settings.exchange_rates.get(currency)
    if rate is None:
        hold(
            ctx,
            rec,
            "invoice",
            f"no TRY exchange rate for {currency}: set tenant settings "
            f"exchange_rates.{currency} to invoice this order",
        )
        return False, None
    return True, rate


async def issue_invoice(ctx: StepContext, rec: OrderRecord) -> Change:
    """Two units of work: the numbered draft (committed with the order), then its XML."""
    if not rec.invoice_id:
        ok, rate = _exchange_rate(ctx, rec)
        if not ok:
            return Change(rec)
        problem = amounts.check(rec)  # the invoice states what the buyer paid (VUK 230)
        if problem is not None:
            rec.fail(problem)
            ctx.note(rec, "invoice", "failed", problem)
            return Change(rec)
        _clear_hold(rec)
        return _draft(ctx, rec, rate)
    invoice = load_invoice(ctx, rec)
    _clear_hold(rec)
    issuer = _issuer(ctx)
    try:
        # in a worker thread: building and validating (GİB's schematron) take milliseconds
        # that the event loop spends on other orders meanwhile
        xml = await asyncio.to_thread(issuer.build_xml, invoice)
    except InvalidInputError as exc:
        # never leaves: the draft keeps its number; a person fixes the data and retries
        rec.fail(exc.message)
        ctx.note(rec, "invoice", "failed", exc.message)
        return Change(rec)
    invoice.status = DocumentStatus.ISSUED
    rec.invoice_status = DocumentStatus.ISSUED
    rec.order.state = OrderState.INVOICED
    ctx.note(
        rec,
        "invoice",
        "ok",
        f"{invoice.kind} {invoice.profile} {invoice.number}",
        number=invoice.number,
        uuid=invoice.uuid,
        total=str(invoice.totals.payable),
    )
    return Change(
        rec, docs=[invoice_doc(invoice)], blobs=[(xml_key(invoice.uuid), xml, "application/xml")]
    )


async def submit_invoice(ctx: StepContext, rec: OrderRecord) -> Change:
    invoice = load_invoice(ctx, rec)
    blob = ctx.store.get_blob(xml_key(invoice.uuid))
    if blob is None:
        raise InvalidInputError(f"invoice {invoice.number}: its XML is missing")
    issuer = _issuer(ctx)
    sub = await issuer.submit(invoice, blob[0])
    invoice.status, invoice.remote_id, invoice.status_detail = sub.status, sub.remote_id, sub.detail
    rec.invoice_status = sub.status
    rec.flags.invoice_submitted = True
    removes = []
    if sub.status is DocumentStatus.REJECTED:
        rec.fail(f"invoice {invoice.number} rejected: {sub.detail}")
        removes = forget_registration(invoice)
    ctx.note(
        rec,
        "submit_invoice",
        "failed" if sub.status is DocumentStatus.REJECTED else "ok",
        f"{invoice.kind} {invoice.number} → {sub.status}"
        + (" (already at integrator)" if sub.already_existed else ""),
        request_id=sub.request_id,
        actor=issuer.key,
    )
    return Change(rec, docs=[invoice_doc(invoice)], removes=removes)


def forget_registration(invoice: Invoice) -> list[tuple[str, str]]:
    """A rejected e-Fatura may mean the registry answer we kept is out of date: the removal
    that makes the next order ask again."""
    if invoice.kind is DocumentKind.EFATURA and invoice.buyer.tax_id:
        return [registrations.forget(invoice.buyer.tax_id)]
    return []


async def send_invoice(ctx: StepContext, rec: OrderRecord) -> Change:
    invoice = load_invoice(ctx, rec)
    issuer, source = _issuer(ctx), _source(ctx, rec)
    blobs: list[tuple[str, bytes, str]] = []
    try:
        url = await issuer.document_url(invoice.kind, invoice.uuid)
        if url:
            ref = await source.send_invoice_link(rec.order, invoice, url)
            how = "link"
        else:
            pdf = await issuer.fetch_pdf(invoice.kind, invoice.uuid)
            blobs.append((pdf_key(invoice.uuid), pdf, "application/pdf"))
            ref = await source.send_invoice_file(rec.order, invoice, pdf)
            how = "file"
        ctx.note(
            rec,
            "send_invoice",
            "ok",
            f"invoice {how} sent to {source.key}",
            request_id=ref.request_id,
            actor=source.key,
        )
    except ConflictError as exc:
        ctx.note(rec, "send_invoice", "ok", f"marketplace already has it: {exc.message}")
    except UnsupportedOperationError as exc:
        ctx.note(rec, "send_invoice", "skipped", exc.message)
    rec.flags.invoice_sent = True
    return Change(rec, blobs=blobs)


async def accept(ctx: StepContext, rec: OrderRecord) -> Change:
    source = _source(ctx, rec)
    if not rec.flags.accepted_remote:
        try:
            ref = await source.accept(rec.order)
            ctx.note(
                rec,
                "accept",
                "ok",
                f"accepted at {source.key}",
                request_id=ref.request_id,
                actor=source.key,
            )
        except UnsupportedOperationError as exc:
            ctx.note(rec, "accept", "skipped", exc.message)
        rec.flags.accepted_remote = True
    rec.order.state = OrderState.ACCEPTED
    return Change(rec)
