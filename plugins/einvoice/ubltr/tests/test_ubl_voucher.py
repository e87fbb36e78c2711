"""The gider pusulası record built from a claim: who, which lines, and how much."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))

from kervan.domain import (
    Claim,
    ClaimLine,
    ClaimLineStatus,
    ClaimReason,
    Order,
    Party,
    PartyKind,
    kurus,
)
from kervan.errors import InvalidInputError
from kervan_ubltr import expense_voucher_from_claim
from strategies_ubltr import SELLER, T0, orders

REASON = ClaimReason(code="1", name="Beğenmedim")


def claim_for(order: Order, picks: list[tuple[int, Decimal, ClaimLineStatus]]) -> Claim:
    lines = [
        ClaimLine(
            id=f"cl{i}",
            order_line_id=order.lines[i].line_id,
            barcode=order.lines[i].barcode,
            name=order.lines[i].name,
            quantity=qty,
            unit_price=order.lines[i].unit_price,
            reason=REASON,
            status=status,
        )
        for i, qty, status in picks
    ]
    return Claim(
        id="claim-1",
        tenant_id="t1",
        connection_id="conn",
        external_id="x",
        order_number=order.order_number,
        order_id=order.id,
        claimed_at=datetime(2026, 3, 5, tzinfo=UTC),
        lines=lines,
    )


def person_order(order: Order) -> Order:
    person = Party(
        kind=PartyKind.PERSON, tax_id="17291716060", first_name="Ayşe", last_name="Yılmaz"
    )
    return order.model_copy(update={"buyer": person})


def voucher(claim, order, **kw):
    return expense_voucher_from_claim(
        claim, seller=SELLER, number="GPS2026000000001", issued_at=T0, order=order, **kw
    )


@settings(max_examples=100, deadline=None)
@given(orders(export=False), st.data())
def test_refund_is_what_the_buyer_paid_for_the_returned_units(order, data):
    order = person_order(order)
    picks = []
    for i, line in enumerate(order.lines):
        if data.draw(st.booleans()):
            qty = data.draw(st.sampled_from([line.quantity, line.quantity / 2]))
            picks.append((i, qty, ClaimLineStatus.ACCEPTED))
    if not picks:
        picks = [(0, order.lines[0].quantity, ClaimLineStatus.ACCEPTED)]
    v = voucher(claim_for(order, picks), order)
    assert v.total == sum(x.amount for x in v.lines)
    for (i, qty, _), line in zip(picks, v.lines, strict=True):
        assert line.amount == kurus(order.lines[i].payable * qty / order.lines[i].quantity)
    if len(picks) == len(order.lines) and all(q == order.lines[i].quantity for i, q, _ in picks):
        assert v.total == order.total  # everything back: the whole order is refunded
    assert v.person == order.buyer and v.claim_id == "claim-1" and v.order_id == order.id


def test_only_accepted_lines_by_default_and_vat_shown_separately():
    order = person_order(_fixed_order())
    claim = claim_for(
        order,
        [(0, Decimal(1), ClaimLineStatus.ACCEPTED), (1, Decimal(1), ClaimLineStatus.REJECTED)],
    )
    v = voucher(claim, order)
    assert [x.name for x in v.lines] == [order.lines[0].name]
    assert v.total == Decimal("120.00")
    assert "KDV %20: 20.00 TL (KDV dahil tutar 120.00 TL)" in v.notes


def test_explicit_line_ids_and_unknown_ids():
    order = person_order(_fixed_order())
    claim = claim_for(
        order, [(0, Decimal(1), ClaimLineStatus.WAITING), (1, Decimal(1), ClaimLineStatus.WAITING)]
    )
    assert len(voucher(claim, order, line_ids=["cl1"]).lines) == 1
    with pytest.raises(InvalidInputError, match="no lines"):
        voucher(claim, order, line_ids=["nope"])
    with pytest.raises(InvalidInputError, match="no accepted lines"):
        voucher(claim, order)


def test_a_company_buyer_gets_no_gider_pusulasi():
    order = _fixed_order().model_copy(
        update={"buyer": SELLER.model_copy(update={"tax_id": "3297552117"})}
    )
    claim = claim_for(order, [(0, Decimal(1), ClaimLineStatus.ACCEPTED)])
    with pytest.raises(InvalidInputError, match="IADE"):
        voucher(claim, order)


def test_more_returned_than_ordered_is_refused():
    order = person_order(_fixed_order())
    claim = claim_for(order, [(0, Decimal(5), ClaimLineStatus.ACCEPTED)])
    with pytest.raises(InvalidInputError, match="returns 5"):
        voucher(claim, order)


def _fixed_order() -> Order:
    from kervan.domain import OrderLine

    return Order(
        id="c:5",
        tenant_id="t1",
        connection_id="c",
        source="trendyol",
        order_number="77",
        package_id="5",
        buyer=SELLER,
        shipping_address=SELLER.address,
        invoice_address=SELLER.address,
        ordered_at=T0,
        lines=[
            OrderLine(
                line_id="1",
                barcode="b1",
                name="Kazak",
                quantity=2,
                unit_price="130.00",
                vat_rate=20,
                discount="20.00",
            ),
            OrderLine(
                line_id="2", barcode="b2", name="Atkı", quantity=1, unit_price="55.00", vat_rate=10
            ),
        ],
    )
