"""Request and response bodies of the returns desk (``/v1/returns``, :mod:`.routes_returns`).

The answers reuse the claim engine's own models where a person reads them as they are stored
(claim lines, the receipt, decisions, the document, the timeline) and say the rest field by
field, so a panel or a handheld generates its client from the OpenAPI document.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ..claims.record import ClaimRecord, ClaimState, Decision, Document, Receipt
from ..domain import ClaimLine, TimelineEntry
from .routes_orders import chronological

#: a scanned code, a typed number or an id: printable ASCII without spaces (what barcodes,
#: tracking numbers and the marketplaces' ids are made of), at most 200 characters; ASCII
#: spelled out, since ``\S`` means other things to other regex engines (a client's validator)
Code = Annotated[str, StringConstraints(pattern=r"^[!-~]{1,200}$")]
LineId = Annotated[str, StringConstraints(pattern=r"^[!-~]{1,200}$")]
Warehouse = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")]
Station = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Condition = Literal["sellable", "damaged", "missing_part"]
#: a blob key the photo upload answered (``claim-photo:{claim_id}:{n}``)
PhotoKey = Annotated[str, StringConstraints(pattern=r"^claim-photo:[!-~]{1,300}:[0-9]{1,4}$")]


# -- answers ---------------------------------------------------------------------------------


class WarningOut(BaseModel):
    key: str = Field(description="which warning (respond_by-24h, respond_by-6h, ...)")
    at: str = Field(description="when it was raised (UTC, ISO 8601)")
    message: str


class ClaimRow(BaseModel):
    """A claim as the approval queue shows it."""

    id: str = Field(description="the claim's id in Kervan: {connection_id}:{marketplace id}")
    state: ClaimState
    connection_id: str
    external_id: str = Field(description="the marketplace's claim id")
    order_id: str | None = Field(description="the order in Kervan (null: not known here)")
    order_number: str
    package_id: str | None
    customer_name: str | None
    opened_by: str = Field(description="customer (a buyer's request) or seller (no request)")
    claimed_at: datetime
    respond_by: datetime | None = Field(
        description="when the marketplace accepts the return on its own if nobody decides "
        "(null: it publishes no deadline for this claim)"
    )
    cargo_tracking_number: str | None = Field(description="the return parcel's, as reported")
    cargo_provider: str | None
    lines: list[ClaimLine] = Field(
        description="one per returned unit at Trendyol: the customer's reason and note each"
    )
    warnings: list[WarningOut] = Field(description="deadline warnings raised, newest last")
    last_error: str | None = Field(description="the last failed step and why")


class ClaimOut(ClaimRow):
    """A claim with everything the desk did about it."""

    receipt: Receipt | None = Field(description="what the clerk found, line by line")
    decisions: list[Decision]
    document: Document | None = Field(description="the return's fiscal document")
    voucher_pdf: bool = Field(
        description="a gider pusulası PDF is kept: GET /v1/returns/{id}/voucher.pdf"
    )
    return_code: dict[str, Any] | None = Field(
        description="the carrier return code (or return order) issued for the buyer"
    )
    attempts: int = Field(description="failed attempts of the step due")
    timeline: list[TimelineEntry] = Field(description="oldest first: who did what, and when")


class RemoteFailure(BaseModel):
    code: str = Field(description="the error's code (remote_unavailable, remote_rejected, ...)")
    message: str
    retryable: bool


class ActionOut(BaseModel):
    """A claim after an action. The action itself is recorded; ``error`` says when the
    marketplace call that followed it failed (it is on the timeline too, and retried)."""

    claim: ClaimOut
    error: RemoteFailure | None = Field(
        description="the call to the marketplace (or integrator) after the action failed: the "
        "action stays; a retryable failure is retried on its own, else POST .../retry once "
        "the claim is failed"
    )


class OrderLineOut(BaseModel):
    line_id: str
    barcode: str
    name: str
    quantity: str


class ScannedOrderOut(BaseModel):
    """The order a scanned code names (receive it as a return with no request)."""

    id: str
    order_number: str
    package_id: str
    connection_id: str
    buyer: str
    lines: list[OrderLineOut]


class ScanOut(BaseModel):
    code: str
    found: Literal["claim", "order"] = Field(
        description="claim: receive that claim; order: no open claim matches (receive it as a "
        "return with no request, POST /v1/returns/unrequested) or several do (candidates)"
    )
    claim: ClaimOut | None
    order: ScannedOrderOut | None
    candidates: list[str] = Field(description="open claims of the order, when several match")


class PhotosOut(BaseModel):
    photos: list[str] = Field(
        description="blob keys, in the order sent: name them in the receipt's lines[].photos"
    )


class SyncOut(BaseModel):
    new: list[str] = Field(description="claims opened by this sync")
    changed: list[str] = Field(description="claims the marketplace changed")
    matched: list[str] = Field(description="returns Kervan opened, now matched to their claim")
    problems: list[str] = Field(description="claims kept in quarantine (GET /v1/problems)")


# -- bodies ----------------------------------------------------------------------------------


class ScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code = Field(
        description="what was scanned or typed: the return's cargo barcode or tracking number, "
        "a carrier return code, a claim id, or the order's label, tracking or order number"
    )


class InspectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line_id: LineId = Field(description="the claim line (one returned unit at Trendyol)")
    condition: Condition = Field(
        description="sellable (back to stock), damaged or missing_part (not restocked)"
    )
    reason: Text | None = Field(default=None, description="what the clerk saw")
    warehouse: Warehouse = Field(default="main", description="where a sellable unit goes back")
    photos: list[PhotoKey] = Field(
        default_factory=list,
        max_length=10,
        description="keys POST /v1/returns/{id}/photos answered, for this line",
    )


class ReceiveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scanned: Code = Field(description="the code the clerk scanned (kept on the receipt)")
    station: Station | None = Field(default=None, description="the desk or handheld")
    lines: list[InspectionIn] = Field(
        min_length=1, max_length=500, description="every line of the claim, each once"
    )


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line_ids: list[LineId] | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="the lines to approve (left out or null: every line not decided yet)",
    )
    description: Text | None = Field(default=None, description="kept with the decision")


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line_ids: list[LineId] | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="the lines to reject (left out or null: every line not decided yet)",
    )
    reason_code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,40}$")] = Field(
        description="the marketplace's rejection reason id (Trendyol: claimIssueReasonId)"
    )
    description: Text = Field(description="sent to the marketplace with the photos")


class UnrequestedLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    condition: Condition
    reason: Text | None = None
    warehouse: Warehouse = "main"


class UnrequestedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    order_id: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="the order the parcel belongs to (a scan's order.id)"
    )
    scanned: Code = Field(description="the code the clerk scanned")
    lines: dict[str, Annotated[int, Field(ge=1, le=10_000)]] | None = Field(
        default=None,
        max_length=500,
        description="order line id → units returned (left out or null: the whole order)",
    )
    inspections: dict[str, UnrequestedLineIn] | None = Field(
        default=None,
        max_length=500,
        description="order line id → what the clerk found (a line left out: sellable, main)",
    )
    station: Station | None = None
    note: Text | None = Field(default=None, description="sent to the marketplace with the claim")


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reference: Annotated[str, StringConstraints(pattern=r"^[!-~]([ -~]{0,98}[!-~])?$")] = Field(
        description="the document's number"
    )
    how: Literal["paper_invoice", "incoming_iade", "other"] = Field(
        description="how it came: a paper invoice, the buyer's IADE seen outside Kervan, other"
    )
    note: Text | None = None


# -- building the answers --------------------------------------------------------------------


def claim_row(rec: ClaimRecord) -> dict[str, Any]:
    c = rec.claim
    return {
        "id": rec.key,
        "state": rec.state,
        "connection_id": c.connection_id,
        "external_id": c.external_id,
        "order_id": rec.order_id,
        "order_number": c.order_number,
        "package_id": c.package_id,
        "customer_name": c.customer_name,
        "opened_by": c.opened_by,
        "claimed_at": c.claimed_at,
        "respond_by": c.respond_by,
        "cargo_tracking_number": c.cargo_tracking_number,
        "cargo_provider": c.cargo_provider,
        "lines": c.lines,
        "warnings": [
            {k: str(w.get(k, "")) for k in ("key", "at", "message")} for w in rec.warnings
        ],
        "last_error": rec.last_error,
    }


def claim_out(rec: ClaimRecord, voucher_pdf: bool) -> dict[str, Any]:
    return claim_row(rec) | {
        "receipt": rec.receipt,
        "decisions": rec.decisions,
        "document": rec.document,
        "voucher_pdf": voucher_pdf,
        "return_code": rec.return_code,
        "attempts": rec.attempts,
        "timeline": chronological(rec.timeline),
    }
