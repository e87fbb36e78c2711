"""The claim planner: which step is due, what state a claim is in, which warnings are due.

Pure functions of the claim record and the clock, as :mod:`kervan.engine.lifecycle` is for
orders: the engine runs the first due step, commits what it returns, and plans again.

The rules:

* A line is **settled** (its refund happened) when the marketplace reports it accepted, or
  Kervan's approval of it went through. A line is **final** when it is settled, rejected for
  good or cancelled; an open dispute or a line waiting for the parcel is not.
* Approval and rejection go to the marketplace only for lines it is waiting on
  (``waiting``); a line the buyer has not sent yet (``created``) waits for the next poll.
* Stock comes back and the fiscal document is issued once the parcel was received and every
  line is final, so one document covers the return (a line still disputed holds it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from ..domain import ClaimLineStatus
from .record import ClaimRecord, ClaimState


class ClaimStep(StrEnum):
    CREATE_REMOTE = "create_claim"
    APPROVE_REMOTE = "approve_claim"
    REJECT_REMOTE = "reject_claim"
    RESTOCK = "restock"
    DOCUMENT = "document"


#: marketplace line statuses that end a line one way or the other
FINAL_LINE = frozenset(
    {ClaimLineStatus.ACCEPTED, ClaimLineStatus.REJECTED, ClaimLineStatus.CANCELLED}
)
#: how long before the marketplace's auto-accept deadline the desk is warned
WARN_BEFORE = (timedelta(hours=24), timedelta(hours=6))


def awaiting_match(rec: ClaimRecord) -> bool:
    """A return Kervan opened whose marketplace claim has not been reported yet (its lines
    still carry Kervan's local ids)."""
    return rec.claim.lines[0].id.startswith(LOCAL)


#: the prefix of claim line ids Kervan makes up for a return it opens itself
LOCAL = "local-"


def settled_lines(rec: ClaimRecord) -> list[str]:
    """Lines whose refund happened (accepted by the marketplace or approved by us)."""
    approved = set(rec.done.approved_remote)
    return [
        ln.id
        for ln in rec.claim.lines
        if ln.status is ClaimLineStatus.ACCEPTED or ln.id in approved
    ]


def all_final(rec: ClaimRecord) -> bool:
    approved = set(rec.done.approved_remote)
    return all(ln.status in FINAL_LINE or ln.id in approved for ln in rec.claim.lines)


def _to_send(rec: ClaimRecord, action: str, sent: list[str]) -> list[str]:
    return [
        i
        for i in rec.decided(action)
        if i not in sent
        and i not in rec.done.refused
        and rec.line_status(i) is ClaimLineStatus.WAITING
    ]


def to_approve(rec: ClaimRecord) -> list[str]:
    return _to_send(rec, "approve", rec.done.approved_remote)


def to_reject(rec: ClaimRecord) -> list[str]:
    return _to_send(rec, "reject", rec.done.rejected_remote)


def due_steps(rec: ClaimRecord) -> list[ClaimStep]:
    if rec.state in (ClaimState.FAILED, ClaimState.CANCELLED, ClaimState.REJECTED):
        return []
    steps: list[ClaimStep] = []
    if rec.claim.opened_by == "seller" and not rec.done.remote_created:
        return [ClaimStep.CREATE_REMOTE]  # nothing else until the marketplace knows it
    if awaiting_match(rec):
        return []  # the marketplace's claim (its line ids) comes with the next poll
    if to_approve(rec):
        steps.append(ClaimStep.APPROVE_REMOTE)
    if to_reject(rec):
        steps.append(ClaimStep.REJECT_REMOTE)
    if rec.receipt is not None and all_final(rec) and settled_lines(rec):
        if not rec.done.restocked:
            steps.append(ClaimStep.RESTOCK)
        if rec.document is None:
            steps.append(ClaimStep.DOCUMENT)
    return steps


def state_of(rec: ClaimRecord) -> ClaimState:
    """The state the record's facts put it in (a failed claim stays failed until retried)."""
    if rec.state is ClaimState.FAILED:
        return ClaimState.FAILED
    lines = rec.claim.lines
    if all(ln.status is ClaimLineStatus.CANCELLED for ln in lines):
        return ClaimState.CANCELLED
    settled = settled_lines(rec)
    if all_final(rec) and not settled:
        return ClaimState.REJECTED
    if rec.document is not None and rec.document.status == "waiting":
        return ClaimState.WAITING_DOCUMENT
    if rec.document is not None and rec.done.restocked:
        return ClaimState.RETURNED
    if all_final(rec) and settled and rec.receipt is None:
        return ClaimState.APPROVING  # refunded before the parcel came: receive it to finish
    rejected = set(rec.done.rejected_remote)
    if any(ln.id in rejected and ln.status not in FINAL_LINE for ln in lines):
        return ClaimState.DISPUTED
    if rec.decided("approve") or rec.decided("reject"):
        return ClaimState.APPROVING
    if rec.receipt is not None:
        return ClaimState.RECEIVED
    return ClaimState.REQUESTED


def warnings_due(rec: ClaimRecord, now: datetime) -> list[tuple[str, str]]:
    """``(key, message)`` for deadline warnings due now and not given yet: the marketplace
    accepts the return on the seller's behalf at ``respond_by`` if nobody decides."""
    deadline = rec.claim.respond_by
    if deadline is None or rec.decisions or rec.state in (ClaimState.FAILED, *_QUIET):
        return []
    out = []
    for before in WARN_BEFORE:
        key = f"respond_by-{int(before.total_seconds() // 3600)}h"
        if now >= deadline - before and key not in rec.done.warned:
            left = deadline - now
            hours = max(left.total_seconds(), 0) / 3600
            out.append(
                (
                    key,
                    f"the marketplace accepts this return on its own at {deadline.isoformat()} "
                    f"({hours:.1f} h left): receive and decide it before then",
                )
            )
    return out


_QUIET = (ClaimState.CANCELLED, ClaimState.REJECTED, ClaimState.RETURNED)


def next_due(rec: ClaimRecord, now: datetime) -> datetime | None:
    """When to look at the claim next: now if a step or warning is due, else the next
    warning time, else never (a poll or a person wakes it)."""
    if due_steps(rec) or warnings_due(rec, now):
        return now
    deadline = rec.claim.respond_by
    if deadline is None or rec.decisions or rec.state in _QUIET:
        return None
    upcoming = [
        deadline - b
        for b in WARN_BEFORE
        if f"respond_by-{int(b.total_seconds() // 3600)}h" not in rec.done.warned
    ]
    return min(upcoming) if upcoming else None
