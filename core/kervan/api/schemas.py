"""Response bodies of the routes that do not answer with a domain model, so that the OpenAPI
spec describes every JSON answer field by field (a panel generates its client from it)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema

from ..domain import DocumentKind, DocumentStatus, OrderState, Role

#: the furthest a list can be paged: a bound the stores can take (SQLite's integers are 64-bit;
#: an offset past 2**63 used to fail inside the store as a 500)
MAX_OFFSET = 1_000_000_000

#: ``T | Absent = None``: a field a body may leave out but never send as ``null`` (the schema
#: says its type only); call :func:`refuse_null` from the model's validator to keep that promise
Absent = SkipJsonSchema[None]


def refuse_null(model: BaseModel, *names: str) -> None:
    """Refuse an explicit ``null`` for ``names``: the schema does not allow it, so neither does
    the code (left out, the field keeps its value or default)."""
    sent = [n for n in names if n in model.model_fields_set and getattr(model, n) is None]
    if sent:
        raise ValueError(f"{', '.join(sent)}: null is not allowed here (leave the field out)")


class OrderRow(BaseModel):
    """An order in a list: what a panel's order table shows."""

    id: str
    order_number: str
    package_id: str
    connection_id: str
    state: OrderState
    buyer: str = Field(description="the buyer's name or company name")
    total: Decimal
    currency: str
    ordered_at: datetime
    hold_reason: str | None = None
    waiting_for: str | None = Field(
        None,
        description="what an order with no step due waits for outside Kervan: approval, "
        "pickup, delivery, integrator, split or operator (null while a step is due, on hold, "
        "or when the order is final)",
    )
    due_at: datetime | None = Field(
        None, description="when the order's next step is due (a hold's retry time)"
    )
    last_error: str | None = None
    invoice_id: str | None = None
    invoice_kind: DocumentKind | None = None
    invoice_status: DocumentStatus | None = None
    shipment_id: str | None = None


class OrderStateOut(BaseModel):
    """Where an order stands after an action (``null`` when it is gone)."""

    id: str
    state: OrderState | None


class SplitOut(BaseModel):
    id: str
    requested: bool = Field(description="the source took the split; new packages come next poll")
    request_id: str | None = None


class DocumentRow(BaseModel):
    """A sales document in the invoice list."""

    id: str
    number: str
    kind: DocumentKind
    profile: str
    type_code: str
    status: DocumentStatus
    order_id: str | None = None
    issued_at: datetime
    uuid: str
    payable: Decimal


class StockOut(BaseModel):
    product_id: str
    on_hand: int
    released_orders: list[str] = Field(description="held orders that now fit, queued again")


class DeadLetterOut(BaseModel):
    """Work that failed for good and waits for a person."""

    id: str
    actor: str
    args: list[Any]
    error: str
    retries: int
    at: str = Field(description="when it failed (UTC, ISO 8601)")
    replayed: bool = False


class ReplayOut(BaseModel):
    replayed: bool
    actor: str
    args: list[Any]


class ValidOut(BaseModel):
    valid: bool


class KeyOut(BaseModel):
    """A new API key: ``key`` is in this answer only (only its hash is stored)."""

    key: str
    id: str
    roles: list[Role]


class WebhookOut(BaseModel):
    received: str = Field(description="the delivery's key (a repeat delivery is not processed)")
    processed: bool
    orders: int | None = Field(default=None, description="orders added or updated")


class ConnectorOut(BaseModel):
    """An installed connector: what it can do and the settings a connection to it takes."""

    key: str
    display_name: str
    roles: list[str]
    settings_version: int
    settings_schema: dict[str, Any] = Field(
        description="JSON schema of its settings; secret fields are writeOnly, format password"
    )
