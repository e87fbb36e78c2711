"""Returns at MNG: a return order (``createReturnOrder``) the buyer hands in at a branch, and the
shipment it becomes on its way to the seller.

* **Booking** sends ``{order, orderPieceList, shipper}``: the buyer is the ``shipper``, the
  seller's MNG account the recipient (sources: the ``kervan_mng.sandbox`` docstring,
  ``createReturnOrder``). MNG answers ``orderInvoiceId`` and ``returnOrderLabelURL`` (a
  ``https://mn.tc?rtnid=…`` link the buyer uses at the branch: ``tcgunel/omniship-mng``
  README "createReturnShipment"), which becomes ``ReturnBooking.label_url``.
* **The code** is the return order's ``referenceId``, which is also its ``barcode`` (MNG wants
  them equal): ``RTN`` and 13 characters of the SHA-256 of the request's ``reference`` in
  Crockford base32, so the same return always names the same order. Asking again is 3002
  ("already created"); the order is then read back with ``getorder`` (``already_existed``;
  ``getorder`` gives no label link, so ``label_url`` is None then). A lost answer is looked
  up the same way before anything is re-sent. MNG's limit on ``referenceId`` is not published;
  outbound references are cargo keys of at most 20 characters, and 16 stays inside that.
* **Validation before the call** (the limits MNG applies to a Customer, see
  ``kervan_mng.sandbox.validation``): the buyer's name (``fullName``, 100), street address
  (``address``, 250), a mobile number MNG accepts (10 digits without 0 or country code) when
  one is given, an e-mail that looks like one when given (else the ``fallback_email``
  setting), and a city and district in MNG's CBS lists (read from ``cbsinfoapi``, cached).
* **Withdrawing** is ``cancelorder/{referenceId}``, only before the parcel is handed in (once
  it is a shipment MNG refuses; we say so before asking). Withdrawing twice is
  ``already_done``; booking a withdrawn return again is a ``ConflictError``.
* **Inbound tracking** is ``trackshipment/{referenceId}``: the return order becomes a shipment
  when the buyer hands the parcel in (``getshipmentstatus`` answers 404 until then, which is
  why ``logedosoft/DHL-Cargo-ERPNext`` falls back to another query); its events are read like
  an outbound shipment's. No shipment yet: no events.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import TYPE_CHECKING, Any

from kervan import RemoteRef, ReturnBooking, ReturnRequest
from kervan.domain import TrackingEvent
from kervan.errors import (
    ConflictError,
    InvalidInputError,
    InvalidResponseError,
    RemoteRejectedError,
)

from . import mapping
from .client import one

if TYPE_CHECKING:
    from .connector import Mng

NAME_MAX, ADDRESS_MAX, CONTENT_MAX = 100, 250, 100
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def reference_id(reference: str) -> str:
    """MNG's ``referenceId`` (and the return's code) for Kervan's return ``reference``."""
    digest = hashlib.sha256(reference.encode()).digest()
    return "RTN" + base64.b32encode(digest).decode().translate(_CROCKFORD)[:13]


def _street(request: ReturnRequest) -> str:
    address = request.sender_address
    parts = [*address.lines, *([address.neighbourhood] if address.neighbourhood else [])]
    return ", ".join(p.strip() for p in parts if p.strip())


def check(request: ReturnRequest, fallback_email: str) -> dict[str, str]:
    """The buyer's name, street, mobile and e-mail as MNG takes them, or ``InvalidInputError``
    listing every field MNG would refuse (never echoing the values)."""
    errors: list[dict[str, Any]] = []
    name = request.sender.display_name.strip()
    if not name or len(name) > NAME_MAX:
        errors.append({"loc": ["sender", "name"], "msg": f"1 to {NAME_MAX} characters"})
    street = _street(request)
    if not street or len(street) > ADDRESS_MAX:
        errors.append({"loc": ["sender_address", "lines"], "msg": f"1 to {ADDRESS_MAX} characters"})
    given_phone = request.sender_address.phone or request.sender.phone
    phone = mapping.mobile(given_phone)
    if given_phone and phone is None:
        errors.append(
            {"loc": ["sender", "phone"], "msg": "a Turkish mobile number (10 digits, 5xx…)"}
        )
    email = (request.sender.email or "").strip()
    if email and not _EMAIL.match(email):
        errors.append({"loc": ["sender", "email"], "msg": "not an e-mail address"})
    if errors:
        raise InvalidInputError(
            "mng cannot take this return's sender: "
            + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors),
            errors=errors,
        )
    return {"name": name, "street": street, "phone": phone or "", "email": email or fallback_email}


