"""What Kervan stores about a claim (a return): the marketplace's claim, what the returns desk
found, what was decided, and what has been done about it.

A claim record is a store document of kind ``claim``, keyed by connection and the
marketplace's claim id (``{connection}:{claim id}``), or by a local id while a return that
arrived with no request waits for the marketplace to open its claim. Its ``state`` and
``due_at`` are copied to the top level for the declared indexes (the approval queue, the
reconciler); everything else lives in the body as this model dumps it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..domain import Claim, ClaimLineStatus, TimelineEntry
from ..engine.records import sortable
from ..engine.stock import MAIN
from ..store.port import declare_kind

CLAIM = "claim"
#: (connection, marketplace claim id) → claim key: how a claim the marketplace reports is
#: matched to the return Kervan opened for it, never duplicated
CLAIM_REF = "claim_ref"
#: a scanned code (return code, cargo tracking number) → claim key
CLAIM_CODE = "claim_code"
declare_kind(CLAIM, ("state", "order_id", "connection_id", "due_at", "respond_by", "opened_at"))
declare_kind(CLAIM_REF, ())
declare_kind(CLAIM_CODE, ())

_INDEX_FIELDS = ("state", "order_id", "connection_id", "due_at", "respond_by", "opened_at")


class ClaimState(StrEnum):
    """Where a return stands, as the returns desk sees it."""

    #: the buyer asked; the parcel is not here yet (the approval queue shows it)
    REQUESTED = "requested"
    #: scanned in at the returns desk and inspected: a decision is needed
    RECEIVED = "received"
    #: approved: the approval, the stock and the fiscal document are under way
    APPROVING = "approving"
    #: rejected at the marketplace; it decides (the seller's rejection is a dispute there)
    DISPUTED = "disputed"
    #: approved and settled, waiting for the buyer's return invoice (an e-Fatura buyer)
    WAITING_DOCUMENT = "waiting_document"
    #: everything done: the return was accepted and documented
    RETURNED = "returned"
    #: the marketplace upheld the rejection: the goods go back to the buyer, no document
    REJECTED = "rejected"
    #: the buyer withdrew the claim
    CANCELLED = "cancelled"
    #: a step failed for good; a person looks at it
    FAILED = "failed"


FINAL = frozenset({ClaimState.RETURNED, ClaimState.REJECTED, ClaimState.CANCELLED})

Condition = Literal["sellable", "damaged", "missing_part"]


class Inspection(BaseModel):
    """What the returns clerk found for one claim line."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    line_id: str = Field(description="the claim line (one returned unit at Trendyol)")
    condition: Condition
    reason: str | None = Field(default=None, max_length=500)
    warehouse: str = Field(default=MAIN, min_length=1, max_length=64)
    #: blob keys of the clerk's photos of this line
    photos: list[str] = Field(default_factory=list)


class Receipt(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    at: datetime
    by: str
    scanned: str
    station: str | None = None
    lines: list[Inspection]


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Literal["approve", "reject"]
    line_ids: list[str]
    at: datetime
    by: str
    reason_code: str | None = None
    description: str | None = None


class Document(BaseModel):
    """The fiscal document of the return (see :mod:`kervan.claims.fiscal`)."""

    model_config = ConfigDict(extra="forbid")

    route: str
    status: Literal["pending", "waiting", "done", "none"] = "pending"
    number: str | None = None
    id: str | None = None
    reference: str | None = None
    note: str | None = None
    at: datetime | None = None


class Done(BaseModel):
    """Side effects already done (so a re-run skips them)."""

    model_config = ConfigDict(extra="forbid")

    remote_created: bool = False
    approved_remote: list[str] = Field(default_factory=list)
    rejected_remote: list[str] = Field(default_factory=list)
    #: lines the marketplace refused to act on because its view moved on (accepted on its
    #: own meanwhile, say): left alone until the next poll brings the claim as it is now
    refused: list[str] = Field(default_factory=list)
    restocked: bool = False
    document: bool = False
    warned: list[str] = Field(default_factory=list)


class ClaimRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

    key: str
    claim: Claim
    state: ClaimState = ClaimState.REQUESTED
    order_id: str | None = None
    receipt: Receipt | None = None
    decisions: list[Decision] = Field(default_factory=list)
    document: Document | None = None
    done: Done = Field(default_factory=Done)
    due_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = None
    #: the return code (or return order) a carrier issued for the buyer, if one was asked
    return_code: dict[str, Any] | None = None
    #: warnings the engine raised (a deadline close, goods not received), newest last
    warnings: list[dict[str, Any]] = Field(default_factory=list)
    timeline: list[TimelineEntry] = Field(default_factory=list)

    def decided(self, action: str) -> list[str]:
        """Claim line ids decided ``action`` (approve or reject), in decision order."""
        out: list[str] = []
        for d in self.decisions:
            if d.action == action:
                out += [i for i in d.line_ids if i not in out]
        return out

    def line_status(self, line_id: str) -> ClaimLineStatus | None:
        return next((ln.status for ln in self.claim.lines if ln.id == line_id), None)

    def to_body(self) -> dict[str, Any]:
        body = self.model_dump(mode="json")
        body.update(
            state=self.state.value,
            connection_id=self.claim.connection_id,
            due_at=sortable(self.due_at) if self.due_at else None,
            respond_by=sortable(self.claim.respond_by) if self.claim.respond_by else None,
            opened_at=sortable(self.claim.claimed_at),
        )
        return body

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> ClaimRecord:
        data = {k: v for k, v in body.items() if k not in _INDEX_FIELDS}
        data["state"] = body.get("state", ClaimState.REQUESTED.value)
        data["order_id"] = body.get("order_id")
        data["due_at"] = body.get("due_at")
        return cls.model_validate(data)
