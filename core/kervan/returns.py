"""Returns' fiscal rules: the return (IADE) invoice the party returning goods issues, priced like
the sale it returns (public as :func:`kervan.invoicing.return_invoice` too), and whether an
e-Arşiv invoice may be cancelled instead of documenting a return (:func:`earsiv_cancellable`).
A private person's return is documented by the seller's gider pusulası
(:func:`kervan.vouchers.expense_voucher`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from .domain import (
    PERSON_PLACEHOLDER,
    BillingReference,
    DocumentKind,
    DocumentStatus,
    Invoice,
    InvoiceLine,
    PartyKind,
    kurus,
)
from .errors import InvalidInputError
from .invoicing import (
    PRICE_PLACES,
    ZERO_RATE_CODE,
    ZERO_RATE_REASON,
    balance_subtotals,
    split_net,
    subtotals,
    totals_of,
    turkish_date,
)
from .tax import EARSIV_PROFILE, return_profile

#: days after its issue date an e-Arşiv may still be cancelled (see :func:`earsiv_cancellable`)
EARSIV_CANCEL_WINDOW_DAYS = 7


def _returned_lines(original: Invoice, quantities: dict[int, Decimal]) -> list[InvoiceLine]:
    """Returned lines priced like a sale: each line's VAT-inclusive refund is split with the
    same per-rate rounding (largest remainder, then :func:`kervan.invoicing.balance_subtotals`),
    so a subset of lines still adds up. A line the sale carried under 351 (too small for VAT)
    refunds no VAT unless its rate's subtotals need a kuruş from it."""
    picked: list[tuple[InvoiceLine, Decimal, Decimal]] = []
    for line in original.lines:
        qty = quantities.get(line.id)
        if qty is None:
            continue
        if not 0 < qty <= line.quantity:
            raise InvalidInputError(f"line {line.id}: return 0 < quantity ≤ {line.quantity}")
        paid = line.line_extension + line.vat_amount
        picked.append(
            (line, qty, paid if qty == line.quantity else kurus(paid * qty / line.quantity))
        )
    if not picked:
        raise InvalidInputError("a return invoice needs at least one returned line")
    # a line under 351 was taxed at its rate: it returns with its rate's other lines, and
    # refunds the VAT it carried, none (an exemption such as an export's 301 stays apart)
    groups: dict[tuple[Decimal, str | None], list[int]] = defaultdict(list)
    for i, (line, _, _) in enumerate(picked):
        code = None if line.exemption_code == ZERO_RATE_CODE else line.exemption_code
        groups[(line.vat_rate, code)].append(i)
    nets: dict[int, Decimal] = {}
    for (rate, code), idx in groups.items():
        refunds = [picked[i][2] for i in idx]
        if code is not None:
            nets.update(zip(idx, split_net(refunds, rate), strict=True))
            continue
        bearing = [i for i in idx if picked[i][0].exemption_code != ZERO_RATE_CODE]
        split = dict(zip(bearing, split_net([picked[i][2] for i in bearing], rate), strict=True))
        first = [split.get(i, picked[i][2]) for i in idx]
        nets.update(zip(idx, balance_subtotals(refunds, first, rate), strict=True))
    out = []
    for i, (line, qty, paid) in enumerate(picked):
        discount = kurus(line.discount * qty / line.quantity)
        vat = paid - nets[i]
        code, reason = line.exemption_code, line.exemption_reason
        if code == ZERO_RATE_CODE and vat != 0:  # 351 says "no VAT here": not so any more
            code, reason = None, None
        if vat == 0 and not code:
            code, reason = ZERO_RATE_CODE, ZERO_RATE_REASON
        unit_price = ((nets[i] + discount) / qty).quantize(PRICE_PLACES, rounding=ROUND_HALF_UP)
        update = {
            "id": i + 1,
            "quantity": qty,
            "unit_price": unit_price,
            "discount": discount,
            "line_extension": nets[i],
            "vat_amount": vat,
            "exemption_code": code,
            "exemption_reason": reason,
        }
        out.append(line.model_copy(update=update))
    return out


def _check_returning_party(original: Invoice) -> None:
    """An IADE is issued by the buyer who returns the goods, so only a taxpayer can be its
    "seller". A private person (not registered for e-Fatura, no trade name) issues no invoice:
    the seller documents that return with an expense voucher (gider pusulası)."""
    buyer = original.buyer
    registered = original.kind is DocumentKind.EFATURA
    private = buyer.tax_id == PERSON_PLACEHOLDER or (
        buyer.kind is PartyKind.PERSON and not registered
    )
    if private:
        raise InvalidInputError(
            f"invoice {original.number}: its buyer is a private person, not a taxpayer, and "
            "cannot issue a return (IADE) invoice; document a return from a private person "
            "with an expense voucher (gider pusulası) instead",
            errors=[{"loc": ["original", "buyer"], "msg": "a private person issues no IADE"}],
        )


