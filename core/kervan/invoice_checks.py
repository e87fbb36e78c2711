"""Our own arithmetic checks on an invoice (GİB's schematron only warns about these): lines,
per-rate subtotals and totals add up to the kuruş. Each message starts with the UBL element at
fault. (Public as :func:`kervan.invoicing.check_arithmetic` too.)"""

from __future__ import annotations

from decimal import Decimal

from .domain import Invoice, kurus
from .domain.money import KURUS, ZERO
from .invoicing import subtotals

HUNDRED = Decimal(100)


def _check_lines(invoice: Invoice) -> list[str]:
    errors = []
    for pos, line in enumerate(invoice.lines, start=1):
        where = f"InvoiceLine[{pos}]"
        if line.id != pos:
            errors.append(f"{where}/cbc:ID: line ids must run 1..n, found {line.id} at {pos}")
        gross = kurus(line.quantity * line.unit_price)
        if gross - line.discount != line.line_extension:
            errors.append(
                f"{where}/cbc:LineExtensionAmount: {line.line_extension} != "
                f"quantity × price − discount = {gross - line.discount}"
            )
        expected_vat = kurus(line.line_extension * line.vat_rate / HUNDRED)
        if abs(expected_vat - line.vat_amount) > KURUS:
            errors.append(
                f"{where}/cac:TaxTotal/cbc:TaxAmount: {line.vat_amount} is more than a kuruş "
                f"from line extension × rate = {expected_vat}"
            )
        if line.vat_amount == 0 and not line.exemption_code:
            errors.append(f"{where}/cac:TaxCategory/cbc:TaxExemptionReasonCode: 0 VAT needs one")
        if line.line_extension < 0 or line.vat_amount < 0:
            errors.append(f"{where}/cbc:LineExtensionAmount: negative amounts are not allowed")
    return errors


def _check_subtotals(invoice: Invoice) -> list[str]:
    errors = []
    expected = {(s.rate, s.exemption_code): s for s in subtotals(invoice.lines)}
    found = {(s.rate, s.exemption_code): s for s in invoice.tax_subtotals}
    if len(found) != len(invoice.tax_subtotals):
        errors.append("cac:TaxTotal/cac:TaxSubtotal: one subtotal per rate and exemption code")
    for key in expected.keys() | found.keys():
        where = f"cac:TaxTotal/cac:TaxSubtotal[cbc:Percent={key[0]}]"
        want, got = expected.get(key), found.get(key)
        if want is None or got is None:
            errors.append(f"{where}: subtotals do not match the lines' rates")
            continue
        if got.taxable_amount != want.taxable_amount:
            errors.append(
                f"{where}/cbc:TaxableAmount: {got.taxable_amount} != Σ lines {want.taxable_amount}"
            )
        if got.tax_amount != want.tax_amount:
            errors.append(f"{where}/cbc:TaxAmount: {got.tax_amount} != Σ lines {want.tax_amount}")
        if abs(kurus(got.taxable_amount * key[0] / HUNDRED) - got.tax_amount) > KURUS:
            errors.append(f"{where}/cbc:TaxAmount: more than a kuruş from taxable × rate")
    return errors


def _check_totals(invoice: Invoice) -> list[str]:
    t, errors = invoice.totals, []
    want = {
        "LineExtensionAmount": (
            t.line_extension,
            sum((x.line_extension for x in invoice.lines), ZERO),
        ),
        "TaxExclusiveAmount": (t.tax_exclusive, t.line_extension - t.allowance_total),
        "TaxInclusiveAmount": (t.tax_inclusive, t.tax_exclusive + t.tax_total),
        "PayableAmount": (t.payable, t.tax_inclusive),
    }
    for name, (got, expected) in want.items():
        if got != expected:
            errors.append(f"cac:LegalMonetaryTotal/cbc:{name}: {got} != {expected}")
    vat = sum((s.tax_amount for s in invoice.tax_subtotals), ZERO)
    if t.tax_total != vat:
        errors.append(f"cac:TaxTotal/cbc:TaxAmount: {t.tax_total} != Σ subtotals {vat}")
    return errors


def check_arithmetic(invoice: Invoice) -> list[str]:
    """Our own checks: lines, per-rate subtotals and totals add up to the kuruş.

    Returns messages that each start with the UBL element at fault; empty means all good.
    (LineCountNumeric is written from ``len(lines)`` and checked on the XML by kervan-ubltr.)
    """
    return [*_check_lines(invoice), *_check_subtotals(invoice), *_check_totals(invoice)]
