"""The claim planner's table: which step is due, which state, which deadline warnings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from kervan.claims.plan import ClaimStep, due_steps, next_due, state_of, warnings_due
from kervan.claims.record import ClaimRecord, ClaimState, Decision, Document, Inspection, Receipt
from kervan.domain import Claim, ClaimLine, ClaimLineStatus, ClaimReason

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
W, C, A, D, R, X = (
    ClaimLineStatus.WAITING,
    ClaimLineStatus.CREATED,
    ClaimLineStatus.ACCEPTED,
    ClaimLineStatus.DISPUTED,
    ClaimLineStatus.REJECTED,
    ClaimLineStatus.CANCELLED,
)


def rec(
    *statuses,
    received=False,
    approve=(),
    reject=(),
    approved=(),
    rejected=(),
    document=None,
    restocked=False,
    respond_by=None,
    opened_by="customer",
) -> ClaimRecord:
    claim = Claim(
        id="c",
        tenant_id="t",
        connection_id="ty",
        external_id="c",
        order_number="1",
        claimed_at=T0,
        respond_by=respond_by,
        opened_by=opened_by,
        lines=[
            ClaimLine(
                id=f"i{n}",
                order_line_id="l1",
                barcode="b",
                name="x",
                unit_price=Decimal(10),
                reason=ClaimReason(code="401", name="r"),
                status=s,
            )
            for n, s in enumerate(statuses)
        ],
    )
    r = ClaimRecord(key="ty:c", claim=claim)
    if received:
        r.receipt = Receipt(
            at=T0,
            by="k",
            scanned="x",
            lines=[Inspection(line_id=ln.id, condition="sellable") for ln in claim.lines],
        )
    if approve:
        r.decisions.append(Decision(action="approve", line_ids=list(approve), at=T0, by="k"))
    if reject:
        r.decisions.append(
            Decision(
                action="reject",
                line_ids=list(reject),
                at=T0,
                by="k",
                reason_code="51",
                description="d",
            )
        )
    r.done.approved_remote, r.done.rejected_remote = list(approved), list(rejected)
    r.done.restocked = restocked
    r.document = document
    r.state = state_of(r)
    return r


DONE = Document(route="expense_voucher", status="done")
WAIT = Document(route="buyer_return_invoice", status="waiting")

TABLE = [
    # (record, due steps, state)
    (rec(C), [], ClaimState.REQUESTED),
    (rec(W, received=True), [], ClaimState.RECEIVED),
    (rec(C, received=True, approve=["i0"]), [], ClaimState.APPROVING),  # parcel not registered
    (rec(W, received=True, approve=["i0"]), [ClaimStep.APPROVE_REMOTE], ClaimState.APPROVING),
    (rec(W, received=True, reject=["i0"]), [ClaimStep.REJECT_REMOTE], ClaimState.APPROVING),
    (
        rec(W, W, received=True, approve=["i0"], reject=["i1"]),
        [ClaimStep.APPROVE_REMOTE, ClaimStep.REJECT_REMOTE],
        ClaimState.APPROVING,
    ),
    (
        rec(W, received=True, approve=["i0"], approved=["i0"]),
        [ClaimStep.RESTOCK, ClaimStep.DOCUMENT],
        ClaimState.APPROVING,
    ),
    (
        rec(A, received=True),
        [ClaimStep.RESTOCK, ClaimStep.DOCUMENT],
        ClaimState.RECEIVED,
    ),  # auto-accepted
    (rec(A), [], ClaimState.APPROVING),  # refunded before the parcel came: receive it
    (
        rec(A, D, received=True, approve=["i0"], reject=["i1"], approved=["i0"], rejected=["i1"]),
        [],
        ClaimState.DISPUTED,
    ),
    (
        rec(A, A, received=True, approve=["i0"], reject=["i1"], approved=["i0"], rejected=["i1"]),
        [ClaimStep.RESTOCK, ClaimStep.DOCUMENT],
        ClaimState.APPROVING,
    ),
    (rec(D, received=True, reject=["i0"], rejected=["i0"]), [], ClaimState.DISPUTED),
    (rec(R, received=True, reject=["i0"], rejected=["i0"]), [], ClaimState.REJECTED),
    (rec(X, X), [], ClaimState.CANCELLED),
    (rec(A, received=True, document=DONE, restocked=True), [], ClaimState.RETURNED),
    (rec(A, received=True, document=WAIT, restocked=True), [], ClaimState.WAITING_DOCUMENT),
    (rec(W, opened_by="seller"), [ClaimStep.CREATE_REMOTE], ClaimState.REQUESTED),
]


@pytest.mark.parametrize(("record", "steps", "state"), TABLE)
def test_planner_table(record: ClaimRecord, steps: list[ClaimStep], state: ClaimState) -> None:
    assert due_steps(record) == steps
    assert state_of(record) is state


def test_deadline_warnings_come_24h_and_6h_before_each_once() -> None:
    r = rec(W, respond_by=T0 + timedelta(hours=48))
    assert warnings_due(r, T0) == []
    assert next_due(r, T0) == T0 + timedelta(hours=24)
    [(key, message)] = warnings_due(r, T0 + timedelta(hours=25))
    assert key == "respond_by-24h" and "23.0 h left" in message
    r.done.warned.append(key)
    assert warnings_due(r, T0 + timedelta(hours=30)) == []
    assert next_due(r, T0 + timedelta(hours=30)) == T0 + timedelta(hours=42)
    [(key, _)] = warnings_due(r, T0 + timedelta(hours=43))
    assert key == "respond_by-6h"
    r.done.warned.append(key)
    assert next_due(r, T0 + timedelta(hours=43)) is None


def test_a_decided_claim_is_not_warned() -> None:
    r = rec(W, received=True, approve=["i0"], approved=["i0"], respond_by=T0 + timedelta(hours=1))
    assert warnings_due(r, T0) == []
