"""UBL-TR 1.2 documents for Kervan: build, validate, parse.

Public surface (integrator plugins build on this)::

    build_invoice(invoice) -> bytes          # e-Fatura / e-Arşiv / export, unsigned
    build_despatch(advice) -> bytes          # e-İrsaliye TEMELIRSALIYE / SEVK
    validate(xml) -> ValidationReport        # GİB XSD + schematron + our arithmetic
    build_valid(document) -> bytes           # build + validate; raises DocumentInvalid
    parse(xml) -> Invoice | DespatchAdvice
    expense_voucher(order, lines, ...) -> ExpenseVoucher  # re-exported from kervan.vouchers
    transport_despatch(order, lines, ...) -> DespatchAdvice   # from kervan.despatch
"""

from __future__ import annotations

from kervan.domain import DespatchAdvice, Invoice

from .despatch_xml import TRANSPORT_ONLY_NOTE, build_despatch
from .invoice_xml import build_invoice
from .parse import parse
from .transport import transport_despatch
from .validation import (
    DocumentInvalid,
    Issue,
    ValidationReport,
    Validator,
    check_domain,
    default_validator,
    validate,
)
from .voucher import expense_voucher

__version__ = "0.1.0"


def build_valid(document: Invoice | DespatchAdvice) -> bytes:
    """Build the XML of ``document`` and validate it; the only way a document should leave.

    Raises :class:`DocumentInvalid` (an ``InvalidInputError``) naming the rule and element of
    every failure: our arithmetic on the domain object first, then GİB's XSD and schematron
    and our checks on the XML.
    """
    report = check_domain(document)
    if not report.ok:
        raise DocumentInvalid(report, document.number)
    try:
        xml = build_invoice(document) if isinstance(document, Invoice) else build_despatch(document)
    except ValueError as exc:  # a party without an address and kin: say what is missing
        report.errors.append(Issue("kervan-build", None, str(exc), "xml"))
        raise DocumentInvalid(report, document.number) from exc
    report = validate(xml)
    if not report.ok:
        raise DocumentInvalid(report, document.number)
    return xml


__all__ = [
    "TRANSPORT_ONLY_NOTE",
    "DocumentInvalid",
    "Issue",
    "ValidationReport",
    "Validator",
    "build_despatch",
    "build_invoice",
    "build_valid",
    "default_validator",
    "expense_voucher",
    "parse",
    "transport_despatch",
    "validate",
]
