"""The sales invoice steps: draft, number and submit, send to the marketplace.

The numbers GİB sees have no gap because a number is taken only in the commit that sends a
document on its way (``docs/ubl-tr.md``, "Numbering"):

1. ``issue_invoice`` builds the draft from the order and validates it (XSD, schematron, our
   arithmetic) under a provisional number; the draft is committed with the order, *without*
   a number, and with the digest of the content that passed (``checked_digest``). A draft
   that never leaves (the order is cancelled before pickup) is voided and has used no
   number.
2. ``submit_invoice``, when the document is due to leave (an e-Arşiv at once, an e-Fatura
   once the carrier has the parcel), first commits the number: the counter of its channel and
   series moves in the same transaction that records the number on the invoice. From then
   on the document leaves whatever happens: a cancellation waits until it has been
   submitted, then withdraws it the way its channel allows.
3. The next run builds the XML of the numbered invoice and submits it; numbering kept the
   digest, so the issuer checks only what numbering wrote (GİB's XSD, the number, the
   dates) unless the content changed since the draft. A crash after that
   builds the same XML again (same UUID, same number, same issue time) and the integrator
   recognises the UUID. An integrator that rejects the document stops the order for a person;
   after the fix, a retry builds the invoice again from the order with the *same number* and
   a new UUID, so the number still reaches GİB exactly once.
"""

from __future__ import annotations

import asyncio
import uuid as uuidlib
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from .. import invoicing, numbering, tax
from ..documents import pdf_key, xml_key
from ..domain import DocumentKind, DocumentStatus, Invoice, OrderState
from ..domain.catalog import ProductCard
from ..erp.events import invoiced_event
from ..errors import ConflictError, InvalidInputError, UnsupportedOperationError
from ..internet_sale import carrier_for
from ..roles import Carrier, CarrierLegal, DocumentIssuer
from . import amounts, registrations
from .change import Change, NewInvoice
from .context import StepContext
from .records import INVOICE, OrderRecord
from .shipping import product_card
from .steps import clear_hold, hold, source_of

ISTANBUL = ZoneInfo("Europe/Istanbul")


def _issuer(ctx: StepContext) -> DocumentIssuer:
    return ctx.connector(ctx.tenant.settings.default_issuer_connection, DocumentIssuer, "issuer")


def load_invoice(ctx: StepContext, rec: OrderRecord) -> Invoice:
    doc = ctx.store.get(INVOICE, rec.invoice_id or "")
    if doc is None:
        raise InvalidInputError(f"order {rec.order.id}: invoice {rec.invoice_id} is missing")
    return Invoice.model_validate(doc.body)


def invoice_doc(invoice: Invoice) -> tuple[str, str, dict[str, Any]]:
    """The invoice as a document write for a :class:`Change`."""
    return INVOICE, invoice.id, invoice.model_dump(mode="json")


def series_of(ctx: StepContext, invoice: Invoice) -> tuple[numbering.Channel, str]:
    """The channel and prefix ``invoice`` is numbered in (tenant settings)."""
    return numbering.sales_series(
        ctx.tenant.settings.invoice_series, invoice.profile, invoice.kind is DocumentKind.EXPORT
    )


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


def carrier_of(ctx: StepContext, rec: OrderRecord) -> CarrierLegal | None:
    """The company the parcel ships with, as the e-Arşiv internet-sale block names it: the
    marketplace's carrier when the marketplace books it (its cargo provider's name matched
    against the installed carrier plugins' declarations), else the tenant's carrier."""
    order = rec.order
    if order.cargo_tracking_number or rec.flags.marketplace_shipment:
        declared = type(source_of(ctx, rec)).marketplace_carriers
        found = carrier_for(order.cargo_provider, declared)
        if found is not None:
            return found
        known = getattr(ctx.connectors, "known_carriers", None)
        return carrier_for(order.cargo_provider, known() if known else [])
    conn_id = ctx.tenant.settings.default_carrier_connection
    if not conn_id:
        return None  # order_problems names what is missing
    return type(ctx.connector(conn_id, Carrier, "carrier")).legal_party


def _cards(ctx: StepContext, rec: OrderRecord) -> dict[str, ProductCard]:
    """Product cards by barcode for the order's lines (a GTİP or weight a line lacks)."""
    found = {line.barcode: product_card(ctx, line.barcode) for line in rec.order.lines}
    return {barcode: card for barcode, card in found.items() if card is not None}


