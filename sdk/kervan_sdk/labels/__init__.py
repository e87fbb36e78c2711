"""Shipping labels for carrier and marketplace plugins: one renderer, PDF and ZPL alike.

- :class:`LabelData` says what a label shows (carrier, sender, receiver, a barcode per piece,
  desi and kg, tracking number, reference, notes); :meth:`LabelData.for_package` builds it
  from the core's booking request, with the seller as sender.
- :func:`render` gives a ``kervan.domain.Label``: a 100×150 mm PDF (DejaVu Sans embedded, so
  ş ğ ı İ survive) and 203 dpi ZPL (``^CI28`` UTF-8, Zebra's Unicode font), the same fields on
  both; :func:`render_pdf` and :func:`render_zpl` give one of them.
- :func:`with_pdf` completes a label that came as ZPL only (a marketplace's common label) with
  a PDF of the same fields and barcodes (:func:`pdf_from_zpl`).
"""

from __future__ import annotations

from kervan.domain import Label

from .model import LabelData, LabelError, LabelParty, address_lines, check_barcode
from .render import ZPL_FONT, render, render_pdf, render_zpl, zpl_text
from .zpl import ZplBarcode, ZplPage, ZplText, parse_zpl, pdf_from_zpl


def with_pdf(label: Label) -> Label:
    """``label`` with a PDF: as it is when it has one, else its ZPL drawn as a PDF (same
    fields, same barcodes). :class:`LabelError` when the ZPL cannot be drawn."""
    if label.pdf or not label.zpl.strip():
        return label
    return Label(zpl=label.zpl, pdf=pdf_from_zpl(label.zpl))


__all__ = [
    "ZPL_FONT",
    "LabelData",
    "LabelError",
    "LabelParty",
    "ZplBarcode",
    "ZplPage",
    "ZplText",
    "address_lines",
    "check_barcode",
    "parse_zpl",
    "pdf_from_zpl",
    "render",
    "render_pdf",
    "render_zpl",
    "with_pdf",
    "zpl_text",
]
