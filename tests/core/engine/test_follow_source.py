"""Planning for parcels the marketplace booked: follow its status, only forward, only once."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from kervan.domain import OrderState, TrackingStatus
from kervan.engine import due_steps
from kervan.engine.lifecycle import Step
from kervan.engine.records import OrderRecord

from .fakes import order

NOW = datetime(2026, 6, 1, tzinfo=UTC)
PICKED = {
    TrackingStatus.PICKED_UP,
    TrackingStatus.IN_TRANSIT,
    TrackingStatus.OUT_FOR_DELIVERY,
    TrackingStatus.DELIVERED,
}


def record(state, status, *, marketplace=True, picked_up=False) -> OrderRecord:
    rec = OrderRecord(order=order("1"))
    rec.order.state, rec.order.carrier_status = state, status
    rec.flags.marketplace_shipment, rec.flags.picked_up = marketplace, picked_up
    rec.shipment_id = "ty:1:1"
    return rec


def test_shipped_at_the_marketplace_moves_a_booked_order():
    rec = record(OrderState.BOOKED, TrackingStatus.IN_TRANSIT)
    assert Step.FOLLOW_SOURCE in due_steps(rec, now=NOW, auto_approve=True)


def test_nothing_to_follow_before_the_carrier_moves_or_once_taken():
    assert Step.FOLLOW_SOURCE not in due_steps(
        record(OrderState.BOOKED, None), now=NOW, auto_approve=True
    )
    taken = record(OrderState.SHIPPED, TrackingStatus.IN_TRANSIT, picked_up=True)
    assert Step.FOLLOW_SOURCE not in due_steps(taken, now=NOW, auto_approve=True)
    delivered = record(OrderState.DELIVERED, TrackingStatus.DELIVERED, picked_up=True)
    assert due_steps(delivered, now=NOW, auto_approve=True) == []


@given(
    state=st.sampled_from(list(OrderState)),
    status=st.none() | st.sampled_from(list(TrackingStatus)),
    marketplace=st.booleans(),
    picked_up=st.booleans(),
)
def test_follow_source_is_due_exactly_when_the_marketplace_is_ahead(
    state, status, marketplace, picked_up
):
    rec = record(state, status, marketplace=marketplace, picked_up=picked_up)
    due = Step.FOLLOW_SOURCE in due_steps(rec, now=NOW, auto_approve=True)
    ahead = (status in PICKED and not picked_up) or (
        status is TrackingStatus.DELIVERED and state is not OrderState.DELIVERED
    )
    shipping = state in (OrderState.BOOKED, OrderState.PACKED, OrderState.SHIPPED)
    assert due == (marketplace and shipping and ahead)