def _build(
    ctx: StepContext,
    rec: OrderRecord,
    rate: Decimal | None,
    *,
    number: str,
    uuid: str,
    issued_at: datetime | None = None,
) -> Invoice:
    """The sales invoice of ``rec``'s order as it stands, under ``number``.

    Raises :class:`InvalidInputError` for what the rules refuse: the order's problems
    (:func:`kervan.invoicing.order_problems`: VAT rates of the issue date, GTİP and ETGB
    limits on exports, the buyer, the carrier of an e-Arşiv) and what
    :func:`kervan.invoicing.invoice_from_order` refuses."""
    decision = tax.Decision.model_validate(rec.decision)
    settings = ctx.tenant.settings
    if ctx.tenant.seller is None:
        raise InvalidInputError(f"tenant {ctx.tenant.id} has no seller party (VKN, address) set")
    order = rec.order
    issued_at = issued_at or ctx.clock().astimezone(ISTANBUL)
    cards = _cards(ctx, rec)
    carrier = carrier_of(ctx, rec)
    problems = invoicing.order_problems(
        order,
        decision,
        issued_at=issued_at,
        cards=cards,
        exchange_rates=settings.exchange_rates,
        carrier=carrier,
    )
    if problems:
        raise InvalidInputError(f"order {order.id}: " + "; ".join(problems))
    source = source_of(ctx, rec)
    invoice = invoicing.invoice_from_order(
        order,
        decision,
        seller=ctx.tenant.seller,
        number=number,
        uuid=uuid,
        issued_at=issued_at,
        sender_alias=settings.sender_alias,
        website=settings.website,
        carrier=carrier,
        cards=cards,
        exchange_rates=settings.exchange_rates,
        # the marketplace collects the payment: its legal name, not our connector key
        payment_agent=type(source).legal_name or source.display_name,
        exchange_rate=rate,
    )
    invoice.tenant_id = ctx.tenant.id
    invoice.id = f"sale:{order.id}"
    return invoice


async def _validated(
    ctx: StepContext,
    rec: OrderRecord,
    rate: Decimal | None,
    *,
    number: str | None,
    uuid: str,
    issued_at: datetime | None = None,
) -> Invoice:
    """The invoice built and checked by the issuer (XSD, schematron, our arithmetic). A draft
    (``number`` None) is checked under a provisional number of its own series, which is
    never stored: it only makes the document complete enough to validate.

    The result carries the digest of the content the checks passed
    (:attr:`~kervan.domain.Invoice.checked_digest`): numbering changes only what the digest
    leaves out, so the issuer need not run GİB's full rules on the same content again when
    the numbered invoice leaves (``kervan_ubltr.build_valid``)."""
    decision = tax.Decision.model_validate(rec.decision)
    micro = decision.kind is DocumentKind.EXPORT
    _, prefix = numbering.sales_series(
        ctx.tenant.settings.invoice_series, decision.profile or "", micro
    )
    year = ctx.clock().astimezone(ISTANBUL).year
    provisional = number or numbering.format_number(prefix, year, 1)
    invoice = _build(ctx, rec, rate, number=provisional, uuid=uuid, issued_at=issued_at)
    # in a worker thread: building and validating (GİB's schematron) take milliseconds that
    # the event loop spends on other orders meanwhile
    await asyncio.to_thread(_issuer(ctx).build_xml, invoice)
    return invoice.model_copy(update={"number": number, "checked_digest": invoice.content_digest()})


async def issue_invoice(ctx: StepContext, rec: OrderRecord) -> Change:
    """Build and validate the draft; commit it with the order, without a number."""
    kept = ctx.store.get(INVOICE, rec.invoice_id) if rec.invoice_id else None
    if kept is not None and kept.body.get("number"):
        # a draft numbered before numbers waited for the document to leave (a store written
        # by an earlier version): it keeps its number, so it must leave as it is
        invoice = Invoice.model_validate(kept.body)
        invoice.status = DocumentStatus.ISSUED
        rec.invoice_status, rec.order.state = DocumentStatus.ISSUED, OrderState.INVOICED
        ctx.note(rec, "invoice", "ok", f"draft {invoice.number} kept its number; it leaves")
        return Change(rec, docs=[invoice_doc(invoice)])
    ok, rate = _exchange_rate(ctx, rec)
    if not ok:
        return Change(rec)
    problem = amounts.check(rec)  # the invoice states what the buyer paid (VUK 230)
    if problem is not None:
        rec.fail(problem)
        ctx.note(rec, "invoice", "failed", problem)
        return Change(rec)
    try:
        draft = await _validated(ctx, rec, rate, number=None, uuid=str(uuidlib.uuid4()))
    except InvalidInputError as exc:
        # nothing is numbered yet: the order waits for the data to be fixed (a product
        # card's GTİP, the tenant's seller party, ...) and tries again on its own
        hold(ctx, rec, "invoice", exc.message)
        return Change(rec)
    clear_hold(rec)
    draft.status = DocumentStatus.DRAFT
    rec.invoice_id, rec.invoice_kind = draft.id, draft.kind
    rec.invoice_status = DocumentStatus.DRAFT
    rec.order.state = OrderState.INVOICED
    channel, prefix = series_of(ctx, draft)
    ctx.note(
        rec,
        "invoice",
        "ok",
        f"{draft.kind} {draft.profile} draft validated; numbered in {prefix} ({channel}) "
        "when it leaves",
        uuid=draft.uuid,
        total=str(draft.totals.payable),
    )
    return Change(rec, docs=[invoice_doc(draft)])


