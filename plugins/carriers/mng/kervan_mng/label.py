"""Labels: MNG's own ZPL when ``createbarcode`` returns it, and a PDF from the SDK's label
helper (:mod:`kervan_sdk.labels`), drawn when the label is first printed as PDF.

``createbarcode`` answers per piece with ``value`` (MNG's ZPL for that piece) and ``barcode``
(the string MNG scans). The PDF carries that piece barcode as its main Code128 and the MNG
shipment number (our tracking number) as a second, smaller Code128. When MNG's ZPL is not at
hand (a shipment found again after a lost answer), the ZPL is rendered by the SDK too. The
sender block is the seller the core puts on the booking request.
"""

from __future__ import annotations

from decimal import Decimal

from kervan.domain import Label, Package
from kervan_sdk.labels import LabelData, deferred

CARRIER = "MNG Kargo"


def label_data(
    package: Package,
    *,
    shipment_id: str,
    pieces: list[str],
    desi: Decimal,
    reference: str,
    sender_fallback: str | None = None,
) -> LabelData:
    """What MNG's label shows: a page per piece barcode, the shipment number as a second
    barcode."""
    return LabelData.for_package(
        package,
        carrier=CARRIER,
        pieces=pieces,
        desi=desi,
        tracking_number=shipment_id,
        tracking_barcode=True,
        reference=reference,
        sender_fallback=sender_fallback,
    )


def render(data: LabelData, *, remote_zpl: str | None = None) -> Label:
    """The label as a booking returns it: MNG's ZPL if it sent one, else ours, and ``data``
    to draw the PDF from when it is first printed as PDF (:meth:`Mng.label_pdf
    <kervan_mng.Mng.label_pdf>`: the piece barcode and the shipment number as on MNG's ZPL)."""
    zpl = remote_zpl if remote_zpl and remote_zpl.lstrip().startswith("^XA") else None
    return deferred(data, zpl=zpl)
