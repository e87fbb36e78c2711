"""Orders as Kervan keeps them: one per marketplace package."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .money import ZERO, Amount, Quantity, Rate, kurus
from .party import Address, Party
from .shipping import TrackingStatus


class OrderState(StrEnum):
    """Where an order is in its lifecycle (see ARCHITECTURE.md, "The order lifecycle")."""

    RECEIVED = "received"
    ON_HOLD = "on_hold"
    STOCK_RESERVED = "stock_reserved"
    CLASSIFIED = "classified"
    INVOICED = "invoiced"
    ACCEPTED = "accepted"
    PACKAGED = "packaged"
    BOOKED = "booked"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    FAILED = "failed"


TERMINAL_STATES = frozenset({OrderState.DELIVERED, OrderState.CANCELLED})


class OrderLine(BaseModel):
    """One line of a package. Prices are as marketplaces report them: VAT included.

    ``unit_price`` is the VAT-inclusive price of one unit before discount; ``discount`` is the
    VAT-inclusive discount on the whole line that the invoice shows: the seller-funded one, plus a
    platform-funded one only where the marketplace says the buyer's invoice carries it (Trendyol:
    on corporate packages, see docs/ubl-tr.md, "Reconciliation with the marketplace").
    """

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid", frozen=True)

    line_id: str = Field(min_length=1, max_length=100, description="the marketplace's line id")
    barcode: str = Field(min_length=1, max_length=100)
    sku: str | None = Field(default=None, max_length=100)
    name: str = Field(min_length=1, max_length=500)
    quantity: Quantity
    unit_price: Amount
    vat_rate: Rate
    discount: Amount = ZERO
    unit_code: str = Field(default="C62", pattern=r"^[A-Z0-9]{2,3}$", description="UN/ECE unit")
    hs_code: str | None = Field(default=None, max_length=20, description="GTİP, for exports")

    @model_validator(mode="after")
    def _discount_fits(self) -> OrderLine:
        if self.unit_price < 0:
            raise ValueError("unit_price must not be negative")
        if self.discount < 0 or self.discount > self.gross:
            raise ValueError("discount must be between 0 and the line's gross amount")
        return self

    @property
    def gross(self) -> Decimal:
        """VAT-inclusive amount before discount."""
        return kurus(self.unit_price * self.quantity)

    @property
    def payable(self) -> Decimal:
        """VAT-inclusive amount the buyer pays for the line."""
        return self.gross - self.discount


class TimelineEntry(BaseModel):
    """One step in an order's history: what happened, how it went, who or what did it."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid", frozen=True)

    at: datetime
    step: str
    outcome: str = Field(description="ok | skipped | held | failed | info")
    actor: str = Field(default="engine", description="engine, a user id, or a connector key")
    message: str | None = None
    request_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class Order(BaseModel):
    """An order (one marketplace package) with its lifecycle state."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid")

    id: str = Field(min_length=1, max_length=200)
    tenant_id: str = Field(min_length=1, max_length=100)
    connection_id: str = Field(min_length=1, max_length=100)
    source: str = Field(min_length=1, max_length=100, description="connector key")
    order_number: str = Field(min_length=1, max_length=100)
    package_id: str = Field(min_length=1, max_length=100)
    lines: list[OrderLine] = Field(min_length=1)
    buyer: Party
    shipping_address: Address
    invoice_address: Address
    currency: str = Field(default="TRY", pattern=r"^[A-Z]{3}$")
    cargo_provider: str | None = Field(default=None, max_length=100)
    cargo_tracking_number: str | None = Field(
        default=None,
        max_length=100,
        description=(
            "set by the source when the marketplace books the carrier under its own contract "
            "(Kervan then books nothing and uses the marketplace's label)"
        ),
    )
    carrier_status: TrackingStatus | None = Field(
        default=None,
        description="where the marketplace says the parcel is (marketplace-arranged shipping)",
    )
    superseded: bool = Field(
        default=False,
        description="the source replaced this package with others (e.g. after a split)",
    )
    micro_export: bool = False
    source_payable: Amount | None = Field(
        default=None,
        description=(
            "what the source says the buyer pays for the package, VAT included (Trendyol: "
            "packageTotalPrice); None when the source does not say. The invoice's payable must "
            "equal it to the kuruş before a number is taken"
        ),
    )
    ship_by: datetime | None = Field(
        default=None,
        description="when the marketplace wants the parcel on its way (Trendyol: "
        "agreedDeliveryDate)",
    )
    remote_status: str | None = Field(
        default=None, max_length=50, description="the source's own status"
    )
    source_cancelled: bool = Field(
        default=False, description="the marketplace cancelled (or unsupplied) this package"
    )
    ordered_at: datetime
    remote_updated_at: datetime | None = None
    state: OrderState = OrderState.RECEIVED
    hold_reason: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    timeline: list[TimelineEntry] = Field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.payable for line in self.lines), ZERO)

    @property
    def is_export(self) -> bool:
        return self.micro_export or not self.shipping_address.is_domestic

    @property
    def item_count(self) -> Decimal:
        return sum((line.quantity for line in self.lines), Decimal(0))
