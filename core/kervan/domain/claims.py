"""Claims (returns) as they come from marketplaces, and what the floor decides."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from .money import Amount, Quantity


class ClaimLineStatus(StrEnum):
    CREATED = "created"  # the buyer opened it; goods not yet back
    WAITING = "waiting"  # goods arrived at the seller, action needed
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    DISPUTED = "disputed"
    IN_ANALYSIS = "in_analysis"


class ClaimReason(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid", frozen=True)

    code: str
    name: str
    source: str = Field(default="customer", description="customer | marketplace | seller")


class ClaimLine(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid", frozen=True)

    id: str = Field(description="the marketplace's claim item id")
    order_line_id: str
    barcode: str
    name: str
    quantity: Quantity = Field(default=Decimal(1))
    unit_price: Amount
    reason: ClaimReason
    status: ClaimLineStatus
    customer_note: str | None = None


class Claim(BaseModel):
    """A return request for (part of) an order package."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid")

    id: str
    tenant_id: str
    connection_id: str
    external_id: str
    order_number: str
    package_id: str | None = None
    order_id: str | None = None
    claimed_at: datetime
    updated_at: datetime | None = None
    customer_name: str | None = None
    cargo_tracking_number: str | None = None
    #: the carrier bringing the return back, as the marketplace names it
    cargo_provider: str | None = None
    #: when the marketplace accepts the return on the seller's behalf if nobody answers
    #: (``None``: the marketplace publishes no such deadline for this claim)
    respond_by: datetime | None = None
    #: who opened it: ``customer`` (a buyer's request) or ``seller`` (a return that arrived
    #: with no request, opened by the seller through the API)
    opened_by: str = Field(default="customer", pattern="^(customer|seller)$")
    lines: list[ClaimLine] = Field(min_length=1)
