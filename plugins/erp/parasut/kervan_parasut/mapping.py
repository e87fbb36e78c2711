"""Kervan records ⇄ Paraşüt JSON:API resources.

Attribute names are those of Paraşüt's Swagger as generated into
yigitkonur/parasut-node-sdk-mcp ``packages/parasut-node-sdk/src/generated/types.ts``
(``ContactAttributes``, ``SalesInvoiceAttributes``, ``SalesInvoiceDetailAttributes``,
``PaymentFormAttributes``, ``ProductAttributes``). On create, ``data.id`` is left out and the
invoice's lines travel as ``relationships.details.data[]`` with their own attributes (npm
``parasut.js`` README, via ../shared/reference/apis-2.md §5.3).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from kervan.domain import ExpenseVoucher, Invoice, Party, PartyKind, ProductCard
from kervan.errors import InvalidInputError, InvalidResponseError

TR_TIME = timezone(timedelta(hours=3), "TRT")
#: ISO 4217 → Paraşüt's currency codes (Turkish lira is ``TRL`` there)
CURRENCIES = {"TRY": "TRL", "USD": "USD", "EUR": "EUR", "GBP": "GBP"}
#: what our description carries so a later lookup recognises its own record
KEY_PREFIX = "kervan:"


def money(value: Decimal) -> str:
    """Amounts go out as decimal strings: a float would carry binary noise."""
    return format(value, "f")


def decimal_of(value: Any, what: str) -> Decimal:
    """A number Paraşüt sent (a JSON number or a decimal string) as a ``Decimal``."""
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise InvalidResponseError(
            f"parasut sent {what} that is no number", remote="parasut"
        ) from exc


def local_date(moment: datetime) -> date:
    """The date an instant falls on in Turkey (invoice dates are Turkish calendar days)."""
    return moment.astimezone(TR_TIME).date()


def split_number(number: str) -> tuple[str, int]:
    """``KRV2026000000001`` → (``KRV2026``, 1): Paraşüt keeps an invoice number as a series
    (``invoice_series``, text) and a sequence (``invoice_id``, an integer). The sequence is the
    nine-digit counter, so it fits the 32-bit integer clients declare for it
    (AvvaMobile/AvvaMobile.Core.Parasut ``Models/Requests/InvoiceRequest.cs``: ``int?``); the
    prefix and year make the series."""
    return number[:7], int(number[7:])


def idempotency_key(kind: str, key: str) -> str:
    return f"{KEY_PREFIX}{kind}:{key}"


def contact_attributes(party: Party) -> dict[str, Any]:
    """A customer card (``account_type`` customer) for a buyer."""
    attributes: dict[str, Any] = {
        "name": party.display_name,
        "account_type": "customer",
        "contact_type": "person" if party.kind is PartyKind.PERSON else "company",
        "tax_number": party.tax_id,
    }
    if party.tax_office:
        attributes["tax_office"] = party.tax_office
    if party.email:
        attributes["email"] = party.email
    phone = party.phone or (party.address.phone if party.address else None)
    if phone:
        attributes["phone"] = phone
    if party.address is not None:
        attributes |= {
            "address": " ".join(party.address.lines),
            "district": party.address.district,
            "city": party.address.city,
            "country": party.address.country,
            "is_abroad": not party.address.is_domestic,
        }
        if party.address.postal_code:
            attributes["postal_code"] = party.address.postal_code
    return attributes


def _currency(code: str) -> str:
    try:
        return CURRENCIES[code]
    except KeyError:
        raise InvalidInputError(
            f"Paraşüt keeps invoices in TRY, USD, EUR or GBP only, not {code}"
        ) from None


def invoice_document(invoice: Invoice, contact_id: str) -> dict[str, Any]:
    """``POST /sales_invoices``: the invoice with its number, lines and discounts.

    A return invoice (type code ``IADE``) is a sales invoice of ``item_type`` ``refund``
    (the Swagger's ``item_type`` enum: invoice, export, estimate, cancelled, recurring_*,
    refund). Line discounts go as ``discount_type`` amount; an invoice-level allowance as
    ``invoice_discount_type`` amount.
    """
    if invoice.number is None:
        raise InvalidInputError(
            f"invoice {invoice.id} has no number yet: it goes to Paraşüt once it is issued"
        )
    series, sequence = split_number(invoice.number)
    issued = local_date(invoice.issued_at)
    attributes: dict[str, Any] = {
        "item_type": "refund" if invoice.type_code == "IADE" else "invoice",
        "description": f"{invoice.number} {idempotency_key('invoice', invoice.uuid)}",
        "issue_date": issued.isoformat(),
        "due_date": issued.isoformat(),
        "invoice_series": series,
        "invoice_id": sequence,
        "currency": _currency(invoice.currency),
        "tax_number": invoice.buyer.tax_id,
    }
    if invoice.exchange_rate is not None:
        attributes["exchange_rate"] = money(invoice.exchange_rate)
    if invoice.totals.allowance_total:
        attributes["invoice_discount_type"] = "amount"
        attributes["invoice_discount"] = money(invoice.totals.allowance_total)
    if invoice.buyer.tax_office:
        attributes["tax_office"] = invoice.buyer.tax_office
    address = invoice.buyer.address
    if address is not None:
        attributes |= {
            "billing_address": " ".join(address.lines),
            "city": address.city,
            "district": address.district,
            "country": address.country,
            "is_abroad": not address.is_domestic,
        }
    if invoice.order_number and invoice.order_date:
        # Paraşüt wants both or neither (Swagger: each is required when the other is set)
        attributes["order_no"] = invoice.order_number
        attributes["order_date"] = invoice.order_date.isoformat()
    details = [
        {
            "type": "sales_invoice_details",
            "attributes": {
                "quantity": money(line.quantity),
                "unit_price": money(line.unit_price),
                "vat_rate": money(line.vat_rate),
                "discount_type": "amount",
                "discount_value": money(line.discount),
                "description": line.name,
            },
        }
        for line in invoice.lines
    ]
    return {
        "data": {
            "type": "sales_invoices",
            "attributes": attributes,
            "relationships": {
                "contact": {"data": {"type": "contacts", "id": contact_id}},
                "details": {"data": details},
            },
        }
    }


def _refund(
    contact_id: str, issued: date, description: str, tax_number: str, details: list[Any]
) -> dict[str, Any]:
    return {
        "data": {
            "type": "sales_invoices",
            "attributes": {
                "item_type": "refund",
                "description": description,
                "issue_date": issued.isoformat(),
                "due_date": issued.isoformat(),
                "currency": "TRL",
                "tax_number": tax_number,
            },
            "relationships": {
                "contact": {"data": {"type": "contacts", "id": contact_id}},
                "details": {"data": details},
            },
        }
    }


def _detail(quantity: Decimal, unit_price: Decimal, vat_rate: Decimal, name: str) -> Any:
    return {
        "type": "sales_invoice_details",
        "attributes": {
            "quantity": money(quantity),
            "unit_price": money(unit_price),
            "vat_rate": money(vat_rate),
            "description": name,
        },
    }


def return_document(
    invoice: Invoice,
    quantities: Mapping[int, Decimal],
    reference: str,
    reason: str,
    contact_id: str,
    today: date,
) -> dict[str, Any]:
    """A return of some of ``invoice``'s lines as a ``refund`` sales invoice: each returned
    line at the invoice's unit price net of its discount share, and its VAT rate."""
    lines = {line.id: line for line in invoice.lines}
    unknown = sorted(set(quantities) - set(lines))
    if unknown:
        raise InvalidInputError(
            f"invoice {invoice.number} has no line {', '.join(map(str, unknown))} to return"
        )
    details = []
    for line_id, quantity in sorted(quantities.items()):
        line = lines[line_id]
        if quantity <= 0 or quantity > line.quantity:
            raise InvalidInputError(
                f"line {line_id} of invoice {invoice.number} sold {line.quantity}; "
                f"{quantity} cannot be returned"
            )
        unit = (line.line_extension / line.quantity).quantize(Decimal("0.0001"))
        details.append(_detail(quantity, unit, line.vat_rate, line.name))
    note = f" ({reason})" if reason else ""
    description = f"İade {invoice.number}{note} {idempotency_key('return', reference)}"
    return _refund(contact_id, today, description, invoice.buyer.tax_id, details)


