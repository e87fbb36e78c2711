"""Shipping labels for carrier and marketplace plugins: one renderer, PDF and ZPL alike.

- :class:`LabelData` says what a label shows (carrier, sender, receiver, a barcode per piece,
  desi and kg, tracking number, reference, notes); :meth:`LabelData.for_package` builds it
  from the core's booking request, with the seller as sender.
- :func:`render` gives a ``kervan.domain.Label``: a 100×150 mm PDF (DejaVu Sans embedded, so
  ş ğ ı İ survive) and 203 dpi ZPL (``^CI28`` UTF-8, Zebra's Unicode font), the same fields on
  both; :func:`render_pdf` and :func:`render_zpl` give one of them.
- :func:`deferred` gives the label a connector returns from a booking: the ZPL now, and the
  data (``Label.render_data``) the PDF is drawn from when the label is first printed as PDF.
  The core keeps both and asks the connector's ``label_pdf`` for that PDF once;
  :func:`label_pdf` is what that method answers, for a label of :func:`deferred` (drawn from
  its data) or one that came as ZPL only (a marketplace's common label, drawn from its ZPL
  with the same fields and barcodes, :func:`pdf_from_zpl`).
- :func:`with_pdf` completes a ZPL-only label with its PDF at once (kept for callers that want
  both now; a connector returns the label without it).
"""

from __future__ import annotations

from kervan.domain import Label
from kervan.errors import InvalidInputError

from .model import LabelData, LabelError, LabelParty, address_lines, check_barcode
from .render import ZPL_FONT, render, render_pdf, render_zpl, zpl_text
from .zpl import ZplBarcode, ZplPage, ZplText, parse_zpl, pdf_from_zpl


def deferred(data: LabelData, *, zpl: str | None = None, zpl_font: str = ZPL_FONT) -> Label:
    """The label as a booking returns it: ``zpl`` (the carrier's own) or the ZPL drawn from
    ``data``, and ``data`` to draw the PDF from on first print; no PDF yet."""
    return Label(zpl=zpl or render_zpl(data, font=zpl_font), render_data=data.as_dict())


def pdf_of(label: Label) -> bytes:
    """The label's PDF: its own when it has one, else drawn from its render data
    (:func:`deferred`), else from its ZPL. :class:`LabelError` when none can be drawn."""
    if label.pdf:
        return label.pdf
    if label.render_data:
        return render_pdf(LabelData.from_dict(label.render_data))
    if label.zpl.strip():
        return pdf_from_zpl(label.zpl)
    raise LabelError("the label has neither a PDF, render data nor ZPL to draw")


def label_pdf(label: Label) -> bytes:
    """:func:`pdf_of` as a connector's ``label_pdf`` answers: a label that cannot be drawn is
    :class:`~kervan.errors.InvalidInputError` (the core says why and offers the ZPL)."""
    try:
        return pdf_of(label)
    except LabelError as exc:
        raise InvalidInputError(str(exc)) from exc


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
    "deferred",
    "label_pdf",
    "parse_zpl",
    "pdf_from_zpl",
    "pdf_of",
    "render",
    "render_pdf",
    "render_zpl",
    "with_pdf",
    "zpl_text",
]
