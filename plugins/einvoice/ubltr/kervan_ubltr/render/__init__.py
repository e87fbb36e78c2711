"""Printed forms of Kervan's fiscal documents: invoice, e-İrsaliye and gider pusulası PDFs (A4)
and HTML pages, with GİB's karekod and Turkish text in the shipped DejaVu Sans.

Each document is first turned into a :class:`~.view.DocumentView` (``views``), which the PDF
(``pdf``, reportlab canvas) and HTML (``html``) renderers lay out, so both say the same thing.
"""

from __future__ import annotations

from kervan.domain.documents import DespatchAdvice, ExpenseVoucher, Invoice

from .html import render_view_html
from .pdf import render_view_pdf
from .qr import despatch_qr_payload, qr_payload
from .views import despatch_view, invoice_view, voucher_view

__all__ = [
    "despatch_qr_payload",
    "qr_payload",
    "render_despatch_html",
    "render_despatch_pdf",
    "render_expense_voucher_html",
    "render_expense_voucher_pdf",
    "render_invoice_html",
    "render_invoice_pdf",
]


def render_invoice_pdf(invoice: Invoice) -> bytes:
    """An e-Fatura / e-Arşiv invoice as an A4 PDF with its karekod."""
    return render_view_pdf(invoice_view(invoice))


def render_invoice_html(invoice: Invoice) -> str:
    """An e-Fatura / e-Arşiv invoice as a self-contained HTML page."""
    return render_view_html(invoice_view(invoice))


def render_despatch_pdf(advice: DespatchAdvice) -> bytes:
    """An e-İrsaliye as an A4 PDF with its karekod and notes."""
    return render_view_pdf(despatch_view(advice))


def render_despatch_html(advice: DespatchAdvice) -> str:
    """An e-İrsaliye as a self-contained HTML page."""
    return render_view_html(despatch_view(advice))


def render_expense_voucher_pdf(voucher: ExpenseVoucher) -> bytes:
    """A gider pusulası (expense voucher for goods returned by an individual) as an A4 PDF."""
    return render_view_pdf(voucher_view(voucher))


def render_expense_voucher_html(voucher: ExpenseVoucher) -> str:
    """A gider pusulası as a self-contained HTML page."""
    return render_view_html(voucher_view(voucher))