def voucher_document(voucher: ExpenseVoucher, contact_id: str) -> dict[str, Any]:
    """An expense voucher (gider pusulası) as a ``refund`` sales invoice on the person's card.

    The person hands goods back; the voucher's total is what the seller pays out. Paraşüt
    publishes no gider pusulası resource, so it is posted as the sales return it records:
    each line net of VAT at the sale's rate when the voucher shows its VAT, else at its
    VAT-inclusive amount with 0 % VAT. *(a modelling choice: see README)*
    """
    details = []
    for line in voucher.lines:
        if line.vat_rate is not None and line.net is not None:
            unit = (line.net / line.quantity).quantize(Decimal("0.0001"))
            details.append(_detail(line.quantity, unit, line.vat_rate, line.name))
        else:
            unit = (line.amount / line.quantity).quantize(Decimal("0.0001"))
            details.append(_detail(line.quantity, unit, Decimal(0), line.name))
    description = f"Gider pusulası {voucher.number} " + idempotency_key("voucher", voucher.number)
    issued = local_date(voucher.issued_at)
    return _refund(contact_id, issued, description, voucher.person.tax_id, details)


def payment_document(
    amount: Decimal, paid_on: date, account_id: int, reference: str
) -> dict[str, Any]:
    """``POST /sales_invoices/{id}/payments``: a collection into a cash or bank account."""
    return {
        "data": {
            "type": "payments",
            "attributes": {
                "description": f"{reference} {idempotency_key('payment', reference)}",
                "account_id": account_id,
                "date": paid_on.isoformat(),
                "amount": money(amount),
                "exchange_rate": "1.0",
            },
        }
    }


