"""Returns at Yurtiçi: a return code the buyer gives at any branch, and the parcels it brings.

* **Booking** registers a code with ``saveReturnShipmentCode`` under the contract's special
  field (``return_code_field``, 16 live): a buyer who says it at a branch sends the parcel on
  the seller's account, at most ``maxCount`` (= the request's parcels) times, from today to
  ``return_code_days`` later (Turkish dates, ``yyyyMMdd``). Sources: the sandbox's
  :mod:`~kervan_yurtici.sandbox_returns` docstring.
* **The code** is Kervan's: ``KRV`` and ten characters of the SHA-256 of the request's
  ``reference`` in Crockford base32 (no I, L, O, U), short enough to read out at a counter.
  The same reference always gives the same code, so asking again registers nothing new:
  Yurtiçi answers 82655 ("İade kodu daha önceden kaydedilmiştir") for a code it holds, which is
  read as the earlier booking (``already_existed``; its dates are then unknown here, so
  ``valid_until`` is None). No source gives a length or alphabet limit for ``returnCode``; the
  public examples use letters, digits and hyphens (``RMA-2024-001``).
* **Validation.** ``saveReturnShipmentCode`` carries no name, address or phone: the buyer
  gives them at the branch, and the parcel goes to the address on the seller's contract, so
  none of the request's parties is sent or checked. What is checked before any call: the
  request's ``parcels`` fits ``maxCount`` (``xs:int``) and the code window is at least a day.
* **Withdrawing** is ``cancelReturnShipmentCode``; an unknown or already withdrawn code
  (82656) is ``already_done``. Whether a code already used can be withdrawn is not documented.
* **Inbound tracking** lists the documents carrying the code in that special field with the
  report service's ``listInvDocumentInterfaceByReference`` (``withCargoLifecycle`` 1 for the
  movements); see :mod:`~kervan_yurtici.sandbox_report` for the sources and the inference
  this rests on. A code nobody has used has no document ("Kayıt bulunamadı"): no events.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from kervan import RemoteRef, ReturnBooking, ReturnRequest
from kervan.domain import TrackingEvent, TrackingStatus
from kervan.errors import InvalidInputError, RemoteRejectedError
from lxml import etree

from .client import ERR_RETURN_CODE_EXISTS, ERR_RETURN_CODE_UNKNOWN, Detail, children, text
from .mapping import TR_TIME, event_status, parse_local

if TYPE_CHECKING:
    from .connector import Yurtici

#: ``maxCount`` is an ``xs:int``
MAX_COUNT = 2**31 - 1
#: codes asked per report call (the same batch as queryShipment's keys; no documented limit)
BATCH = 50
_CROCKFORD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def return_code(reference: str) -> str:
    """The return code for Kervan's return ``reference`` (see the module docstring)."""
    digest = hashlib.sha256(reference.encode()).digest()
    return "KRV" + base64.b32encode(digest).decode().translate(_CROCKFORD)[:10]


def _today(connector: Yurtici) -> date:
    return connector.context.clock().astimezone(TR_TIME).date()


async def book(connector: Yurtici, request: ReturnRequest) -> ReturnBooking:
    """``Carrier.book_return`` for Yurtiçi (see the module docstring)."""
    days = connector.settings.return_code_days
    if request.parcels > MAX_COUNT:
        raise InvalidInputError(
            f"a yurtici return code is good for at most {MAX_COUNT} parcels",
            errors=[{"loc": ["parcels"], "msg": "more than maxCount allows"}],
        )
    code = return_code(request.reference)
    start = _today(connector)
    end = start + timedelta(days=days)
    try:
        await connector.client.save_return_shipment_code(
            connector.settings.return_code_field,
            code,
            start.strftime("%Y%m%d"),
            end.strftime("%Y%m%d"),
            request.parcels,
        )
    except RemoteRejectedError as exc:
        if exc.detail.get("errCode") != ERR_RETURN_CODE_EXISTS:
            raise
        return ReturnBooking(code=code, reference=request.reference, already_existed=True)
    return ReturnBooking(code=code, reference=request.reference, valid_until=end)


async def cancel(connector: Yurtici, booking: ReturnBooking) -> RemoteRef:
    """``Carrier.cancel_return`` for Yurtiçi: ``cancelReturnShipmentCode``."""
    field = connector.settings.return_code_field
    try:
        await connector.client.cancel_return_shipment_code(field, booking.code)
    except RemoteRejectedError as exc:
        if exc.detail.get("errCode") == ERR_RETURN_CODE_UNKNOWN:
            return RemoteRef(remote_id=booking.code, already_done=True)
        raise
    return RemoteRef(remote_id=booking.code)


async def track(
    connector: Yurtici, bookings: list[ReturnBooking]
) -> dict[str, list[TrackingEvent]]:
    """``Carrier.track_returns`` for Yurtiçi: every asked code, with the movements of the
    parcels handed in with it (oldest first; none for an unused code)."""
    codes = list(dict.fromkeys(b.code for b in bookings))
    out: dict[str, list[TrackingEvent]] = {code: [] for code in codes}
    field = connector.settings.return_code_field
    for start in range(0, len(codes), BATCH):
        result = await connector.client.list_by_reference(field, codes[start : start + BATCH])
        for detail in result.details:
            value = detail.get("fieldValue")
            if value in out:
                out[value] = sorted([*out[value], *parcel_events(detail)], key=lambda e: e.at)
    return out


def parcel_events(detail: Detail) -> list[TrackingEvent]:
    """The movements of one return parcel (a ``shippingDataDetailVOArray``): its lifecycle
    events, and delivery to the seller once ``deliveryDate`` is set."""
    out = [e for ev in children(detail.element, "docCargoLifeCycleVOArray") if (e := _event(ev))]
    delivered = parse_local(detail.get("deliveryDate"), detail.get("deliveryTime"))
    if delivered and not any(e.status is TrackingStatus.DELIVERED for e in out):
        out.append(
            TrackingEvent(
                at=delivered,
                status=TrackingStatus.DELIVERED,
                description=detail.get("cargoEventExplanation") or "Teslim Edildi",
                location=detail.get("deliveryUnitName"),
                raw_code="deliveryDate",
            )
        )
    handed_in = parse_local(detail.get("documentDate"), detail.get("documentTime"))
    if handed_in and not out:
        out.append(_accepted(handed_in, detail.get("departureUnitName")))
    return sorted(out, key=lambda e: e.at)


def _event(ev: etree._Element) -> TrackingEvent | None:
    at = parse_local(text(ev, "eventDate"), text(ev, "eventTime"))
    name = text(ev, "eventName")
    if at is None or not name:
        return None
    place = ", ".join(
        p for p in (text(ev, "unitName"), text(ev, "townName"), text(ev, "cityName")) if p
    )
    return TrackingEvent(
        at=at,
        status=event_status(name),
        description=name,
        location=place or None,
        raw_code=text(ev, "eventId") or name,
    )


def _accepted(at: datetime, unit: str | None) -> TrackingEvent:
    """A parcel whose document exists but has no movements yet was accepted at the branch."""
    return TrackingEvent(
        at=at,
        status=TrackingStatus.PICKED_UP,
        description="Kargo Kabul Edildi",
        location=unit,
        raw_code="documentDate",
    )
