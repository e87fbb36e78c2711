"""The bodies the MNG sandbox answers with: error envelopes and the query/bulk row shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.responses import JSONResponse

from ..mapping import STATUS_CODES
from .state import SimOrder, SimShipment, local

TRACKING_URL = "https://kargotakip.mngkargo.com.tr/?takipNo={}"


def error(status: int, code: str, description: str, message: str | None = None) -> JSONResponse:
    """A business error: ``{"error": {"Code", "Message", "Description"}}`` (PascalCase)."""
    body = {
        "Code": code,
        "Message": message or "İşlem gerçekleştirilemedi",
        "Description": description,
    }
    return JSONResponse({"error": body}, status_code=status)


def invalid(code: str, description: str, message: str = "Bad Request") -> JSONResponse:
    """A request MNG's model binding refuses: 400 ``{"error": {"code", "message",
    "description"}}`` (camelCase, as observed on 400 answers)."""
    body = {"code": code, "message": message, "description": description}
    return JSONResponse({"error": body}, status_code=400)


def ibm(
    status: int, message: str, more: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """IBM API Connect's own answer (gateway errors, before MNG's code runs)."""
    return JSONResponse(
        {"httpCode": str(status), "httpMessage": message, "moreInformation": more},
        status_code=status,
        headers=headers,
    )


def status_row(order: SimOrder, s: SimShipment, now: datetime) -> dict[str, Any]:
    """``getshipmentstatus`` / the ``shipment`` of ``getshipment``."""
    offset, code, _en, _unit = s.step(now)
    at = s.created_at + offset
    return {
        "orderId": order.invoice_id,
        "referenceId": order.reference_id,
        "shipmentId": s.shipment_id,
        "shipmentSerialandNumber": s.invoice_id,
        "shipmentDateTime": local(s.created_at),
        "shipmentStatus": STATUS_CODES[code][0].replace(" ", "_"),
        "shipmentStatusCode": code,
        "statusDateTime": local(at),
        "isDelivered": 1 if code == 5 else 0,
        "deliveryDateTime": local(at) if code == 5 else None,
        "trackingUrl": TRACKING_URL.format(s.shipment_id),
    }


def events(s: SimShipment, now: datetime) -> list[dict[str, Any]]:
    """``trackshipment``: one event per stage reached (and the cancellation)."""
    out = []
    for seq, (offset, code, en, unit) in enumerate(s.reached(now), start=1):
        out.append(
            {
                "eventSequence": seq,
                "eventStatus": STATUS_CODES[code][0],
                "eventStatusEn": en,
                "eventDateTime": local(s.created_at + offset),
                "location": unit,
                "locationPhone": "",
                "description": STATUS_CODES[code][0],
            }
        )
    if s.cancelled_at is not None:
        out.append(
            {
                "eventSequence": len(out) + 1,
                "eventStatus": "İptal Edildi",
                "eventStatusEn": "Cancelled",
                "eventDateTime": local(s.cancelled_at),
                "location": "ÇIKIŞ ŞUBESİ",
                "locationPhone": "",
                "description": "Gönderi iptal edildi",
            }
        )
    return out


def _customer(party: dict[str, Any]) -> dict[str, Any]:
    return {
        "refCustomerId": party.get("refCustomerId") or "",
        "city": party.get("cityName") or "",
        "district": party.get("districtName") or "",
        "address": party.get("address") or "",
        "bussinessPhoneNumber": party.get("bussinessPhoneNumber") or "",
        "email": party.get("email") or "",
        "taxOffice": party.get("taxOffice") or "",
        "taxNumber": party.get("taxNumber") or "",
        "fullName": party.get("fullName") or "",
        "homePhoneNumber": party.get("homePhoneNumber") or "",
        "mobilePhoneNumber": party.get("mobilePhoneNumber") or "",
    }


def bulk_row(
    order: SimOrder, s: SimShipment, now: datetime, seller: dict[str, Any]
) -> dict[str, Any]:
    """A ``getShipmentByDate`` / ``getDeliveredShipment`` row: ``{shipment, shipmentPieceList,
    shipper, recipient}``. A return's shipper is the buyer and its recipient the seller."""
    head = order.body.get("order") or {}
    code = s.step(now)[1]
    pieces = order.pieces
    kg = sum(int(p.get("kg") or 0) for p in pieces)
    desi = sum(int(p.get("desi") or 0) for p in pieces)
    delivered = s.delivered_at(now)
    shipment = {
        "shipmentServiceType": str(head.get("shipmentServiceType") or ""),
        "packagingType": str(head.get("packagingType") or ""),
        "paymentType": str(head.get("paymentType") or ""),
        "deliveryType": str(head.get("deliveryType") or ""),
        "referenceId": order.reference_id,
        "shipmentId": s.shipment_id,
        "shipmentSerialNumber": s.invoice_id[:2],
        "shipmentNumber": s.invoice_id[2:],
        "shipmentDateTime": local(s.created_at),
        "pieceCount": len(pieces),
        "totalKg": kg,
        "totalDesi": desi,
        "totalKgDesi": max(kg, desi),
        "shipmentStatusCode": code,
        "isMarketPlaceShipment": 1 if head.get("marketPlaceShortCode") else 0,
        "isMarketPlacePays": 0,
        "shipperBranch": "KADIKÖY",
        "billOfLandingId": head.get("billOfLandingId") or "",
        "isCOD": int(head.get("isCOD") or 0),
        "codAmount": str(head.get("codAmount") or 0),
        "content": head.get("content") or "",
        "isDelivered": 1 if delivered else 0,
        "deliveryDate": local(delivered) if delivered else None,
        "deliveryTo": (order.party.get("fullName") or "") if delivered else None,
    }
    pieces_out = [
        {
            "numberOfPieces": n,
            "kgDesi": max(int(p.get("kg") or 0), int(p.get("desi") or 0)),
            "barcode": p.get("barcode"),
            "desi": p.get("desi"),
            "kg": p.get("kg"),
            "content": p.get("content") or "",
        }
        for n, p in enumerate(pieces, start=1)
    ]
    buyer = _customer(order.party)
    shipper, recipient = (buyer, seller) if order.kind == "return" else (seller, buyer)
    return {
        "shipment": shipment,
        "shipmentPieceList": pieces_out,
        "shipper": shipper,
        "recipient": recipient,
    }