def barcodes_of(value: Any) -> list[str]:
    """Paraşüt has one ``barcode`` field per product; a seller with several barcodes for one
    item writes them there separated by commas, semicolons or spaces. *(an assumption: no
    source says how Paraşüt users keep a second barcode)*"""
    return [b for b in re.split(r"[,;\s]+", str(value or "")) if b]


def product_card(resource: dict[str, Any], tenant_id: str) -> ProductCard | None:
    """A Paraşüt product as a product card; ``None`` for one with no code and no barcode.

    ``sku`` is the product's code (``code``, the stock code) exactly: a changed code is a new
    card, never a rename of the old one. ``id`` is left empty (the core derives it from the
    sku). The card lists every barcode of the ``barcode`` field (a product with none is
    listed under its code). ``list_price`` in TRY is the ERP price; ``stock_count`` the stock
    on hand. Paraşüt's ``archived`` is not read: whether a product is on sale is decided in
    Kervan.
    """
    attributes = resource.get("attributes") or {}
    code = str(attributes.get("code") or "").strip()
    barcodes = barcodes_of(attributes.get("barcode"))
    name = str(attributes.get("name") or "").strip()
    sku = code or (barcodes[0] if barcodes else "")
    if not sku or not name:
        return None
    price = attributes.get("list_price")
    erp_price = None
    if price not in (None, "") and attributes.get("currency") in (None, "TRL"):
        erp_price = decimal_of(price, "a product's list_price").quantize(Decimal("0.01"))
    card: dict[str, Any] = {
        "id": "",
        "tenant_id": tenant_id,
        "sku": sku,
        "name": name[:500],
        "barcodes": barcodes or [sku],
        "erp_price": erp_price,
        "attributes": {"parasut_id": str(resource.get("id", ""))},
    }
    vat = attributes.get("vat_rate")
    if vat not in (None, ""):
        card["vat_rate"] = decimal_of(vat, "a product's vat_rate")
    stock = attributes.get("stock_count")
    if stock not in (None, "") and attributes.get("inventory_tracking", True):
        card["erp_on_hand"] = {"parasut": int(decimal_of(stock, "a product's stock_count"))}
    if attributes.get("gtip"):
        card["hs_code"] = str(attributes["gtip"])
    return ProductCard(**card)


def merge_cards(cards: list[ProductCard]) -> list[ProductCard]:
    """One card per stock code: products sharing a code become one card with all barcodes."""
    merged: dict[str, ProductCard] = {}
    for card in cards:
        first = merged.get(card.sku)
        if first is None:
            merged[card.sku] = card
            continue
        extra = [b for b in card.barcodes if b not in first.barcodes]
        merged[card.sku] = first.model_copy(update={"barcodes": [*first.barcodes, *extra]})
    return list(merged.values())
