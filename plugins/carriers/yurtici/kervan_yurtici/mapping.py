"""Yurtiçi payloads ⇄ Kervan's domain: ``ShippingOrderVO`` from a package, events from a query."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_CEILING, Decimal

from kervan.domain import Package, TrackingEvent, TrackingStatus
from kervan.domain import TrackingStatus as S
from lxml import etree

from .client import Detail, Node, children, text

#: Yurtiçi answers in Turkish local time (UTC+3 all year since 2016)
TR_TIME = timezone(timedelta(hours=3), "TRT")

#: ``operationStatus`` → what it says about the parcel
STATUS_MEANING = {
    "NOP": "not processed yet (the branch has not scanned the cargo key)",
    "ISR": "processed at the branch, waybill/invoice not completed",
    "IND": "in delivery (moving through the network)",
    "DLV": "delivered",
    "CNL": "cancelled (departure blocked)",
    "ISC": "already cancelled",
    "BI": "cancelled by Yurtiçi",
}
CANCELLED = frozenset({"CNL", "ISC", "BI"})

# history event names (``invDocCargoVOArray/eventName``) by keyword, first match wins;
# the names are not in a primary source, so unknown ones after pickup count as in transit
_EVENT_KEYWORDS: tuple[tuple[str, TrackingStatus], ...] = (
    ("teslimedildi", TrackingStatus.DELIVERED),
    ("iade", TrackingStatus.RETURNED),
    ("dagitima", TrackingStatus.OUT_FOR_DELIVERY),
    ("teslimata", TrackingStatus.OUT_FOR_DELIVERY),
    ("kabul", TrackingStatus.PICKED_UP),
    ("iptal", TrackingStatus.CANCELLED),
    ("hasar", TrackingStatus.EXCEPTION),
    ("adresbulunamadi", TrackingStatus.EXCEPTION),
    ("teslimedilemedi", TrackingStatus.EXCEPTION),
)


def fold(value: str) -> str:
    lowered = value.replace("I", "ı").replace("İ", "i").lower().replace("ı", "i")
    plain = unicodedata.normalize("NFKD", lowered)
    return "".join(c for c in plain if c.isalnum() and not unicodedata.combining(c))


def _phone(value: str | None) -> str | None:
    if not value:
        return None
    digits = re.sub(r"\D", "", value)
    return digits[-10:] if len(digits) >= 10 else digits or None


def _number(value: Decimal, places: str = "0.001") -> str:
    return f"{value.quantize(Decimal(places)).normalize():f}"  # 40, never 4E+1


def round_up(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).to_integral_value(rounding=ROUND_CEILING) * step


#: ``taxOfficeId`` when the receiver's tax office is not known by Yurtiçi's id (we only know its name)
NO_TAX_OFFICE_ID = "0"
#: ``dcSelectedCredit`` (number of instalments) and ``dcCreditRule`` (0 = the receiver must choose
#: instalments, 1 = a single charge is allowed): we never offer instalments at the door
NO_INSTALMENTS, SINGLE_CHARGE_ALLOWED = "0", "1"
#: ``ttDocumentId`` when there is no cash-on-delivery document
NO_DOCUMENT_ID = "0"


#: ``ttDocumentId`` is at most 12 digits (``string(12)``/``Long(12)`` in the public field tables;
#: the sandbox answers 82508 to a longer one)
COD_DOCUMENT_DIGITS = 12


def cod_document_id(package: Package) -> str:
    """A numeric ``ttDocumentId`` (an ``xs:long`` of at most 12 digits) for a COD shipment.

    It is the COD invoice number: the last 12 digits of our invoice number when it ends in digits
    (a GİB number is a 3-character series, the year and a 9-digit sequence, e.g.
    ``KRV2026000000001`` → 026000000001 → 26000000001: the year's last three digits and the
    sequence), otherwise a number derived from the cargo key (sha256, 12 decimal digits), so the
    same package always sends the same id and a re-sent create stays idempotent.
    """
    match = re.search(r"(\d+)$", package.invoice_number or "")
    if match and (number := int(match.group(1)[-COD_DOCUMENT_DIGITS:])) > 0:
        return str(number)
    digest = hashlib.sha256(package.cargo_key.encode()).hexdigest()
    return str(int(digest, 16) % 10**COD_DOCUMENT_DIGITS or 1)


#: ``receiverAddress`` bounds: 10–200 keeps inside every public source (5–200, 10–500)
ADDRESS_MIN, ADDRESS_MAX = 10, 200
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def receiver_address(package: Package) -> str:
    """The street address without the city and district, which go in ``cityName``/``townName``
    (public clients: "do not include city/district here"); a very short one keeps them so the
    text reaches the documented minimum."""
    address = package.address
    lines = ", ".join(
        p
        for p in (*address.lines, *([address.neighbourhood] if address.neighbourhood else []))
        if p.strip()
    )
    if len(lines) < ADDRESS_MIN:
        lines = f"{lines}, {address.district}/{address.city}".strip(", ")
    return lines[:ADDRESS_MAX]


def email(value: str | None) -> str | None:
    """The receiver's e-mail when it looks like one (a malformed one would refuse the whole
    shipment with 82515; it only feeds Yurtiçi's notifications)."""
    return value if value and len(value) <= 200 and _EMAIL.fullmatch(value) else None


