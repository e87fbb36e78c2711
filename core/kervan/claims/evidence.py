"""Packing evidence: what Kervan holds about how an order was packed, attached to a rejection.

The packing station logs every scan with the packer, the station and the time, and may keep a
photo of the closed parcel (:func:`record_pack_scan`). When the returns desk rejects a claim,
Kervan attaches that log as a one-page PDF, and the photo, to the rejection it sends the
marketplace (:func:`evidence_files`): the proof that the right goods left whole.
"""

from __future__ import annotations

import contextlib
import io
from datetime import datetime
from typing import Any

from ..roles import ClaimFile
from ..store.port import DocumentExists, TenantStore, declare_kind

#: one per order: the packing station's scan log for it
PACK_LOG = "pack_log"
declare_kind(PACK_LOG, ("packed_at",))

#: Trendyol's file limit for seller uploads (10 MB); a bigger photo is left out, not sent
MAX_FILE_BYTES = 10 * 1024 * 1024


def pack_log_key(order_id: str) -> str:
    return order_id


def record_pack_scan(
    store: TenantStore,
    order_id: str,
    *,
    scan_id: str,
    barcode: str,
    packer: str,
    station: str,
    at: datetime,
    photo_blob: str | None = None,
    order_number: str | None = None,
) -> bool:
    """Add one scan to the order's packing log; a scan id seen before changes nothing (a
    handheld's retry). Returns whether the scan was new."""
    entry = {
        "id": scan_id,
        "barcode": barcode,
        "packer": packer,
        "station": station,
        "at": at.isoformat(),
    }

    added = [False]  # whether the attempt that landed appended the scan

    def change(body: dict[str, Any]) -> dict[str, Any] | None:
        scans = body.get("scans", [])
        added[0] = not any(s["id"] == scan_id for s in scans)
        if not added[0]:
            return None
        body["scans"] = [*scans, entry]
        body["packed_at"] = at.isoformat()
        if photo_blob:
            body["photo_blob"] = photo_blob
        return body

    key = pack_log_key(order_id)
    if store.get(PACK_LOG, key) is None:
        body: dict[str, Any] = {"order_id": order_id, "order_number": order_number, "scans": []}
        with contextlib.suppress(DocumentExists):  # a concurrent first scan created it
            store.insert(PACK_LOG, key, body)
    store.update(PACK_LOG, key, change)
    return added[0]


def evidence_files(store: TenantStore, order_id: str) -> list[ClaimFile]:
    """The packing log as a PDF and the parcel photo, if any; empty when the order was not
    packed through Kervan's station."""
    doc = store.get(PACK_LOG, pack_log_key(order_id))
    if doc is None or not doc.body.get("scans"):
        return []
    files = [
        ClaimFile(
            name=f"packing-evidence-{_safe(order_id)}.pdf",
            data=_log_pdf(doc.body),
            content_type="application/pdf",
        )
    ]
    photo = doc.body.get("photo_blob")
    found = store.get_blob(photo) if photo else None
    if found is not None and len(found[0]) <= MAX_FILE_BYTES:
        files.append(
            ClaimFile(
                name=f"packed-parcel-{_safe(order_id)}.jpg", data=found[0], content_type=found[1]
            )
        )
    return files


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text)[:80]


def _log_pdf(body: dict[str, Any]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4, invariant=True)
    pdf.setTitle(f"Packing evidence {body.get('order_number') or body['order_id']}")
    height = A4[1]
    y = height - 60
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(50, y, "Paketleme kaydi / Packing evidence")
    y -= 24
    pdf.setFont("Helvetica", 10)
    pdf.drawString(50, y, f"Order: {body.get('order_number') or ''}  ({body['order_id']})")
    y -= 16
    pdf.drawString(50, y, f"Packed at: {body.get('packed_at', '')}")
    y -= 24
    pdf.setFont("Helvetica-Bold", 10)
    for x, title in ((50, "Time (UTC)"), (210, "Barcode"), (360, "Packer"), (460, "Station")):
        pdf.drawString(x, y, title)
    pdf.setFont("Helvetica", 9)
    for scan in body["scans"]:
        y -= 14
        if y < 60:
            pdf.showPage()
            y = height - 60
            pdf.setFont("Helvetica", 9)
        for x, value in (
            (50, scan["at"][:19]),
            (210, scan["barcode"]),
            (360, scan["packer"]),
            (460, scan["station"]),
        ):
            pdf.drawString(x, y, str(value)[:28])
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
