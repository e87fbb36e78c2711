"""Packages, shipments, labels and tracking."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .money import Amount
from .party import Address, Party


class TrackingStatus(StrEnum):
    CREATED = "created"
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    RETURNED = "returned"
    CANCELLED = "cancelled"
    EXCEPTION = "exception"


class TrackingEvent(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid", frozen=True)

    at: datetime
    status: TrackingStatus
    description: str | None = None
    location: str | None = None
    raw_code: str | None = None


class Dimensions(BaseModel):
    """Outer dimensions in centimetres and weight in kilograms."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid", frozen=True)

    length_cm: Decimal = Field(gt=0)
    width_cm: Decimal = Field(gt=0)
    height_cm: Decimal = Field(gt=0)
    weight_kg: Decimal = Field(gt=0)


class Package(BaseModel):
    """What goes into one shipment: the carrier is asked to move this."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid")

    id: str
    tenant_id: str
    order_id: str
    cargo_key: str = Field(min_length=1, max_length=20, description="our unique key at the carrier")
    line_ids: list[str] = Field(default_factory=list)
    desi: Decimal = Field(gt=0)
    weight_kg: Decimal = Field(gt=0)
    parcel_count: int = Field(default=1, ge=1)
    receiver: Party
    address: Address
    invoice_number: str | None = None
    cod_amount: Amount | None = None
    content: str | None = None
    sender: Party | None = Field(
        default=None,
        description="the seller (the tenant's seller party), the label's sender block; "
        "the engine fills it when it books, so a label always names the seller of the day",
    )


class Label(BaseModel):
    """A shipping label as the remote gave it: ZPL, a PDF, or both.

    Kervan keeps what the booking (or the marketplace) returned and draws a PDF itself only
    when someone first prints the label as PDF (``kervan.documents``), through the connector
    that gave it (``label_pdf``); that PDF is then kept. A connector that renders the label
    itself from its own data leaves ``pdf`` empty and puts those data in ``render_data``, so
    the PDF drawn later is the one it would have drawn at booking."""

    model_config = ConfigDict(
        hide_input_in_errors=True,
        extra="forbid",
        frozen=True,
        ser_json_bytes="base64",
        val_json_bytes="base64",
    )

    zpl: str = ""
    #: the remote's own PDF, when it returns one; empty when the PDF is drawn on first print
    pdf: bytes = b""
    #: the connector's own JSON to draw the PDF from on first print (kept with the label)
    render_data: dict[str, Any] | None = None


class Quote(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid", frozen=True)

    carrier: str
    price: Amount
    currency: str = "TRY"
    billable_desi: Decimal
    service: str | None = None


class ShipmentStatus(StrEnum):
    BOOKED = "booked"
    PICKED_UP = "picked_up"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    RETURNED = "returned"
    CANCELLED = "cancelled"


class Shipment(BaseModel):
    """A booked shipment at a carrier."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid")

    id: str
    tenant_id: str
    order_id: str
    package_id: str
    connection_id: str
    carrier: str
    cargo_key: str
    tracking_number: str
    tracking_url: str | None = None
    cost: Amount | None = None
    status: ShipmentStatus = ShipmentStatus.BOOKED
    events: list[TrackingEvent] = Field(default_factory=list)
    booked_at: datetime
    remote_id: str | None = None