def shipping_order(package: Package, *, desi: Decimal) -> list[Node]:
    """The ``ShippingOrderVO`` children for ``package``, in the WSDL's sequence order.

    ``taxOfficeId``, ``cargoCount``, ``ttDocumentId``, ``dcSelectedCredit`` and ``dcCreditRule``
    are required by the WSDL (``xs:long``/``xs:int`` without ``minOccurs="0"``), so they are
    always sent; see the README for where the order and types come from.
    """
    address = package.address
    receiver = package.receiver
    phone = _phone(address.phone or receiver.phone)
    cod = package.cod_amount
    is_cod = cod is not None and cod > 0
    return [
        ("cargoKey", package.cargo_key),
        ("invoiceKey", (package.invoice_number or package.cargo_key)[:20]),
        ("receiverCustName", receiver.display_name[:100]),
        ("receiverAddress", receiver_address(package)),
        ("cityName", address.city[:40]),
        ("townName", address.district[:40]),
        ("receiverPhone1", phone),
        ("emailAddress", email(receiver.email)),
        ("taxOfficeId", NO_TAX_OFFICE_ID),
        ("taxNumber", receiver.tax_id[:15] if not receiver.is_placeholder else None),
        ("taxOfficeName", (receiver.tax_office or None) and receiver.tax_office[:60]),
        ("desi", _number(desi)),
        ("kg", _number(package.weight_kg)),
        ("cargoCount", str(package.parcel_count)),
        ("waybillNo", (package.invoice_number or None) and package.invoice_number[:20]),
        # cash on delivery: the amount with a dot, 0 = cash, collected on a separate document
        ("ttInvoiceAmount", f"{cod:.2f}" if is_cod else None),
        ("ttDocumentId", cod_document_id(package) if is_cod else NO_DOCUMENT_ID),
        ("ttCollectionType", "0" if is_cod else None),
        ("ttDocumentSaveType", "0" if is_cod else None),
        ("dcSelectedCredit", NO_INSTALMENTS),
        ("dcCreditRule", SINGLE_CHARGE_ALLOWED),
        ("description", (package.content or "")[:255] or None),
    ]


def parse_local(day: str | None, clock: str | None) -> datetime | None:
    """``yyyyMMdd`` + ``HHmmss`` (Turkish time) → an aware UTC datetime."""
    if not day or not re.fullmatch(r"\d{8}", day):
        return None
    clock = (clock or "000000").replace(":", "").ljust(6, "0")[:6]
    try:
        local = datetime.strptime(day + clock, "%Y%m%d%H%M%S").replace(tzinfo=TR_TIME)
    except ValueError:
        return None
    return local.astimezone(UTC)


def event_status(name: str) -> TrackingStatus:
    folded = fold(name)
    for keyword, status in _EVENT_KEYWORDS:
        if keyword in folded:
            return status
    return TrackingStatus.IN_TRANSIT


def doc_id(detail: Detail) -> str | None:
    """Yurtiçi's own shipment number, once the branch has processed the cargo key."""
    if (found := detail.get("docId")) and found != "0":
        return found  # a cancel detail carries docId (0 until the branch has processed it)
    for item in children(detail.element, "shippingDeliveryItemDetailVO"):
        if found := text(item, "docId"):
            return found
    return None


def tracking_url(detail: Detail) -> str | None:
    for item in children(detail.element, "shippingDeliveryItemDetailVO"):
        if found := text(item, "trackingUrl"):
            return found
    return None


def _history(items: list[etree._Element]) -> list[TrackingEvent]:
    """The dated ``invDocCargoVOArray`` events, oldest first."""
    out = []
    for item in items:
        for ev in children(item, "invDocCargoVOArray"):
            at = parse_local(text(ev, "eventDate"), text(ev, "eventTime"))
            name = text(ev, "eventName") or ""
            if at is None or not name:
                continue
            place = ", ".join(
                p for p in (text(ev, "unitName"), text(ev, "townName"), text(ev, "cityName")) if p
            )
            out.append(
                TrackingEvent(
                    at=at,
                    status=event_status(name),
                    description=name,
                    location=place or None,
                    raw_code=text(ev, "eventId") or name,
                )
            )
    return sorted(out, key=lambda e: e.at)


def _delivered_at(items: list[etree._Element]) -> datetime | None:
    item = items[0] if items else None
    if item is None:
        return None
    return parse_local(text(item, "deliveryDate"), text(item, "deliveryTime"))


def events(detail: Detail, when: Callable[[str], datetime]) -> list[TrackingEvent]:
    """Normalized events for one ``shippingDeliveryDetailVO``, oldest first.

    Pickup has no event of its own in the answer we know: it is when ``operationStatus`` leaves
    ``NOP`` or a ``docId`` appears; we date it by the first history event when there is one.
    An event the answer gives no date for is dated ``when(kind)``: the connector remembers when
    it first saw that, so polling again yields the same event (the engine dedupes by time).
    """
    status = detail.get("operationStatus") or "NOP"
    message = detail.get("operationMessage")
    if status == "NOP" and not doc_id(detail):
        return [
            TrackingEvent(at=when("created"), status=S.CREATED, description=message, raw_code="NOP")
        ]
    items = children(detail.element, "shippingDeliveryItemDetailVO")
    out = _history(items)

    def ensure(
        kind: S, at: datetime | None, description: str | None, raw: str, *, first: bool = False
    ) -> None:
        if any(e.status is kind for e in out):
            return
        at = at or (out[0 if first else -1].at if out else when(kind.value))
        event = TrackingEvent(at=at, status=kind, description=description, raw_code=raw)
        out.insert(0 if first else len(out), event)

    if status not in CANCELLED:
        ensure(S.PICKED_UP, None, "Kargo şubede işlendi", status, first=True)
    if status == "IND":
        ensure(S.IN_TRANSIT, None, message, status)
    if status == "DLV":
        ensure(S.DELIVERED, _delivered_at(items) or when("delivered"), message, status)
    if status in CANCELLED:
        ensure(S.CANCELLED, None, message, status)
    if any(text(i, "returnStatus") == "3" or text(i, "rejectStatus") in ("9", "10") for i in items):
        ensure(S.RETURNED, None, "İade", "returnStatus")
    return out