def return_invoice(
    original: Invoice,
    quantities: dict[int, Decimal],
    *,
    number: str,
    uuid: str,
    issued_at: datetime,
) -> Invoice:
    """The IADE invoice that returns ``quantities`` (line id → quantity) of ``original``.

    The party returning the goods issues it, so seller and buyer swap; it refers to the
    original through ``BillingReference`` and takes :func:`kervan.tax.return_profile` (never
    TICARIFATURA). Each returned line refunds what was paid for it (pro rata for part of a
    line, rounded half up), split into net and VAT like a sale (see the module docstring).
    """
    _check_returning_party(original)
    lines = _returned_lines(original, quantities)
    return original.model_copy(
        update={
            "id": f"invoice:return:{uuid}",
            "uuid": uuid,
            "number": number,
            "type_code": "IADE",
            "profile": return_profile(original.profile),
            "issued_at": issued_at.replace(microsecond=0),
            "seller": original.buyer,
            "buyer": original.seller,
            "sender_alias": original.receiver_alias,
            "receiver_alias": original.sender_alias,
            "lines": lines,
            "tax_subtotals": subtotals(lines),
            "totals": totals_of(lines),
            "internet_sale": None,
            "billing_reference": BillingReference(
                number=original.number, issue_date=turkish_date(original.issued_at)
            ),
            "status": DocumentStatus.DRAFT,
            "remote_id": None,
            "status_detail": None,
            # a new document: GİB's rules have not seen it (the digest would differ anyway)
            "checked_digest": None,
        }
    )


def _status_reason(invoice: Invoice) -> str | None:
    status = invoice.status
    if status is DocumentStatus.CANCELLED:
        return "it is already cancelled"
    if status is DocumentStatus.REJECTED:
        return "GİB or the integrator rejected it, so there is nothing to cancel"
    if status in (DocumentStatus.DRAFT, DocumentStatus.VOIDED):
        return "it was never submitted: void the draft instead"
    if status is DocumentStatus.ISSUED:
        return "it is still on its way to the integrator: cancel once it is queued or accepted"
    return None


def _buyer_reason(invoice: Invoice) -> str | None:
    buyer = invoice.buyer
    if buyer.kind is PartyKind.PERSON and buyer.scheme == "TCKN":
        return None
    return (
        "its buyer is a taxpayer: since VUK General Communiqué 526 (section V.10 of 509) the "
        "cancellation of an e-Arşiv issued to a taxpayer needs that buyer's approval on GİB's "
        "portal, and a taxpayer returns goods with its own return (IADE) invoice"
    )


def earsiv_cancellable(
    invoice: Invoice,
    now: datetime,
    *,
    returned_whole: bool = True,
    window_days: int = EARSIV_CANCEL_WINDOW_DAYS,
) -> str | None:
    """Whether ``invoice`` may be cancelled at ``now`` instead of documenting its return:
    ``None`` if it may, else the reason it may not (a sentence for the operator).

    The rule, first failing condition wins:

    1. only an e-Arşiv (profile EARSIVFATURA) is cancelled: an e-Fatura reached the buyer's
       post box and is reversed by the buyer's IADE (apis.md §6.7);
    2. a return (IADE) invoice is not cancelled here;
    3. it must have been submitted and not rejected or cancelled (status QUEUED or ACCEPTED);
    4. the whole invoice must come back: there is no partial cancellation, so a part return is
       documented with a gider pusulası;
    5. the buyer must be a private person (TCKN): an e-Arşiv issued to a taxpayer is cancelled
       only with that buyer's approval on GİB's portal, within 8 days, under VUK General
       Communiqué 526, which added section V.10 to 509 (Official Gazette 09.02.2021; GİB's
       "e-Arşiv Uygulamaları İptal, İhtar/İtiraz Bildirim Kılavuzu" V1.0, 03.05.2021; apis-2 §8;
       izsmmmo.org.tr/Haberler/Detay/20210610110900/E-Arsiv-Portal-Fatura-Iptali). A
       taxpayer's objection (TTK 21/2: within 8 days, by notary, registered mail, telegram or
       KEP under TTK 18/3) goes the same way and is that buyer's to report;
    6. it must be within ``window_days`` of its issue date, counted in Turkish calendar days
       (the issue day is day 0, so 7 allows cancelling until the 7th day after it).

    The window is not fixed by a primary text we could read: secondary sources give 7 days from
    issue (tekprosis.com/en/blog/how-to-cancel-return-e-archive-invoice; the cancellation is
    reported to GİB by the end of the next day) or 8 days from delivery (the TTK 21/2 objection
    period; portal.yandex.com.tr/yaozet/finance/e-arsiv-fatura-iptal-sureci-id104-xACzh8ry).
    7 is the stricter of the two and matches the Nilvera connector's
    ``earchive_cancel_window_days``; a tenant may set it. *(uncertain)*
    """
    if invoice.profile != EARSIV_PROFILE:
        return (
            f"invoice {invoice.number} is not an e-Arşiv ({invoice.profile}): it reached the "
            "buyer's e-Fatura post box and is reversed by the buyer's return (IADE) invoice"
        )
    if invoice.type_code == "IADE":
        return f"invoice {invoice.number} is itself a return (IADE) invoice"
    reason = _status_reason(invoice)
    if reason is None and not returned_whole:
        reason = (
            "only part of it comes back, and an invoice is cancelled whole or not at all: "
            "document the returned part with a gider pusulası"
        )
    reason = reason or _buyer_reason(invoice)
    if reason:
        return f"e-Arşiv {invoice.number} cannot be cancelled: {reason}"
    issued = turkish_date(invoice.issued_at)
    last_day = issued + timedelta(days=window_days)
    if turkish_date(now) > last_day:
        return (
            f"e-Arşiv {invoice.number} cannot be cancelled: its cancellation window "
            f"({window_days} days from {issued.isoformat()}) closed after "
            f"{last_day.isoformat()}; document the return with a gider pusulası"
        )
    return None
