"""The sandbox company's books: contacts, sales invoices with details, payments, products.

Records are kept as plain dicts of attributes; :meth:`Books.resource` renders them as JSON:API
resources (decimals as strings, as Rails serialises ``BigDecimal``; an assumption).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

KURUS = Decimal("0.01")


def kurus(value: Decimal) -> Decimal:
    return value.quantize(KURUS, rounding=ROUND_HALF_UP)


def dec(value: Decimal) -> str:
    return format(kurus(value), "f")


@dataclass
class Detail:
    id: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    discount_type: str | None
    discount_value: Decimal
    description: str
    product_id: str | None = None

    @property
    def gross(self) -> Decimal:
        return kurus(self.quantity * self.unit_price)

    @property
    def discount(self) -> Decimal:
        if self.discount_type == "percentage":
            return kurus(self.gross * self.discount_value / 100)
        return kurus(self.discount_value)

    @property
    def net(self) -> Decimal:
        return self.gross - self.discount


@dataclass
class SalesInvoice:
    id: str
    attributes: dict[str, Any]
    contact_id: str
    details: list[Detail]
    payment_ids: list[str] = field(default_factory=list)
    deleted: bool = False

    def totals(self, paid: Decimal) -> dict[str, str]:
        """Per line: gross = q × p, less its discount, VAT on that rounded per line; an
        invoice discount (amount) is spread over the lines by their net, the last taking the
        rest. *(Paraşüt's own rounding is not published: this is the e-document's rule.)*"""
        nets = [d.net for d in self.details]
        whole = sum(nets, Decimal(0))
        invoice_discount = Decimal(self.attributes.get("invoice_discount") or 0)
        if self.attributes.get("invoice_discount_type") == "percentage":
            invoice_discount = kurus(whole * invoice_discount / 100)
        shares, left = [], kurus(invoice_discount)
        for i, net in enumerate(nets):
            share = (
                left
                if i == len(nets) - 1
                else kurus(invoice_discount * net / whole)
                if whole
                else Decimal(0)
            )
            left -= share
            shares.append(share)
        vat = sum(
            (
                kurus((net - share) * d.vat_rate / 100)
                for d, net, share in zip(self.details, nets, shares, strict=True)
            ),
            Decimal(0),
        )
        before_taxes = whole - kurus(invoice_discount)
        net_total = before_taxes + vat
        remaining = net_total - paid
        if remaining <= 0:
            status = "paid"
        elif paid > 0:
            status = "partially_paid"
        else:
            status = "unpaid"
        return {
            "gross_total": dec(sum((d.gross for d in self.details), Decimal(0))),
            "total_discount": dec(
                sum((d.discount for d in self.details), Decimal(0)) + invoice_discount
            ),
            "total_invoice_discount": dec(invoice_discount),
            "before_taxes_total": dec(before_taxes),
            "total_vat": dec(vat),
            "net_total": dec(net_total),
            "remaining": dec(max(remaining, Decimal(0))),
            "payment_status": status,
        }


@dataclass
class Payment:
    id: str
    invoice_id: str
    transaction_id: str
    date: str
    amount: Decimal
    notes: str
    account_id: str
    live: bool = True


@dataclass
class Books:
    """Everything one sandbox company holds."""

    contacts: dict[str, dict[str, Any]] = field(default_factory=dict)
    invoices: dict[str, SalesInvoice] = field(default_factory=dict)
    payments: dict[str, Payment] = field(default_factory=dict)
    products: dict[str, dict[str, Any]] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    _next: int = 1000

    def new_id(self) -> str:
        self._next += 1
        return str(self._next)

    def paid(self, invoice: SalesInvoice) -> Decimal:
        return sum(
            (self.payments[p].amount for p in invoice.payment_ids if self.payments[p].live),
            Decimal(0),
        )

    def live_payments(self, invoice: SalesInvoice) -> list[Payment]:
        return [self.payments[p] for p in invoice.payment_ids if self.payments[p].live]

    # -- JSON:API rendering ----------------------------------------------------------------

    def contact_resource(self, contact_id: str) -> dict[str, Any]:
        return {"id": contact_id, "type": "contacts", "attributes": self.contacts[contact_id]}

    def invoice_resource(self, invoice: SalesInvoice) -> dict[str, Any]:
        attributes = {**invoice.attributes, **invoice.totals(self.paid(invoice))}
        series, sequence = attributes.get("invoice_series"), attributes.get("invoice_id")
        attributes["invoice_no"] = f"{series or ''}{sequence or ''}" or None
        return {
            "id": invoice.id,
            "type": "sales_invoices",
            "attributes": attributes,
            "relationships": {
                "contact": {"data": {"id": invoice.contact_id, "type": "contacts"}},
                "details": {
                    "data": [{"id": d.id, "type": "sales_invoice_details"} for d in invoice.details]
                },
                "payments": {
                    "data": [{"id": p.id, "type": "payments"} for p in self.live_payments(invoice)]
                },
            },
        }

    @staticmethod
    def detail_resource(detail: Detail) -> dict[str, Any]:
        resource: dict[str, Any] = {
            "id": detail.id,
            "type": "sales_invoice_details",
            "attributes": {
                "quantity": format(detail.quantity, "f"),
                "unit_price": format(detail.unit_price, "f"),
                "vat_rate": format(detail.vat_rate, "f"),
                "discount_type": detail.discount_type,
                "discount_value": format(detail.discount_value, "f"),
                "description": detail.description,
                "net_total": dec(detail.net),
            },
        }
        if detail.product_id:
            resource["relationships"] = {
                "product": {"data": {"id": detail.product_id, "type": "products"}}
            }
        return resource

    @staticmethod
    def payment_resource(payment: Payment) -> dict[str, Any]:
        return {
            "id": payment.id,
            "type": "payments",
            "attributes": {
                "date": payment.date,
                "amount": dec(payment.amount),
                "currency": "TRL",
                "notes": payment.notes,
            },
            "relationships": {
                "payable": {"data": {"id": payment.invoice_id, "type": "sales_invoices"}},
                "transaction": {"data": {"id": payment.transaction_id, "type": "transactions"}},
            },
        }

    def product_resource(self, product_id: str) -> dict[str, Any]:
        return {"id": product_id, "type": "products", "attributes": self.products[product_id]}