def body(
    request: ReturnRequest, sender: dict[str, str], *, city_code: str, district_code: str, mng: Mng
) -> dict[str, Any]:
    """The ``createReturnOrder`` body (never cash on delivery; no ``pudoId``)."""
    ref = reference_id(request.reference)
    settings = mng.settings
    n = request.parcels
    desi = mapping.whole(request.desi)
    content = f"İade {request.order_number}"[:CONTENT_MAX]
    return {
        "order": {
            "referenceId": ref,
            "barcode": ref,
            "billOfLandingId": request.order_number[:20],
            "isCOD": 0,
            "codAmount": 0,
            "shipmentServiceType": settings.shipment_service_type,
            "packagingType": settings.packaging_type,
            "content": content,
            "smsPreference1": 0,
            "smsPreference2": 0,
            "smsPreference3": 0,
            "paymentType": settings.payment_type,
            "deliveryType": 1,
            "description": (request.note or content)[:CONTENT_MAX],
            "marketPlaceShortCode": "",
            "marketPlaceSaleCode": "",
        },
        "orderPieceList": [
            {"barcode": barcode, "desi": max(1, -(-desi // n)), "kg": 1, "content": content}
            for barcode in mapping.piece_barcodes(ref, n)
        ],
        "shipper": {
            "customerId": "",
            "refCustomerId": "",
            "cityCode": int(city_code),
            "cityName": request.sender_address.city,
            "districtCode": int(district_code),
            "districtName": request.sender_address.district,
            "address": sender["street"],
            "bussinessPhoneNumber": "",
            "email": sender["email"],
            "taxOffice": "",
            "taxNumber": "",  # a buyer sending a parcel back gives none
            "fullName": sender["name"],
            "homePhoneNumber": "",
            "mobilePhoneNumber": sender["phone"],
        },
    }


async def book(mng: Mng, request: ReturnRequest) -> ReturnBooking:
    """``Carrier.book_return`` for MNG (see the module docstring)."""
    sender = check(request, mng.settings.fallback_email)
    address = request.sender_address
    city_code, district_code = await mng.codes(address.city, address.district)
    ref = reference_id(request.reference)
    payload = body(request, sender, city_code=city_code, district_code=district_code, mng=mng)
    try:
        answer = one(await mng.client.create_return_order(payload))
    except ConflictError:
        answer = None
    if answer is not None and answer.get("returnOrderLabelURL"):
        return ReturnBooking(
            code=ref,
            reference=request.reference,
            label_url=str(answer["returnOrderLabelURL"]),
            remote_id=str(answer.get("orderInvoiceId") or "") or None,
        )
    found = await mng.client.get_order(ref)  # an earlier booking, or a lost answer's
    if found is None:
        raise InvalidResponseError(
            f"mng createReturnOrder answered nothing for {ref}", remote="mng"
        )
    if _deleted(found):
        raise ConflictError(
            f"mng return order {ref} for {request.reference} was withdrawn; a new return needs "
            "a new reference",
            remote="mng",
        )
    order = found.get("order") if isinstance(found.get("order"), dict) else found
    return ReturnBooking(
        code=ref,
        reference=request.reference,
        remote_id=str(order.get("orderInvoiceId") or "") or None,
        already_existed=True,
    )


async def cancel(mng: Mng, booking: ReturnBooking) -> RemoteRef:
    """``Carrier.cancel_return`` for MNG: ``cancelorder`` before the parcel is handed in."""
    ref = booking.code
    order = await mng.client.get_order(ref)
    if order is None:
        raise InvalidInputError(
            f"mng knows no return order {ref}",
            errors=[{"loc": ["code"], "msg": "unknown at MNG"}],
        )
    if _deleted(order):
        return RemoteRef(remote_id=ref, already_done=True)
    if await mng.client.shipment_status(ref) is not None:
        raise RemoteRejectedError(
            f"mng return {ref} cannot be withdrawn: the buyer has already handed the parcel in",
            remote="mng",
            remote_message="handed in",
        )
    await mng.client.cancel_order(ref)
    return RemoteRef(remote_id=ref)


async def track(mng: Mng, bookings: list[ReturnBooking]) -> dict[str, list[TrackingEvent]]:
    """``Carrier.track_returns`` for MNG: ``trackshipment`` per code; none before hand-in."""
    out: dict[str, list[TrackingEvent]] = {}
    for code in dict.fromkeys(b.code for b in bookings):
        out[code] = mapping.events(await mng.client.track_shipment(code))
    return out


def _deleted(order: dict[str, Any]) -> bool:
    # ``isDeleted`` is what the sandbox answers for a cancelled order; MNG's field is unconfirmed
    inner = order.get("order")
    return bool((inner if isinstance(inner, dict) else order).get("isDeleted"))
