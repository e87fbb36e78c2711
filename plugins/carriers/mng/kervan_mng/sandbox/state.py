"""What the MNG sandbox remembers: orders (outbound and return), their shipments, the timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from kervan.domain import TrackingStatus

from ..client import TR_TIME

PREFIX = "/mngapi/api"
CLIENT_ID, CLIENT_SECRET = "kervan-demo-app", "kervan-demo-secret"
CUSTOMER_NUMBER, PASSWORD = "312947702", "demo-password"
JWT_LIFETIME = timedelta(hours=8)
UNRESOLVED_CODES = frozenset({"20001", "20011"})

#: the API products of apizone (one subscription each) by the path segment that names them
PRODUCTS = {
    "token": "Identity",
    "standardcmdapi": "Standard Command",
    "standardqueryapi": "Standard Query",
    "barcodecmdapi": "Barcode Command",
    "bulkqueryapi": "Bulk Query",
    "cbsinfoapi": "CBS Info",
}

# (offset from createbarcode / drop-off, shipmentStatusCode, English name, unit)
TIMELINE: tuple[tuple[timedelta, int, str, str], ...] = (
    (timedelta(0), 1, "Shipment Prepared", "ÇIKIŞ ŞUBESİ"),
    (timedelta(hours=2), 2, "In Transfer", "TRANSFER MERKEZİ"),
    (timedelta(hours=18), 3, "Arrived at Delivery Unit", "VARIŞ ŞUBESİ"),
    (timedelta(hours=26), 4, "Out for Delivery", "VARIŞ ŞUBESİ"),
    (timedelta(hours=30), 5, "Delivered", "VARIŞ ŞUBESİ"),
)
Step = tuple[timedelta, int, str, str]
#: what happens after "out to the address" (4): delivered (5), or not delivered (6) and sent
#: back (7), or stuck until MNG's support acts (8) [status codes: apis.md §8.4]
OUTCOMES: dict[str, tuple[Step, ...]] = {
    "delivered": TIMELINE,
    "undelivered": (
        *TIMELINE[:4],
        (timedelta(hours=30), 6, "Not Delivered", "VARIŞ ŞUBESİ"),
        (timedelta(hours=40), 7, "Returning", "TRANSFER MERKEZİ"),
    ),
    "support": (*TIMELINE[:4], (timedelta(hours=30), 8, "Support Needed", "VARIŞ ŞUBESİ")),
}
STAGE_OF = {
    TrackingStatus.CREATED: 0,
    TrackingStatus.PICKED_UP: 1,
    TrackingStatus.IN_TRANSIT: 1,
    TrackingStatus.OUT_FOR_DELIVERY: 3,
    TrackingStatus.DELIVERED: 4,
}

Kind = Literal["order", "return"]


def code_of(value: Any) -> str | None:
    """A CBS code sent as a number or a string of digits, without leading zeros; else None."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    return str(int(text)) if text.isdigit() else None


def local(at: datetime, fmt: str = "%d-%m-%Y %H:%M:%S") -> str:
    """``at`` in Turkish time, in MNG's date format."""
    return at.astimezone(TR_TIME).strftime(fmt)


@dataclass
class SimShipment:
    shipment_id: str
    invoice_id: str
    created_at: datetime
    pieces: list[dict[str, Any]]
    cancelled_at: datetime | None = None
    outcome: str = "delivered"

    @property
    def steps(self) -> tuple[Step, ...]:
        return OUTCOMES[self.outcome]

    def stage(self, now: datetime) -> int:
        end = self.cancelled_at or now
        return max(
            i for i, (offset, *_) in enumerate(self.steps) if self.created_at + offset <= end
        )

    def step(self, now: datetime) -> Step:
        return self.steps[self.stage(now)]

    def reached(self, now: datetime) -> tuple[Step, ...]:
        return self.steps[: self.stage(now) + 1]

    def changes(self, now: datetime) -> list[tuple[datetime, int]]:
        return [(self.created_at + offset, code) for offset, code, *_ in self.reached(now)]

    def delivered_at(self, now: datetime) -> datetime | None:
        offset, code, *_ = self.step(now)
        if self.cancelled_at is not None or code != 5:
            return None
        return self.created_at + offset


@dataclass
class SimOrder:
    reference_id: str
    body: dict[str, Any]
    created_at: datetime
    invoice_id: str
    kind: Kind = "order"
    deleted: bool = False
    shipment: SimShipment | None = None
    #: createbarcode answers ``destination_code`` until this time (destination not resolved)
    destination_at: datetime | None = None
    destination_code: str = "20001"
    #: a return order becomes a shipment when the buyer drops the parcel at a branch
    drop_off_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def pieces(self) -> list[dict[str, Any]]:
        return list(self.body.get("orderPieceList") or [])

    @property
    def party(self) -> dict[str, Any]:
        """The other side: the recipient of an order, the shipper (buyer) of a return."""
        return dict(self.body.get("shipper" if self.kind == "return" else "recipient") or {})