def _number(ctx: StepContext, rec: OrderRecord, invoice: Invoice) -> Change:
    """The commit that sends ``invoice`` on its way: it takes the number, and the issue time
    becomes now (numbers and issue dates then rise together); see
    :func:`kervan.invoicing.numbered`."""
    channel, prefix = series_of(ctx, invoice)
    issued_at = ctx.clock().astimezone(ISTANBUL).replace(microsecond=0)

    def build(number: str) -> dict[str, Any]:
        return invoicing.numbered(invoice, number, issued_at).model_dump(mode="json")

    rec.invoice_status = DocumentStatus.ISSUED
    ctx.note(rec, "submit_invoice", "info", f"numbered in {prefix} ({channel}): it leaves now")
    return Change(
        rec, invoice=NewInvoice(invoice.id, prefix, issued_at.year, build, channel=channel.value)
    )


async def _renew(ctx: StepContext, rec: OrderRecord, invoice: Invoice) -> Change:
    """A numbered invoice that did not get through (the integrator or our own check refused
    it), after a person fixed the cause: built again from the order, same number, new UUID."""
    assert invoice.number is not None
    ok, rate = _exchange_rate(ctx, rec)
    if not ok:
        return Change(rec)
    try:
        # the number keeps its issue time, so numbers and issue dates still rise together
        renewed = await _validated(
            ctx,
            rec,
            rate,
            number=invoice.number,
            uuid=str(uuidlib.uuid4()),
            issued_at=invoice.issued_at,
        )
    except InvalidInputError as exc:
        rec.fail(f"invoice {invoice.number} is still invalid: {exc.message}")
        ctx.note(rec, "submit_invoice", "failed", exc.message)
        return Change(rec)
    renewed.status = DocumentStatus.ISSUED
    rec.invoice_status = DocumentStatus.ISSUED
    rec.flags.invoice_submitted = False
    ctx.note(
        rec,
        "submit_invoice",
        "info",
        f"invoice {invoice.number} built again after {invoice.status}: same number, new UUID",
        uuid=renewed.uuid,
        replaces=invoice.uuid,
    )
    return Change(rec, docs=[invoice_doc(renewed)])


async def submit_invoice(ctx: StepContext, rec: OrderRecord) -> Change:
    """Number the invoice (one commit), then build its XML and submit it (the next)."""
    invoice = load_invoice(ctx, rec)
    if invoice.number is None:
        return _number(ctx, rec, invoice)
    if invoice.status is DocumentStatus.REJECTED:
        return await _renew(ctx, rec, invoice)
    issuer = _issuer(ctx)
    blob = ctx.store.get_blob(xml_key(invoice.uuid))
    try:
        # the same invoice builds the same bytes: a retry after a crash sends what was sent
        xml = blob[0] if blob else await asyncio.to_thread(issuer.build_xml, invoice)
    except InvalidInputError as exc:
        return _refused(ctx, rec, invoice, f"our own check refused it: {exc.message}")
    sub = await issuer.submit(invoice, xml)
    invoice.status, invoice.remote_id, invoice.status_detail = sub.status, sub.remote_id, sub.detail
    rec.invoice_status = sub.status
    rec.flags.invoice_submitted = True
    blobs = [(xml_key(invoice.uuid), xml, "application/xml")]
    if sub.status is DocumentStatus.REJECTED:
        change = _refused(ctx, rec, invoice, f"{issuer.key} rejected it: {sub.detail}")
        change.blobs = blobs
        return change
    ctx.note(
        rec,
        "submit_invoice",
        "ok",
        f"{invoice.kind} {invoice.number} → {sub.status}"
        + (" (already at integrator)" if sub.already_existed else ""),
        request_id=sub.request_id,
        actor=issuer.key,
        number=invoice.number,
        uuid=invoice.uuid,
    )
    # the ERP flow posts the sale once the integrator has the document (kervan.erp)
    erp = [invoiced_event(rec.order.id, invoice.id, ctx.clock())]
    return Change(rec, docs=[invoice_doc(invoice)], blobs=blobs, outbox=erp)


def _refused(ctx: StepContext, rec: OrderRecord, invoice: Invoice, why: str) -> Change:
    """A numbered invoice that did not get through: the order stops for a person, and the
    number stays the invoice's (a retry sends it again, see :func:`_renew`)."""
    invoice.status = DocumentStatus.REJECTED
    invoice.status_detail = why
    rec.invoice_status = DocumentStatus.REJECTED
    message = (
        f"invoice {invoice.number} not accepted, {why}. Fix the cause and retry the order: "
        f"the same number {invoice.number} is sent again"
    )
    rec.fail(message)
    ctx.note(rec, "submit_invoice", "failed", message, number=invoice.number)
    return Change(rec, docs=[invoice_doc(invoice)], removes=forget_registration(invoice))


def forget_registration(invoice: Invoice) -> list[tuple[str, str]]:
    """A rejected e-Fatura may mean the registry answer we kept is out of date: the removal
    that makes the next order ask again."""
    if invoice.kind is DocumentKind.EFATURA and invoice.buyer.tax_id:
        return [registrations.forget(invoice.buyer.tax_id)]
    return []


async def send_invoice(ctx: StepContext, rec: OrderRecord) -> Change:
    invoice = load_invoice(ctx, rec)
    issuer, source = _issuer(ctx), source_of(ctx, rec)
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
