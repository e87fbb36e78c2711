"""An action that does not apply to the order's state answers 409 in the error envelope, with
the state and the reason, and changes nothing; a timeline goes out in time order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from kervan.domain import OrderState, TimelineEntry, TrackingStatus

from .conftest import T0

S = OrderState


def _conflict(r, action: str, state: str, why: str) -> None:
    assert r.status_code == 409, r.text
    error = r.json()["error"]
    assert error["code"] == "state_conflict"
    assert error["detail"]["state"] == state and error["detail"]["action"] == action
    assert why in error["message"], error["message"]


@pytest.mark.parametrize(
    ("state", "why"),
    [
        (S.DELIVERED, "return instead"),
        (S.SHIPPED, "carrier has the parcel"),
        (S.CANCELLED, "already cancelled"),
    ],
)
def test_cancelling_a_delivered_shipped_or_cancelled_order_is_409(site, state, why):
    oid = site.order("100", state)
    before = site.store.get("order", oid).cas
    r = site.client.post(f"/v1/orders/{oid}/cancel", headers=site.headers)
    _conflict(r, "cancel", state.value, why)
    assert site.store.get("order", oid).cas == before  # nothing was written


def test_cancelling_an_order_a_split_replaced_is_409(site):
    oid = site.order("101")
    rec = site.record(oid)
    rec.order.superseded = True
    site.put(rec)
    r = site.client.post(f"/v1/orders/{oid}/cancel", headers=site.headers)
    _conflict(r, "cancel", "received", "packages of a split")


@pytest.mark.parametrize(
    ("state", "fields", "why"),
    [
        (S.BOOKED, {}, "past approval"),
        (S.INVOICED, {"flags": {"approved": True}}, "already approved"),
        (S.CANCELLED, {}, "cancelled"),
    ],
)
def test_approving_an_order_that_is_not_waiting_for_approval_is_409(site, state, fields, why):
    oid = site.order("102", state, **fields)
    r = site.client.post(f"/v1/orders/{oid}/approve", headers=site.headers)
    _conflict(r, "approve", state.value, why)


def test_approving_where_the_tenant_auto_approves_is_409(site):
    tenant = site.rt.tenancy.get_tenant("t1")
    tenant.settings.auto_approve = True
    site.rt.tenancy.update_tenant(tenant)
    oid = site.order("103", S.INVOICED)
    r = site.client.post(f"/v1/orders/{oid}/approve", headers=site.headers)
    _conflict(r, "approve", "invoiced", "automatically")


def test_retrying_an_order_that_has_not_failed_is_409(site):
    oid = site.order("104", S.BOOKED)
    r = site.client.post(f"/v1/orders/{oid}/retry", headers=site.headers)
    _conflict(r, "retry", "booked", "has not failed")


def test_splitting_after_invoicing_is_409_and_a_wrong_plan_is_422(site):
    oid = site.order("106", S.INVOICED)
    plan = {"groups": [["106-1"], ["106-2"]]}
    r = site.client.post(f"/v1/orders/{oid}/split", json=plan, headers=site.headers)
    _conflict(r, "split", "invoiced", "only before invoicing")
    # before invoicing, a plan that does not fit the order's lines is a bad request (422)
    early = site.order("107", S.RECEIVED)
    bad = {"groups": [["107-1"], ["nope"]]}
    r = site.client.post(f"/v1/orders/{early}/split", json=bad, headers=site.headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input", r.text


def test_an_unknown_order_is_still_404(site):
    r = site.client.post("/v1/orders/ty:nope/cancel", headers=site.headers)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_the_timeline_goes_out_oldest_first_and_equal_times_keep_their_order(site):
    oid = site.order("110")
    rec = site.record(oid)
    at = [T0 + timedelta(minutes=m) for m in (5, 1, 3, 3, 0)]
    rec.order.timeline = [TimelineEntry(at=t, step=f"s{i}", outcome="ok") for i, t in enumerate(at)]
    site.put(rec)
    r = site.client.get(f"/v1/orders/{oid}", headers=site.headers)
    assert r.status_code == 200
    steps = [e["step"] for e in r.json()["order"]["timeline"]]
    assert steps == ["s4", "s1", "s2", "s3", "s0"]


def test_tracking_events_go_out_oldest_first(site):
    oid = site.order("111", S.SHIPPED)
    events = [
        {"at": (T0 + timedelta(hours=h)).isoformat(), "status": s.value}
        for h, s in ((2, TrackingStatus.IN_TRANSIT), (1, TrackingStatus.PICKED_UP))
    ]
    site.shipment(oid, events=events, status="in_transit")
    r = site.client.get("/v1/shipments", params={"order_id": oid}, headers=site.headers)
    assert r.status_code == 200
    [shipment] = r.json()
    assert [e["status"] for e in shipment["events"]] == ["picked_up", "in_transit"]
