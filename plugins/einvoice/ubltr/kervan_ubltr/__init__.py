"""UBL-TR 1.2 documents for Kervan: build, validate, parse.

Public surface (integrator plugins build on this)::

    build_invoice(invoice) -> bytes          # e-Fatura / e-Arşiv / export, unsigned
    build_despatch(advice) -> bytes          # e-İrsaliye TEMELIRSALIYE / SEVK
    validate(xml) -> ValidationReport        # GİB XSD + schematron + our arithmetic
    build_valid(document) -> bytes           # build + validate; raises DocumentInvalid
                                             # (a checked draft, numbered: XSD + numbering)
    parse(xml) -> Invoice | DespatchAdvice
    expense_voucher(order, lines, ...) -> ExpenseVoucher  # re-exported from kervan.vouchers
    transport_despatch(order, lines, ...) -> DespatchAdvice   # from kervan.despatch
"""

from __future__ import annotations

import logging

from kervan.domain import DespatchAdvice, Invoice

from .despatch_xml import TRANSPORT_ONLY_NOTE, build_despatch
from .invoice_xml import build_invoice
from .numbered import check_numbered
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
log = logging.getLogger("kervan.ubltr")


def build_valid(document: Invoice | DespatchAdvice) -> bytes:
    """Build the XML of ``document`` and validate it; the only way a document should leave.

    Raises :class:`DocumentInvalid` (an ``InvalidInputError``) naming the rule and element of
    every failure: our arithmetic on the domain object first (:func:`check_domain`), then
    GİB's XSD and schematron and our line count on the XML. The XML is not read back for
    the arithmetic again: it is built from the document just checked.

    An invoice whose :attr:`~kervan.domain.Invoice.checked_digest` equals its
    :meth:`~kervan.domain.Invoice.content_digest` passed all of that as a draft, and only
    numbering changed it since: its XML gets GİB's XSD and exact checks on what numbering
    wrote (:mod:`kervan_ubltr.numbered`) instead of the schematron again. If any of those
    fails, the full validation runs and decides, as for any other document.
    """
    report = check_domain(document)
    if not report.ok:
        raise DocumentInvalid(report, document.number)
    try:
        xml = build_invoice(document) if isinstance(document, Invoice) else build_despatch(document)
    except ValueError as exc:  # a party without an address and kin: say what is missing
        report.errors.append(Issue("kervan-build", None, str(exc), "xml"))
        raise DocumentInvalid(report, document.number) from exc
    if _checked_as_draft(document):
        numbered = check_numbered(xml)
        if numbered.ok:
            return xml
        log.info("numbered invoice %s: %s; full validation", document.number, numbered.summary())
    report = validate(xml, arithmetic=False, line_count=True, built_here=True)
    if not report.ok:
        raise DocumentInvalid(report, document.number)
    return xml


def _checked_as_draft(document: Invoice | DespatchAdvice) -> bool:
    """Whether GİB's full rules passed this very content as a draft (see :func:`build_valid`)."""
    if not isinstance(document, Invoice) or document.checked_digest is None:
        return False
    return document.checked_digest == document.content_digest()


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
