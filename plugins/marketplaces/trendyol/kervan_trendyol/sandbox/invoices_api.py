"""Sandbox endpoints for invoices (link, file) and the common label."""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Request, Response

from .orders_api import _err, _int, _package

if TYPE_CHECKING:
    from .app import TrendyolSandbox

INVOICE_NUMBER = re.compile(r"^[A-Za-z0-9]{3}20[2-9][0-9][0-9]{9}$")
COMMON_LABEL_PREFIXES = ("733", "726", "729")
MAX_FILE = 10 * 1024 * 1024
FILE_TYPES = {"application/pdf", "image/jpeg", "image/png"}
MAGIC = ((b"%PDF-", "application/pdf"), (b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG", "image/png"))


def file_type(content_type: str | None, filename: str | None, data: bytes) -> str:
    """The part's media type; a part sent without one (or as a generic octet stream) is
    judged by its file name, then by its first bytes, since the spec asks for a PDF, JPEG or
    PNG file, not for a part header."""
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared and declared != "application/octet-stream":
        return declared
    guessed = mimetypes.guess_type(filename or "")[0]
    if guessed:
        return guessed
    for magic, kind in MAGIC:
        if data.startswith(magic):
            return kind
    return declared


def _invoiced_already(sb: TrendyolSandbox, pkg: dict[str, Any]) -> bool:
    return bool(pkg.get("invoiceLink"))


def invoice_link(sb: TrendyolSandbox, body: dict[str, Any]) -> None:
    link = str(body.get("invoiceLink") or "")
    if not link.startswith(("http://", "https://")):
        raise _err(400, "invoiceLink.invalid", "invoiceLink geçerli bir URL olmalıdır")
    pkg = _package(sb, body.get("shipmentPackageId"))
    _check_invoice_fields(sb, pkg, body.get("invoiceDateTime"), body.get("invoiceNumber"))
    if _invoiced_already(sb, pkg):
        raise _err(409, "invoice.already.exists", "Bu pakete ait fatura zaten gönderilmiş")
    if link in sb.invoice_links:
        raise _err(409, "invoiceLink.already.used", "Bu fatura linki başka bir pakette kullanılmış")
    sb.invoice_links[link] = pkg["shipmentPackageId"]
    pkg["invoiceLink"] = link
    pkg["lastModifiedDate"] = sb.now_ms()


def _check_invoice_fields(sb: TrendyolSandbox, pkg: dict[str, Any], when: Any, number: Any) -> None:
    if pkg["status"] in ("Cancelled", "UnSupplied", "UnPacked"):
        raise _err(400, "package.not.invoiceable", "İptal edilmiş pakete fatura gönderilemez")
    if pkg.get("micro") and not (number and when):
        raise _err(
            400, "invoice.info.required", "Micro export type'ları için fatura bilgisi zorunludur"
        )
    if when in (None, ""):
        # invoiceDateTime is optional except for micro export (TY-SPEC sendInvoiceLink)
        when = None
    text = str(when or "")
    if when is not None and not (text.isdigit() and len(text) in (10, 13)):
        raise _err(400, "invoiceDateTime.invalid", "invoiceDateTime 10 veya 13 haneli olmalıdır")
    millis = int(text) * (1000 if len(text) == 10 else 1) if when is not None else 0
    if millis > sb.now_ms() + 60_000:
        raise _err(400, "invoiceDateTime.future", "Fatura tarihi ileri bir tarih olamaz")
    if number and not INVOICE_NUMBER.match(str(number)):
        raise _err(
            400, "invoiceNumber.invalid", "Fatura numarası 16 karakter olmalıdır (ABC2026000000001)"
        )


def delete_link(sb: TrendyolSandbox, body: dict[str, Any]) -> None:
    pkg = _package(sb, body.get("serviceSourceId"))
    link = pkg.get("invoiceLink")
    if not link:
        raise _err(400, "invoiceLink.not.found", "Silinecek fatura linki bulunamadı")
    sb.invoice_links.pop(link, None)
    pkg["invoiceLink"] = None
    pkg["lastModifiedDate"] = sb.now_ms()


async def invoice_file(sb: TrendyolSandbox, request: Request) -> None:
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise _err(400, "file.required", "Fatura dosyası zorunludur")
    pkg = _package(sb, form.get("shipmentPackageId"))
    data = await upload.read()
    kind = file_type(upload.content_type, upload.filename, data)
    if kind not in FILE_TYPES:
        suffix = Path(upload.filename or "").suffix or kind or "?"
        raise _err(
            400,
            "file.type.invalid",
            f"Dosya türü ({suffix}) desteklenmiyor. Desteklenen dosya türleri: "
            "application/pdf,image/jpeg,image/png",
        )
    if len(data) > MAX_FILE or not data:
        raise _err(400, "file.size.invalid", "Dosya boyutu en fazla 10 MB olabilir")
    when = form.get("invoiceDateTime") or None
    _check_invoice_fields(sb, pkg, when, form.get("invoiceNumber"))
    if _invoiced_already(sb, pkg):
        raise _err(409, "invoice.already.exists", "Bu pakete ait fatura zaten gönderilmiş")
    pkg["invoiceLink"] = f"https://cdn.trendyol.com/seller-invoices/{pkg['shipmentPackageId']}.pdf"
    pkg["lastModifiedDate"] = sb.now_ms()


def _label_package(sb: TrendyolSandbox, tracking: str) -> dict[str, Any]:
    pid = sb.by_ty_tracking.get(tracking)
    if pid is not None:
        return sb.packages[pid]
    raise _err(400, "cargoTrackingNumber.invalid", "Geçersiz kargo takip numarası")


def create_label(sb: TrendyolSandbox, tracking: str, body: dict[str, Any]) -> None:
    pkg = _label_package(sb, tracking)
    if not tracking.startswith(COMMON_LABEL_PREFIXES):
        raise _err(400, "cargoTrackingNumber.invalid", "Bu kargo firması ortak etiket desteklemez")
    if body.get("format", "ZPL") != "ZPL":
        raise _err(400, "format.invalid", "Sadece ZPL formatı desteklenir")
    boxes = _int(body.get("boxQuantity", 1), "boxQuantity")
    if not 1 <= boxes <= 20:
        raise _err(400, "boxQuantity.invalid", "boxQuantity 1 ile 20 arasında olmalıdır")
    name = f"{pkg['shipmentAddress']['firstName']} {pkg['shipmentAddress']['lastName']}"
    sb.labels[tracking] = [
        {
            "label": (
                f"^XA^CI28^FO40,40^A0N,36,36^FD{pkg['cargoProviderName']}^FS"
                f"^FO40,100^A0N,30,30^FD{name}^FS"
                f"^FO40,150^A0N,26,26^FD{pkg['shipmentAddress']['district']}/"
                f"{pkg['shipmentAddress']['city']}^FS"
                f"^FO40,220^BCN,120,Y,N,N^FD{tracking}^FS"
                f"^FO40,380^A0N,26,26^FDKoli {box}/{boxes}^FS^XZ"
            ),
            "format": "ZPL",
        }
        for box in range(1, boxes + 1)
    ]
    sb.meta[pkg["shipmentPackageId"]]["labelled"] = True
    sb.schedule(pkg["shipmentPackageId"])


def add_routes(sb: TrendyolSandbox, app: FastAPI) -> None:
    sellers = "/integration/sellers/{sellerId}"

    @app.post(sellers + "/seller-invoice-links", dependencies=[Depends(sb.guard("POST link"))])
    async def post_link(body: dict[str, Any]) -> Response:
        invoice_link(sb, body)
        return Response(status_code=201)

    @app.post(
        sellers + "/seller-invoice-links/delete", dependencies=[Depends(sb.guard("POST unlink"))]
    )
    async def post_delete_link(body: dict[str, Any]) -> Response:
        delete_link(sb, body)
        return Response(status_code=202)

    @app.post(sellers + "/seller-invoice-file", dependencies=[Depends(sb.guard("POST file"))])
    async def post_file(request: Request) -> Response:
        await invoice_file(sb, request)
        return Response(status_code=201)

    label = sellers + "/common-label/{cargoTrackingNumber}"

    @app.post(label, dependencies=[Depends(sb.guard("POST label"))])
    async def post_label(cargoTrackingNumber: str, body: dict[str, Any]) -> Response:
        create_label(sb, cargoTrackingNumber, body)
        return Response(status_code=200)

    @app.get(label, dependencies=[Depends(sb.guard("GET label"))])
    async def get_label(cargoTrackingNumber: str) -> dict[str, Any]:
        _label_package(sb, cargoTrackingNumber)
        return {"data": sb.labels.get(cargoTrackingNumber, [])}
