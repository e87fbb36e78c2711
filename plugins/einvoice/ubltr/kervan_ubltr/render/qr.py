"""The karekod (QR code) GİB requires on printed e-documents: its content and its modules.

Content. GİB's "e-Belgelerde Karekod Standardı Kılavuzu" defines the QR content as a flat
JSON object whose values are the document's own XML values, as strings:

* e-Fatura / e-Arşiv invoice: ``vkntckn`` (seller VKN/TCKN), ``avkntckn`` (buyer VKN/TCKN),
  ``senaryo`` (ProfileID), ``tip`` (InvoiceTypeCode), ``tarih`` (IssueDate, ``YYYY-MM-DD``),
  ``no`` (ID), ``ettn`` (UUID), ``parabirimi`` (DocumentCurrencyCode), ``malhizmettoplam``
  (LegalMonetaryTotal/LineExtensionAmount), then for every VAT (TaxTypeCode ``0015``)
  subtotal ``kdvmatrah(<Percent>)`` (TaxableAmount) and ``hesaplanankdv(<Percent>)``
  (TaxAmount), then ``vergidahil`` (TaxInclusiveAmount) and ``odenecek`` (PayableAmount).
* e-İrsaliye: ``vkntckn``, ``avkntckn``, ``senaryo``, ``tip`` (DespatchAdviceTypeCode),
  ``tarih``, ``no``, ``ettn``, ``sevktarihi`` / ``sevkzamani`` (ActualDespatchDate/Time),
  ``tasiyicivkn`` (carrier's id) and ``plaka`` (LicensePlateID).

The key set and order were checked against the guide's published examples and the QR blocks
of GİB's general e-Fatura / e-Arşiv / e-İrsaliye XSLT views (which build the object from the
XML paths above). Amounts are written as in the XML (``1080.00``), so the builder's XML and
this payload agree when both format amounts with two decimals and percents with
:func:`percent_text`.

Modules. The payload is encoded with segno at error level M, always with mask pattern 0:
every one of the eight masks is valid (ISO/IEC 18004), and scoring all eight to pick the
"best" costs ~17 ms per invoice in pure Python, most of the 20 ms a page may take at the
required 50 invoices per second. The tests decode the rendered page to prove it reads back.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal

import segno
from kervan.domain.documents import DespatchAdvice, Invoice

from .text import local, plate

VAT = "0015"
_DARK_RUN = re.compile(rb"\x01+")


def percent_text(rate: Decimal) -> str:
    """A VAT rate exactly as the builder writes ``cbc:Percent`` (``format(rate, "f")``).

    GİB's viewers copy the Percent text into the key verbatim, so ``20`` stays ``20`` and a
    rate given as ``20.0`` would stay ``20.0``: the key must not be normalised differently.
    """
    return format(rate, "f")


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def _date(value: datetime) -> str:
    return local(value).date().isoformat()


def qr_payload(invoice: Invoice) -> str:
    """The JSON text GİB's karekod standard puts in an e-Fatura / e-Arşiv invoice's QR code."""
    data: dict[str, str] = {
        "vkntckn": invoice.seller.tax_id,
        "avkntckn": invoice.buyer.tax_id,
        "senaryo": invoice.profile,
        "tip": invoice.type_code,
        "tarih": _date(invoice.issued_at),
        "no": invoice.number or "",
        "ettn": invoice.uuid,
        "parabirimi": invoice.currency,
        "malhizmettoplam": _amount(invoice.totals.line_extension),
    }
    for subtotal in invoice.tax_subtotals:
        if subtotal.tax_type_code != VAT:
            continue
        rate = percent_text(subtotal.rate)
        data[f"kdvmatrah({rate})"] = _amount(subtotal.taxable_amount)
        data[f"hesaplanankdv({rate})"] = _amount(subtotal.tax_amount)
    data["vergidahil"] = _amount(invoice.totals.tax_inclusive)
    data["odenecek"] = _amount(invoice.totals.payable)
    return _json(data)


def despatch_qr_payload(advice: DespatchAdvice) -> str:
    """The JSON text GİB's karekod standard puts in an e-İrsaliye's QR code."""
    despatched = local(advice.despatched_at)
    data = {
        "vkntckn": advice.seller.tax_id,
        "avkntckn": advice.receiver.tax_id,
        "senaryo": advice.profile,
        "tip": advice.type_code,
        "tarih": _date(advice.issued_at),
        "no": advice.number,
        "ettn": advice.uuid,
        "sevktarihi": despatched.date().isoformat(),
        "sevkzamani": despatched.strftime("%H:%M:%S"),
        "tasiyicivkn": advice.carrier.tax_id if advice.carrier else "",
        "plaka": plate(advice.driver.plate) if advice.driver else "",
    }
    return _json(data)


def _json(data: dict[str, str]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def qr_matrix(payload: str) -> tuple[bytearray, ...]:
    """The QR modules for ``payload``, row by row, 1 = dark, without the quiet zone."""
    code = segno.make_qr(payload, error="m", boost_error=False, mask=0)
    return code.matrix


def dark_runs(matrix: tuple[bytearray, ...]) -> list[tuple[int, int, int]]:
    """Horizontal runs of dark modules as ``(row, first column, length)``.

    Drawing one rectangle per run instead of per module keeps the PDF and SVG small and fast.
    """
    return [
        (row_index, match.start(), match.end() - match.start())
        for row_index, row in enumerate(matrix)
        for match in _DARK_RUN.finditer(row)
    ]


def qr_svg(payload: str, size_px: int = 176) -> str:
    """An inline ``<svg>`` QR code (4-module quiet zone) for HTML views."""
    matrix = qr_matrix(payload)
    side = len(matrix) + 8
    path = "".join(f"M{c + 4} {r + 4}h{n}v1h-{n}z" for r, c, n in dark_runs(matrix))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size_px}" height="{size_px}" '
        f'viewBox="0 0 {side} {side}" shape-rendering="crispEdges" role="img" '
        f'aria-label="Karekod"><rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path d="{path}" fill="#000"/></svg>'
    )
