"""The shipping label, rendered locally by the SDK's label helper (:mod:`kervan_sdk.labels`):
the ZPL at booking, the PDF (from the same data) when the label is first printed as PDF.

Yurtiçi has no label endpoint in the material we have: the branch scans the ``cargoKey`` we
print, and only then creates its own document (``docId``). So the label carries the cargo key
as each parcel's barcode, and the Yurtiçi tracking number as text once it is known. The sender
block is the seller the core puts on the booking request.
"""

from __future__ import annotations

from decimal import Decimal

from kervan.domain import Label, Package
from kervan_sdk.labels import LabelData, deferred

CARRIER = "Yurtiçi Kargo"


def label_data(
    package: Package, desi: Decimal, tracking: str, *, sender_fallback: str | None = None
) -> LabelData:
    """What Yurtiçi's label shows for ``package`` (the cargo key on every parcel)."""
    return LabelData.for_package(
        package,
        carrier=CARRIER,
        desi=desi,
        tracking_number=tracking,
        reference=package.invoice_number,
        sender_fallback=sender_fallback,
    )


def label_for(
    package: Package, desi: Decimal, tracking: str, *, sender_fallback: str | None = None
) -> Label:
    """The label as a booking returns it: the ZPL, and the data its PDF is drawn from when
    it is first printed as PDF (:meth:`Yurtici.label_pdf <kervan_yurtici.Yurtici.label_pdf>`)."""
    return deferred(label_data(package, desi, tracking, sender_fallback=sender_fallback))
