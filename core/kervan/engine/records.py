"""What the engine stores about an order beyond the domain ``Order`` itself.

The store document for an order is an :class:`OrderRecord` dumped to JSON plus a few flat
fields copied to the top level for the declared indexes (state, connection, dates, due time).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..domain import DocumentKind, DocumentStatus, Order, OrderState, TimelineEntry
from ..store.port import declare_kind

ORDER = "order"
INVOICE = "invoice"
SHIPMENT = "shipment"
PACKAGE = "package"
STOCK = "stock"
BARCODE = "barcode"
CURSOR = "cursor"
OUTBOX = "outbox"
DEAD_LETTER = "dead_letter"
INBOX = "inbox"
PRODUCT = "product"
#: one per stock movement, keyed (ref, reason, product): the ledger behind the stock figures
STOCK_MOVE = "stock_move"
#: one per product whose available figure changed and is not yet on every channel
STOCK_DUE = "stock_due"
#: one per (connection, barcode): a channel's listing bound to a product card
LISTING = "listing"
#: merges, splits and other catalog decisions, who made them and why
CATALOG_AUDIT = "catalog_audit"
#: one per connection: how its listings are fed (buffer, cap, pricing rule)
CHANNEL_POLICY = "channel_policy"
#: one per shipment the marketplace booked whose label was not fetched yet (keyed by the
#: shipment): what the label sweep reads, so it never walks every shipment ever booked
LABEL_DUE = "label_due"

declare_kind(
    ORDER, ("state", "connection_id", "ordered_at", "due_at", "package_id", "order_number")
)
declare_kind(INVOICE, ("order_id", "kind", "status", "number", "issued_at"))
declare_kind(SHIPMENT, ("order_id", "connection_id", "status", "cargo_key"))
declare_kind(PACKAGE, ("order_id",))
declare_kind(STOCK, ())
declare_kind(BARCODE, ())
declare_kind(CURSOR, ())
declare_kind(LABEL_DUE, ())
declare_kind(OUTBOX, ("topic", "done"))
declare_kind(DEAD_LETTER, ("actor", "at"))
declare_kind(INBOX, ("connection_id", "processed"))
declare_kind(PRODUCT, ("sku",))
declare_kind(STOCK_MOVE, ("product_id", "ref", "at"))
declare_kind(STOCK_DUE, ("next_at",))
declare_kind(LISTING, ("product_id", "connection_id", "flagged", "barcode"))
declare_kind(CATALOG_AUDIT, ("product_id", "at"))
declare_kind(CHANNEL_POLICY, ())


def sortable(moment: datetime) -> str:
    """A fixed-width UTC timestamp: index fields compare as strings, so width must not vary.
    (``isoformat`` writes the same text as ``strftime("%Y-%m-%dT%H:%M:%S.%fZ")`` at half the
    cost, and keeps four year digits where strftime would not.)"""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


_INDEX_FIELDS = ("state", "connection_id", "ordered_at", "due_at", "package_id", "order_number")


class Flags(BaseModel):
    """Side effects already done (so a re-run skips them)."""

    model_config = ConfigDict(extra="forbid")

    accepted_remote: bool = False
    #: a person approved the order (tenants that do not auto-approve)
    approved: bool = False
    #: a split was asked of the source: the order waits for its replacement packages
    split_requested: bool = False
    #: the tenant's split rules were applied (whether or not they split the package)
    split_checked: bool = False
    #: the book step is about to ask our carrier (committed before the remote call): a
    #: tracking number a later poll brings back is then ours, not the marketplace's booking
    booking_started: bool = False
    invoice_submitted: bool = False
    invoice_sent: bool = False
    picked_up: bool = False
    tracking_sent: bool = False
    #: the marketplace booked the carrier (its contract, its label, its tracking)
    marketplace_shipment: bool = False
    stock_consumed: bool = False
    cancel_done: list[str] = Field(default_factory=list)


class OrderRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

    order: Order
    decision: dict[str, Any] | None = None
    invoice_id: str | None = None
    invoice_kind: DocumentKind | None = None
    invoice_status: DocumentStatus | None = None
    shipment_id: str | None = None
    reserved: dict[str, int] = Field(default_factory=dict, description="product id → units held")
    flags: Flags = Field(default_factory=Flags)
    hold_step: str | None = None
    #: the state an order was in when it failed (a retry puts it back there)
    failed_from: OrderState | None = None
    due_at: datetime | None = None
    #: what an order with no due time waits for outside Kervan (see
    #: :func:`kervan.engine.lifecycle.waiting_for`); None while a step is due or it is final
    waiting_for: str | None = None
    attempts: int = 0
    last_error: str | None = None
    #: what an operator decided for this order, by topic (``amounts``, ``alias``, ...): each
    #: value says what was decided, by whom and when; the timeline has the same as an entry
    resolutions: dict[str, dict[str, Any]] = Field(default_factory=dict)
    #: what each ERP connection holds for the order: posting key → the ERP's reference
    #: (written by :mod:`kervan.erp`; the order's timeline says when)
    erp: dict[str, dict[str, str]] = Field(default_factory=dict)

    @property
    def state(self) -> OrderState:
        return self.order.state

    def to_body(self) -> dict[str, Any]:
        body = self.model_dump(mode="json")
        o = body["order"]
        body.update(
            {
                "state": o["state"],
                "connection_id": o["connection_id"],
                "ordered_at": sortable(self.order.ordered_at),
                "package_id": o["package_id"],
                "order_number": o["order_number"],
                "due_at": sortable(self.due_at) if self.due_at else None,
            }
        )
        return body

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> OrderRecord:
        return cls.model_validate(
            {k: v for k, v in body.items() if k not in _INDEX_FIELDS or k == "due_at"}
        )

    def fail(self, error: str) -> None:
        """Stop the order for a person; remember where it stood so a retry can resume."""
        if self.order.state is not OrderState.FAILED:
            self.failed_from = self.order.state
        self.order.state = OrderState.FAILED
        self.last_error = error

    def log(self, entry: TimelineEntry) -> None:
        self.order.timeline.append(entry)
