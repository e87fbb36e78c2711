"""MNG payloads ⇄ Kervan's domain."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any

from kervan.domain import Package, TrackingEvent, TrackingStatus

from .client import parse_date

#: ``shipmentStatusCode`` → (MNG's name, our status)
STATUS_CODES: dict[int, tuple[str, TrackingStatus]] = {
    1: ("Gönderi Hazırlandı", TrackingStatus.CREATED),
    2: ("Transfer Aşamasında", TrackingStatus.IN_TRANSIT),
    3: ("Teslimat Birimine Ulaştı", TrackingStatus.IN_TRANSIT),
    4: ("Alıcı Adresine Yönlendirildi", TrackingStatus.OUT_FOR_DELIVERY),
    5: ("Teslim Edildi", TrackingStatus.DELIVERED),
    6: ("Teslim Edilemedi", TrackingStatus.EXCEPTION),
    7: ("Geri Geliyor", TrackingStatus.RETURNED),
    8: ("Destek Gerekiyor", TrackingStatus.EXCEPTION),
}


def fold(value: str) -> str:
    """Compare names without case, Turkish letters, spaces or underscores."""
    lowered = value.replace("I", "ı").replace("İ", "i").lower().replace("ı", "i")
    plain = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in plain if c.isalnum() and not unicodedata.combining(c))


_BY_NAME = {fold(name): status for name, status in STATUS_CODES.values()}
_BY_NAME[fold("İptal Edildi")] = TrackingStatus.CANCELLED
_BY_NAME[fold("Gönderi İptal Edildi")] = TrackingStatus.CANCELLED


def city_key(name: str) -> str:
    """CBS city names carry the plate code (``İSTANBUL  34``): drop it before comparing."""
    return fold(re.sub(r"\s+\d+\s*$", "", name))


def whole(value: Decimal) -> int:
    """MNG takes desi and kg as integers: round up, at least 1."""
    return max(1, int(value.to_integral_value(rounding=ROUND_CEILING)))


def mobile(value: str | None) -> str | None:
    """10 digits, no leading 0 or country code (``5321234567``)."""
    if not value:
        return None
    digits = re.sub(r"\D", "", value)
    if digits.startswith("90") and len(digits) == 12:
        digits = digits[2:]
    digits = digits.lstrip("0")
    return digits if len(digits) == 10 else None


def reference_of(cargo_key: str) -> str:
    """MNG keeps referenceIds upper-case."""
    return cargo_key.upper()


def piece_barcodes(reference: str, count: int) -> list[str]:
    return [reference] if count == 1 else [f"{reference}-{i}" for i in range(1, count + 1)]


def pieces(package: Package, desi: int, kg: int) -> list[dict[str, Any]]:
    """Split the package's billable desi and kg over its parcels (each at least 1)."""
    n = package.parcel_count
    ref = reference_of(package.cargo_key)
    content = (package.content or "")[:100]
    return [
        {
            "barcode": barcode,
            "desi": max(1, -(-desi // n)),
            "kg": max(1, -(-kg // n)),
            "content": content,
        }
        for barcode in piece_barcodes(ref, n)
    ]


def content_of(package: Package) -> str:
    """``order.content``: MNG refuses it empty, so a package without one says "Gönderi"."""
    return (package.content or "").strip()[:100] or "Gönderi"


def customer(
    package: Package, *, city_code: str, district_code: str, fallback_email: str
) -> dict[str, Any]:
    """The buyer as MNG's Customer, the ``recipient`` of an order (a return's ``shipper`` is
    built from the return request: :mod:`kervan_mng.returns`)."""
    receiver, address = package.receiver, package.address
    street = ", ".join(
        [*address.lines, *([address.neighbourhood] if address.neighbourhood else [])]
    )
    return {
        "customerId": "",
        "refCustomerId": "",
        "cityCode": int(city_code),
        "cityName": address.city,
        "districtCode": int(district_code),
        "districtName": address.district,
        "address": f"{street}"[:250],
        "bussinessPhoneNumber": "",
        "email": receiver.email or fallback_email,
        "taxOffice": receiver.tax_office or "",
        "taxNumber": receiver.tax_id,
        "fullName": receiver.display_name[:100],
        "homePhoneNumber": "",
        "mobilePhoneNumber": mobile(address.phone or receiver.phone) or "",
    }


def _head(
    package: Package, reference: str, *, service_type: int, packaging_type: int, payment_type: int
) -> dict[str, Any]:
    cod = package.cod_amount
    return {
        "referenceId": reference,
        "barcode": reference,
        "billOfLandingId": (package.invoice_number or reference)[:20],
        "isCOD": 1 if cod else 0,
        "codAmount": float(cod) if cod else 0,
        "shipmentServiceType": service_type,
        "packagingType": packaging_type,
        "content": content_of(package),
        "smsPreference1": 0,
        "smsPreference2": 0,
        "smsPreference3": 0,
        "paymentType": payment_type,
        "deliveryType": 1,
        "description": (package.invoice_number or reference)[:100],
        "marketPlaceShortCode": "",
        "marketPlaceSaleCode": "",
        "pudoId": "",
    }


def order_request(
    package: Package,
    *,
    city_code: str,
    district_code: str,
    desi: int,
    kg: int,
    service_type: int,
    packaging_type: int,
    payment_type: int,
    fallback_email: str,
) -> dict[str, Any]:
    """The ``createOrder`` body for ``package``."""
    ref = reference_of(package.cargo_key)
    return {
        "order": _head(
            package,
            ref,
            service_type=service_type,
            packaging_type=packaging_type,
            payment_type=payment_type,
        ),
        "orderPieceList": pieces(package, desi, kg),
        "recipient": customer(
            package, city_code=city_code, district_code=district_code, fallback_email=fallback_email
        ),
    }


def update_request(
    package: Package, *, desi: int, kg: int, shipment_id: str | None = None
) -> dict[str, Any]:
    """``updateorder`` (no ``shipment_id``) / ``updateshipment`` body: waybill, COD and pieces."""
    ref = reference_of(package.cargo_key)
    cod = package.cod_amount
    body: dict[str, Any] = {"referenceId": ref}
    if shipment_id is not None:
        body["shipmentId"] = shipment_id
    body.update(
        billOfLandingId=(package.invoice_number or ref)[:20],
        isCOD=1 if cod else 0,
        codAmount=float(cod) if cod else 0,
        orderPieceList=pieces(package, desi, kg),
    )
    return body


def barcode_request(package: Package, *, desi: int, kg: int, packaging_type: int) -> dict[str, Any]:
    """The ``createbarcode`` body: the same pieces, now with their final desi and kg."""
    cod = package.cod_amount
    return {
        "referenceId": reference_of(package.cargo_key),
        "billOfLandingId": (package.invoice_number or reference_of(package.cargo_key))[:20],
        "isCOD": 1 if cod else 0,
        "codAmount": float(cod) if cod else 0,
        "packagingType": packaging_type,
        "printReferenceBarcodeOnError": 0,
        "message": "",
        "additionalContent1": "",
        "additionalContent2": "",
        "orderPieceList": pieces(package, desi, kg),
    }


def event_status(event: dict[str, Any]) -> TrackingStatus | None:
    code = event.get("shipmentStatusCode") or event.get("eventStatusCode")
    try:
        if code is not None and int(code) in STATUS_CODES:
            return STATUS_CODES[int(code)][1]
    except (TypeError, ValueError):
        pass
    for key in ("eventStatus", "shipmentStatus", "eventStatusEn"):
        if event.get(key) and (found := _BY_NAME.get(fold(str(event[key])))):
            return found
    return None


def events(raw: list[dict[str, Any]]) -> list[TrackingEvent]:
    """Normalized events from ``trackshipment``, oldest first.

    MNG has no "accepted at branch" status: the parcel has been picked up once its first
    movement beyond "prepared" is reported, so a ``picked_up`` event is dated there.
    """
    out: list[TrackingEvent] = []
    for event in raw:
        status = event_status(event)
        at = parse_date(event.get("eventDateTime") or event.get("statusDateTime"))
        if status is None or at is None:
            continue
        place = event.get("location") or event.get("eventLocation")
        out.append(
            TrackingEvent(
                at=at,
                status=status,
                description=event.get("description") or event.get("eventStatus"),
                location=str(place) if place else None,
                raw_code=str(event.get("eventStatus") or event.get("shipmentStatusCode") or ""),
            )
        )
    out.sort(key=lambda e: e.at)
    moved = next(
        (e for e in out if e.status not in (TrackingStatus.CREATED, TrackingStatus.CANCELLED)), None
    )
    if moved is not None and not any(e.status is TrackingStatus.PICKED_UP for e in out):
        out.insert(
            out.index(moved),
            TrackingEvent(
                at=moved.at,
                status=TrackingStatus.PICKED_UP,
                description="Kargo teslim alındı",
                location=moved.location,
                raw_code="picked_up",
            ),
        )
    return out


def created_only(at: datetime) -> list[TrackingEvent]:
    return [
        TrackingEvent(
            at=at,
            status=TrackingStatus.CREATED,
            description="Sipariş oluşturuldu",
            raw_code="order",
        )
    ]
