"""Sales invoices, their payments, cancellation and deletion; products and accounts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from .books import Books, Detail, Payment, SalesInvoice
from .jsonapi import (
    ApiProblem,
    body_of,
    document,
    filters_of,
    includes_of,
    invalid,
    no_content,
    number,
    related_id,
    text,
)

ITEM_TYPES = frozenset({"invoice", "export", "estimate", "refund"})
CURRENCIES = frozenset({"TRL", "USD", "EUR", "GBP"})
INT32_MAX = 2**31 - 1
INVOICE_FILTERS = frozenset(
    {"issue_date", "due_date", "contact_id", "invoice_id", "invoice_series", "item_type",
     "print_status", "payment_status"}
)  # fmt: skip
PRODUCT_FILTERS = frozenset({"name", "code", "barcode"})
INVOICE_INCLUDES = frozenset({"contact", "details", "payments"})


def _date(attributes: dict[str, Any], field: str, *, required: bool = False) -> str | None:
    value = text(attributes, field, required=required)
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise invalid(field, "is not a date (YYYY-MM-DD)") from None


class InvoiceRoutes:
    """The routes for ``/sales_invoices``, ``/transactions``, ``/products``, ``/accounts``."""

    books: Books

    def _page(
        self, request: Request, resources: list[dict[str, Any]], included: list[Any]
    ) -> JSONResponse:
        raise NotImplementedError

    def _invoice(self, invoice_id: str) -> SalesInvoice:
        invoice = self.books.invoices.get(invoice_id)
        if invoice is None or invoice.deleted:
            raise ApiProblem(404, "Not Found", f"no sales invoice {invoice_id}")
        return invoice

    def _included(self, invoices: list[SalesInvoice], names: list[str]) -> list[Any]:
        seen: dict[tuple[str, str], Any] = {}
        for invoice in invoices:
            if "contact" in names and invoice.contact_id in self.books.contacts:
                seen[("contacts", invoice.contact_id)] = self.books.contact_resource(
                    invoice.contact_id
                )
            if "details" in names:
                for detail in invoice.details:
                    seen[("details", detail.id)] = self.books.detail_resource(detail)
            if "payments" in names:
                for payment in self.books.live_payments(invoice):
                    seen[("payments", payment.id)] = self.books.payment_resource(payment)
        return list(seen.values())

    async def _list_invoices(self, request: Request) -> JSONResponse:
        wanted = filters_of(request, INVOICE_FILTERS)
        names = includes_of(request, INVOICE_INCLUDES)
        rows = []
        for invoice in self.books.invoices.values():
            if invoice.deleted:
                continue
            resource = self.books.invoice_resource(invoice)
            attrs = {**resource["attributes"], "contact_id": invoice.contact_id}
            if all(str(attrs.get(k) or "") == v for k, v in wanted.items()):
                rows.append((invoice, resource))
        included = self._included([i for i, _ in rows], names)
        return self._page(request, [r for _, r in rows], included)

    async def _show_invoice(self, request: Request, invoice_id: str) -> JSONResponse:
        names = includes_of(request, INVOICE_INCLUDES)
        invoice = self._invoice(invoice_id)
        body: dict[str, Any] = {"data": self.books.invoice_resource(invoice)}
        if names:
            body["included"] = self._included([invoice], names)
        return document(body)

    async def _create_invoice(self, request: Request) -> JSONResponse:
        data = await body_of(request, "sales_invoices", creating=True)
        attrs = dict(data["attributes"])
        if attrs.get("item_type") not in ITEM_TYPES:
            raise invalid("item_type", f"must be one of {', '.join(sorted(ITEM_TYPES))}")
        attrs["issue_date"] = _date(attrs, "issue_date", required=True)
        attrs["due_date"] = _date(attrs, "due_date")
        attrs["currency"] = attrs.get("currency") or "TRL"
        if attrs["currency"] not in CURRENCIES:
            raise invalid("currency", "must be TRL, USD, EUR or GBP")
        sequence = attrs.get("invoice_id")
        if sequence is not None:
            if not isinstance(sequence, int) or isinstance(sequence, bool):
                raise invalid("invoice_id", "must be an integer")
            if not 0 < sequence <= INT32_MAX:
                raise invalid("invoice_id", "is out of range")
            self._check_number_free(attrs.get("invoice_series"), sequence)
        if attrs.get("invoice_discount_type") not in (None, "percentage", "amount"):
            raise invalid("invoice_discount_type", "must be percentage or amount")
        number(attrs, "invoice_discount")
        contact_id = related_id(data, "contact", "contacts")
        if contact_id is None or contact_id not in self.books.contacts:
            raise ApiProblem(
                422, "Validation Error", "contact must name an existing contact",
                "/data/relationships/contact",
            )  # fmt: skip
        details = self._details(data)
        invoice = SalesInvoice(self.books.new_id(), attrs, contact_id, details)
        self.books.invoices[invoice.id] = invoice
        return document({"data": self.books.invoice_resource(invoice)}, 201)

    def _check_number_free(self, series: Any, sequence: int) -> None:
        """A live invoice already holds this series and number. *(Inferred: Paraşüt keeps
        numbers unique in its web app; the API's answer to a repeat is not published.)*"""
        for other in self.books.invoices.values():
            attrs = other.attributes
            if other.deleted or attrs.get("item_type") == "cancelled":
                continue
            if attrs.get("invoice_id") == sequence and attrs.get("invoice_series") == series:
                raise invalid("invoice_id", "has already been taken")

    def _details(self, data: dict[str, Any]) -> list[Detail]:
        raw = ((data.get("relationships") or {}).get("details") or {}).get("data")
        if not isinstance(raw, list) or not raw:
            raise ApiProblem(
                422, "Validation Error", "an invoice needs at least one detail",
                "/data/relationships/details",
            )  # fmt: skip
        details = []
        for item in raw:
            if not isinstance(item, dict) or item.get("type") != "sales_invoice_details":
                raise ApiProblem(409, "Conflict", "details are sales_invoice_details")
            attrs = item.get("attributes") or {}
            quantity = number(attrs, "quantity", required=True)
            unit_price = number(attrs, "unit_price", required=True)
            vat_rate = number(attrs, "vat_rate", required=True)
            assert quantity is not None and unit_price is not None and vat_rate is not None
            if quantity <= 0:
                raise invalid("quantity", "must be greater than 0")
            if unit_price < 0:
                raise invalid("unit_price", "must not be negative")
            if not 0 <= vat_rate <= 100:
                raise invalid("vat_rate", "must be between 0 and 100")
            kind = attrs.get("discount_type")
            if kind not in (None, "percentage", "amount"):
                raise invalid("discount_type", "must be percentage or amount")
            detail = Detail(
                id=self.books.new_id(),
                quantity=quantity,
                unit_price=unit_price,
                vat_rate=vat_rate,
                discount_type=kind,
                discount_value=number(attrs, "discount_value") or Decimal(0),
                description=str(attrs.get("description") or ""),
                product_id=related_id(item, "product", "products"),
            )
            if detail.discount > detail.gross:
                raise invalid("discount_value", "is more than the line")
            details.append(detail)
        return details

    async def _cancel_invoice(self, invoice_id: str) -> JSONResponse:
        """``DELETE .../cancel``: the invoice stays, as ``item_type`` cancelled. One with
        payments is refused *(inferred: the web app asks for payments to be removed first)*."""
        invoice = self._invoice(invoice_id)
        if invoice.attributes.get("item_type") == "cancelled":
            raise ApiProblem(422, "Validation Error", "the invoice is already cancelled")
        if self.books.live_payments(invoice):
            raise ApiProblem(
                422, "Validation Error", "delete the invoice's payments before cancelling it"
            )
        invoice.attributes["item_type"] = "cancelled"
        return document({"data": self.books.invoice_resource(invoice)})

    async def _delete_invoice(self, invoice_id: str) -> Response:
        invoice = self._invoice(invoice_id)
        if self.books.live_payments(invoice):
            raise ApiProblem(
                422, "Validation Error", "delete the invoice's payments before deleting it"
            )
        invoice.deleted = True
        return no_content()

    async def _pay_invoice(self, request: Request, invoice_id: str) -> JSONResponse:
        invoice = self._invoice(invoice_id)
        data = await body_of(request, "payments", creating=True)
        attrs = data["attributes"]
        if invoice.attributes.get("item_type") == "cancelled":
            raise ApiProblem(422, "Validation Error", "a cancelled invoice takes no payment")
        account = attrs.get("account_id")
        if account is None or str(account) not in self.books.accounts:
            raise invalid("account_id", "must name an existing cash or bank account")
        amount = number(attrs, "amount", required=True)
        assert amount is not None
        paid_on = _date(attrs, "date", required=True)
        assert paid_on is not None
        remaining = Decimal(self.books.invoice_resource(invoice)["attributes"]["remaining"])
        if amount <= 0:
            raise invalid("amount", "must be greater than 0")
        if amount > remaining:
            raise invalid("amount", f"is more than the {remaining} left to collect")
        payment = Payment(
            id=self.books.new_id(),
            invoice_id=invoice.id,
            transaction_id=self.books.new_id(),
            date=paid_on,
            amount=amount,
            notes=str(attrs.get("description") or ""),
            account_id=str(account),
        )
        self.books.payments[payment.id] = payment
        invoice.payment_ids.append(payment.id)
        return document({"data": self.books.payment_resource(payment)}, 201)

    async def _delete_transaction(self, transaction_id: str) -> Response:
        for payment in self.books.payments.values():
            if payment.transaction_id == transaction_id and payment.live:
                payment.live = False
                return no_content()
        raise ApiProblem(404, "Not Found", f"no transaction {transaction_id}")

    async def _list_products(self, request: Request) -> JSONResponse:
        wanted = filters_of(request, PRODUCT_FILTERS)
        rows = []
        for product_id, attrs in self.books.products.items():
            ok = True
            for name, value in wanted.items():
                have = str(attrs.get(name) or "")
                if name == "name":
                    ok = ok and value.casefold() in have.casefold()
                else:
                    ok = ok and have == value
            if ok:
                rows.append(self.books.product_resource(product_id))
        return self._page(request, rows, [])

    async def _show_account(self, account_id: str) -> JSONResponse:
        account = self.books.accounts.get(account_id)
        if account is None:
            raise ApiProblem(404, "Not Found", f"no account {account_id}")
        return document({"data": {"id": account_id, "type": "accounts", "attributes": account}})
