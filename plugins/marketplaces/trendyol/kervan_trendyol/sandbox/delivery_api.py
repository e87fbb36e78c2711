"""Sandbox endpoints for how a package travels: alternative delivery (the seller's own
carrier), box info, and the extended agreed delivery date.

- ``PUT …/alternative-delivery`` (processAlternativeDelivery) [TY-SPEC marketplace.json]:
  body ``{isPhoneNumber: bool, trackingInfo: string, params: {string: string}}``, all three
  required, plus optional ``boxQuantity`` (integer) and ``deci`` (number). ``isPhoneNumber``
  false: ``trackingInfo`` is the carrier's tracking link; true: a phone number. On success the
  package is ``Shipped`` at once [TY-SPEC; TY-DOCS "Alternatif Teslimat İle Gönderim",
  https://developers.trendyol.com/docs/alternatif-teslimat-i̇le-gönderim]; its carrier becomes
  Alternative Delivery (ADEL) [TY-DOCS v3.0 "9. Shipping Alternative Delivery"] and it gets a
  Trendyol ``cargoTrackingNumber`` that the seller reads back from getShipmentPackages
  [TY-DOCS v2.0 "Shipping Alternative Delivery"]; 732 is the Alternatif Teslimat prefix
  [TY-EN "Get Order Packages", apis.md 1.3].
- Delivering or returning an alternative-delivery package is the seller's to report
  [TY-SPEC "Alternatif Teslimat ile Gönderim": ``PUT …/{packageId}/manual-invoice-delivery``,
  ``PUT …/shipment-packages/manual-invoice-delivery-by-tracking-number/{cargoTrackingNumber}``,
  ``PUT …/{packageId}/manual-return``, ``PUT …/manual-return-by-tracking-number/{…}``, no
  body]. Not within 6 hours of shipping; after a delivery report the buyer has three days to
  confirm, else it counts as delivered; a return makes the package ``Returned`` and a claim
  that is accepted at once [TY-DOCS v3.0 "9. Shipping Alternative Delivery"]. Here the
  package is ``Delivered`` :data:`ADEL_DELIVERED_AFTER` after the report (the buyer's three
  days, the latest it can be); until reported it stays ``Shipped``. Inferred: the return's
  claim carries reason 451 (other), and a report on any other package, or a second report,
  is a 400.
  This endpoint replaces ``update-tracking-number``, absent from the current reference
  [TY-SPEC; the TY-EN page "Update Shipping Code" marks it DEPRECATED], so the sandbox no
  longer serves that one.
  Inferred: only a package before shipment (Created, Picking, Invoiced) may be sent this way,
  and not one whose carrier Trendyol arranged (it has Trendyol's tracking number); both
  answer 400 with the message of the old tracking-number service ("Shipment Update Edilebilir
  Bir Durumda Değil", TY-EN). A tracking link must be an http(s) URL and a phone number 10 to
  13 digits (inferred from the samples "http://tex...." and "5555555555").
- ``PUT …/box-info`` (updateBoxInfo) [TY-SPEC]: ``{deci: number, boxQuantity: integer}``;
  for UPS and CEVA packages ("UPS Kargo ve CEVA Lojistik firmalarının sipariş paketleriniz
  için", TY-SPEC description). Inferred: both fields needed and positive; other carriers and
  packages already shipped answer 400. The package's ``cargoDeci`` takes the new desi.
- ``PUT …/extended-agreed-delivery-date`` (extendAgreedDeliveryDate) [TY-SPEC]:
  ``{extendedDayCount: 1|2|3}`` required. Allowed only while the package is extendible
  (``agreedDeliveryDateExtendible`` true), else an error [TY-DOCS "Ek Tedarik Süresi
  Tanımlama", https://developers.trendyol.com/docs/ek-tedarik-süresi-tanımlama]. The
  announcement of 08.12.2025 [TY-DOCS "4. Duyurular"] removes the extension fields from the
  package response, so the sandbox keeps extendibility to itself (:meth:`make_extendible`,
  a test hook) and does not serve those fields. Inferred: an extension moves
  ``agreedDeliveryDate`` by that many days and a package can be extended once.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Response

from .orders_api import NOT_UPDATABLE, _err, _package

if TYPE_CHECKING:
    from .app import TrendyolSandbox

BEFORE_SHIPMENT = ("Created", "Picking", "Invoiced")
ADEL_PROVIDER = "Alternatif Teslimat"
ADEL_PREFIX = "732"
#: the buyer's three days to confirm a reported delivery
ADEL_DELIVERED_AFTER = timedelta(days=3)
BOX_INFO_CARRIERS = ("ups", "ceva")
LINK = re.compile(r"^https?://\S+$")
PHONE = re.compile(r"^\+?\d{10,13}$")
DAY_MS = 24 * 3600 * 1000


def _bool(body: dict[str, Any], name: str) -> bool:
    value = body.get(name)
    if not isinstance(value, bool):
        raise _err(400, f"{name}.required", f"{name} zorunludur (true/false)")
    return value


def _positive(value: Any, name: str, *, integer: bool) -> float | int | None:
    if value is None:
        return None
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value <= 0:
        raise _err(400, f"invalid.{name}", f"{name} pozitif bir sayı olmalıdır")
    return value


def alternative_delivery(sb: TrendyolSandbox, package_id: str, body: dict[str, Any]) -> None:
    pkg = _package(sb, package_id)
    phone = _bool(body, "isPhoneNumber")
    info = body.get("trackingInfo")
    if not isinstance(info, str) or not info.strip():
        raise _err(400, "trackingInfo.required", "trackingInfo zorunludur")
    params = body.get("params")
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        raise _err(400, "params.required", "params zorunludur (metin değerli bir nesne)")
    if phone and not PHONE.match(info.strip()):
        raise _err(400, "invalid.trackingInfo", "trackingInfo bir telefon numarası olmalıdır")
    if not phone and not LINK.match(info.strip()):
        raise _err(400, "invalid.trackingInfo", "trackingInfo bir kargo takip linki olmalıdır")
    boxes = _positive(body.get("boxQuantity"), "boxQuantity", integer=True)
    deci = _positive(body.get("deci"), "deci", integer=False)
    pid = pkg["shipmentPackageId"]
    meta = sb.meta[pid]
    if pkg["status"] not in BEFORE_SHIPMENT or meta.get("ty_tracking"):
        raise _err(400, "shipment.not.updatable", NOT_UPDATABLE)
    pkg["cargoProviderName"] = ADEL_PROVIDER
    pkg["cargoTrackingNumber"] = int(f"{ADEL_PREFIX}{sb.random.randint(10**9, 10**10 - 1)}")
    pkg["cargoTrackingLink"] = None if phone else info.strip()
    if deci is not None:
        pkg["cargoDeci"] = deci
    meta.update(alternative=True, tracking_info=info.strip(), box_quantity=boxes)
    pkg["originShipmentDate"] = sb.now_ms()
    sb.set_status(pid, "Shipped")


#: the seller may not report delivery or return this soon after shipping
MANUAL_AFTER = timedelta(hours=6)


def _by_tracking(sb: TrendyolSandbox, number: str) -> dict[str, Any]:
    for pkg in sb.packages.values():
        if str(pkg.get("cargoTrackingNumber") or "") == number:
            return pkg
    raise _err(400, "shipment.package.not.found", "Kargo takip numarasıyla paket bulunamadı")


def _reportable(sb: TrendyolSandbox, pkg: dict[str, Any]) -> dict[str, Any]:
    meta = sb.meta[pkg["shipmentPackageId"]]
    if not meta.get("alternative") or pkg["status"] != "Shipped" or meta.get("delivery_reported"):
        raise _err(
            400,
            "package.not.alternative.delivery",
            "Yalnızca alternatif teslimatla gönderilmiş, Shipped statüsündeki paketler bildirilebilir",
        )
    if sb.clock.now() - meta["status_at"] < MANUAL_AFTER:
        raise _err(
            400,
            "manual.status.too.early",
            "Kargoya verildikten sonraki 6 saat içinde teslim veya iade bildirilemez",
        )
    return meta


def manual_deliver(sb: TrendyolSandbox, pkg: dict[str, Any]) -> None:
    meta = _reportable(sb, pkg)
    meta["delivery_reported"] = True
    meta["status_at"] = sb.clock.now()  # the buyer's three days run from the report
    sb.schedule(pkg["shipmentPackageId"])


def manual_return(sb: TrendyolSandbox, pkg: dict[str, Any]) -> None:
    from . import claims_api

    _reportable(sb, pkg)
    sb.set_status(pkg["shipmentPackageId"], "Returned")
    wanted = [(line, line["quantity"], 451, "") for line in pkg["lines"]]
    claim = claims_api.new_claim(sb, pkg, wanted, status="Accepted")
    for group in claim["items"]:
        for item in group["claimItems"]:
            item.update(autoAccepted=True, acceptDetail="SYSTEM", resolved=True)


def box_info(sb: TrendyolSandbox, package_id: str, body: dict[str, Any]) -> None:
    pkg = _package(sb, package_id)
    boxes = _positive(body.get("boxQuantity"), "boxQuantity", integer=True)
    deci = _positive(body.get("deci"), "deci", integer=False)
    if boxes is None or deci is None:
        raise _err(400, "boxInfo.required", "deci ve boxQuantity zorunludur")
    provider = str(pkg.get("cargoProviderName") or "").lower()
    if not any(name in provider for name in BOX_INFO_CARRIERS):
        raise _err(
            400,
            "cargo.provider.not.supported",
            "Desi ve koli bilgisi yalnızca UPS ve CEVA paketleri için gönderilebilir",
        )
    if pkg["status"] not in BEFORE_SHIPMENT:
        raise _err(400, "shipment.not.updatable", NOT_UPDATABLE)
    pkg["cargoDeci"] = deci
    sb.meta[pkg["shipmentPackageId"]]["box_quantity"] = boxes
    pkg["lastModifiedDate"] = sb.now_ms()


def extend_agreed_delivery_date(sb: TrendyolSandbox, package_id: str, body: dict[str, Any]) -> None:
    pkg = _package(sb, package_id)
    days = body.get("extendedDayCount")
    if isinstance(days, bool) or days not in (1, 2, 3):
        raise _err(400, "invalid.extendedDayCount", "extendedDayCount 1, 2 veya 3 olabilir")
    meta = sb.meta[pkg["shipmentPackageId"]]
    if not meta.get("extendible") or pkg["status"] not in BEFORE_SHIPMENT:
        raise _err(
            400,
            "agreed.delivery.date.not.extendible",
            "Bu paket için ek tedarik süresi tanımlanamaz",
        )
    meta["extendible"] = False
    pkg["agreedDeliveryDate"] = int(pkg.get("agreedDeliveryDate") or sb.now_ms()) + days * DAY_MS
    pkg["lastModifiedDate"] = sb.now_ms()


def add_routes(sb: TrendyolSandbox, app: FastAPI) -> None:
    packages = "/integration/order/sellers/{sellerId}/shipment-packages"
    pkg_path = packages + "/{packageId}"
    manual = [Depends(sb.guard("PUT manual-delivery"))]

    @app.put(packages + "/manual-invoice-delivery-by-tracking-number/{number}", dependencies=manual)
    async def put_delivered_by_tracking(number: str) -> Response:
        manual_deliver(sb, _by_tracking(sb, number))
        return Response(status_code=200)

    @app.put(packages + "/manual-return-by-tracking-number/{number}", dependencies=manual)
    async def put_returned_by_tracking(number: str) -> Response:
        manual_return(sb, _by_tracking(sb, number))
        return Response(status_code=200)

    @app.put(pkg_path + "/manual-invoice-delivery", dependencies=manual)
    async def put_delivered(packageId: str) -> Response:
        manual_deliver(sb, _package(sb, packageId))
        return Response(status_code=200)

    @app.put(pkg_path + "/manual-return", dependencies=manual)
    async def put_returned(packageId: str) -> Response:
        manual_return(sb, _package(sb, packageId))
        return Response(status_code=200)

    @app.put(
        pkg_path + "/alternative-delivery",
        dependencies=[Depends(sb.guard("PUT alternative-delivery"))],
    )
    async def put_alternative(packageId: str, body: dict[str, Any]) -> Response:
        alternative_delivery(sb, packageId, body)
        return Response(status_code=200)

    @app.put(pkg_path + "/box-info", dependencies=[Depends(sb.guard("PUT box-info"))])
    async def put_box_info(packageId: str, body: dict[str, Any]) -> Response:
        box_info(sb, packageId, body)
        return Response(status_code=200)

    @app.put(
        pkg_path + "/extended-agreed-delivery-date",
        dependencies=[Depends(sb.guard("PUT extended-agreed-delivery-date"))],
    )
    async def put_extend(packageId: str, body: dict[str, Any]) -> Response:
        extend_agreed_delivery_date(sb, packageId, body)
        return Response(status_code=200)
