"""How Kervan marks its postings in Nebim so it can find them again (idempotency).

Nebim's Integrator has no read models and no idempotency key; its documents carry a
``DocumentNumber`` (string, 30 characters, on orders, invoices and payment documents: Nebim's
PDF model tables and ``examples/*_91.txt``, ``*_92.txt``, ``*_98.txt`` in
``cemyeten/nebim-v3-integrator-docs``) and a ``Description`` (200). Kervan writes its own
reference into one of them and, before every posting, asks the tenant's lookup query
(``RunQuery``, see the README) whether a document with it exists:

- a sale (order or invoice): ``DocumentNumber`` = the GİB invoice number (16 characters), and
  ``InternalDescription`` = the invoice uuid;
- a payment closing (ModelType 98): ``DocumentNumber`` = the payout reference;
  its deductions (92): ``K:`` + reference; a reversal of either (92): ``IPT:`` + its number;
- a return (``ReturnInvoiceR``, which has no DocumentNumber in the sample): ``Description`` =
  ``KRV-IADE:`` + reference; a reversal of an invoice: ``KRV-IPT:`` + the invoice's number.

A reference longer than 30 characters is replaced by a stable digest of it.
"""

from __future__ import annotations

import hashlib

from kervan.domain import Invoice

MAX_DOCUMENT_NUMBER = 30


def ref30(text: str) -> str:
    """``text`` if it fits Nebim's 30-character DocumentNumber, else ``K`` + a 29-hex digest."""
    if len(text) <= MAX_DOCUMENT_NUMBER:
        return text
    return "K" + hashlib.sha256(text.encode()).hexdigest()[: MAX_DOCUMENT_NUMBER - 1]


def sale_number(invoice: Invoice) -> str:
    """The DocumentNumber of the sale posted for ``invoice``."""
    return ref30(invoice.number or invoice.uuid)


def payment_number(reference: str) -> str:
    return ref30(reference)


def deductions_number(reference: str) -> str:
    return ref30("K:" + reference)


def reversal_number(document_number: str) -> str:
    return ref30("IPT:" + document_number)


def return_mark(reference: str) -> str:
    return "KRV-IADE:" + ref30(reference)


def reversal_mark(invoice: Invoice) -> str:
    return "KRV-IPT:" + sale_number(invoice)


def payment_mark(invoice: Invoice) -> str:
    """The Description of a payment closing: names the sale it pays."""
    return "Kervan " + sale_number(invoice)


def criteria(field: str, value: str) -> str:
    """A RunQuery ``Criteria`` ``Field = 'value'`` (quotes doubled, as SQL wants)."""
    return f"{field} = '{value.replace(chr(39), chr(39) * 2)}'"
