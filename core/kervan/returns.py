"""Return (IADE) invoices: the document the party returning goods issues, priced like the sale
it returns. (Public as :func:`kervan.invoicing.return_invoice` too.)"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
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
    split_net,
    subtotals,
    totals_of,
    turkish_date,
)
from .tax import return_profile


def _returned_lines(original: Invoice, quantities: dict[int, Decimal]) -> list[InvoiceLine]:
    """Returned lines priced like a sale: each line's VAT-inclusive refund is split with the
    same per-rate largest-remainder rounding, so a subset of lines still adds up."""
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
    groups: dict[tuple[Decimal, str | None], list[int]] = defaultdict(list)
    for i, (line, _, _) in enumerate(picked):
        groups[(line.vat_rate, line.exemption_code)].append(i)
    nets: dict[int, Decimal] = {}
    for (rate, _), idx in groups.items():
        nets.update(zip(idx, split_net([picked[i][2] for i in idx], rate), strict=True))
    out = []
    for i, (line, qty, paid) in enumerate(picked):
        discount = kurus(line.discount * qty / line.quantity)
        vat = paid - nets[i]
        code, reason = line.exemption_code, line.exemption_reason
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
        }
    )
