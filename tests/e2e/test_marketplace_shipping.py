"""Trendyol's contracted carriers: Trendyol books the parcel, Kervan must not book another.

The package arrives with the carrier and tracking number Trendyol chose; Kervan records that
shipment, fetches Trendyol's label (ZPL) when it is first printed, sends no tracking number
back, and follows the parcel through the package status (which releases a held e-Fatura).
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from kervan.api.app import create_app
from kervan.domain import DocumentKind, DocumentStatus, OrderState
from kervan.engine.records import SHIPMENT
from kervan.store import Query

from .conftest import COMPANY, PERSON, TEX, make_order


def test_marketplace_booked_parcel_is_not_booked_again(flow):
    flow.seed([make_order("6001", PERSON, carrier=TEX)])
    flow.poll()
    rec = flow.record("6001")
    assert rec.order.state is OrderState.BOOKED, rec.last_error
    assert rec.flags.marketplace_shipment
    assert flow.yurtici.shipments == {}, "a second parcel was booked at our own carrier"
    [shipment] = [d.body for d in flow.rt.store.tenant("demo").query(Query(SHIPMENT))]
    assert shipment["tracking_number"] == TEX[1]
    assert shipment["carrier"] == TEX[0] and shipment["connection_id"] == "trendyol"
    assert flow.trendyol.packages[6001]["cargoTrackingNumber"] == int(TEX[1])  # untouched
    steps = [(e.step, e.outcome) for e in rec.order.timeline]
    assert ("send_tracking", "ok") not in steps


def test_the_marketplace_label_is_fetched_when_first_printed(flow):
    """Trendyol rations label calls (100 a minute): booking does not wait on one; the label
    comes from Trendyol the first time the packing station asks, and is kept."""
    flow.seed([make_order("6004", PERSON, carrier=TEX)])
    flow.poll()
    ts = flow.rt.store.tenant("demo")
    assert flow.record("6004").order.state is OrderState.BOOKED
    assert ts.get_blob("label:trendyol:6004:zpl") is None
    assert flow.trendyol.count("POST", "*/common-label/*") == 0
    client = TestClient(create_app(flow.rt), raise_server_exceptions=False)
    auth = {"Authorization": f"Bearer {flow.demo.api_key}"}
    for _ in range(2):
        r = client.get("/v1/shipments/trendyol:6004:1/label.zpl", headers=auth)
        assert r.status_code == 200 and r.text.startswith("^XA") and TEX[1] in r.text
    assert flow.trendyol.count("POST", "*/common-label/*") == 1  # fetched once, then kept
    assert ts.get_blob("label:trendyol:6004:zpl") is not None
    # Trendyol gives ZPL only; the connector draws the same label as a PDF, kept with it
    r = client.get("/v1/shipments/trendyol:6004:1/label.pdf", headers=auth)
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert flow.trendyol.count("GET", "*/common-label/*") <= 2  # the PDF asked nothing more


def test_e_fatura_waits_for_the_marketplace_carrier_then_delivered(flow):
    flow.seed(
        [make_order("6002", COMPANY, carrier=TEX)],
        registered={COMPANY.tax_id: "urn:mail:defaultpk@ege.example"},
    )
    flow.poll()
    rec = flow.record("6002")
    invoice = flow.invoices()[0]
    assert rec.invoice_kind is DocumentKind.EFATURA and rec.order.state is OrderState.BOOKED
    assert flow.nilvera.document_count(invoice["uuid"]) == 0, "e-Fatura left before pickup"
    assert flow.print_label("6002")  # TEX collects labelled parcels
    flow.marketplace_moves(hours=7)  # TEX picked it up (Shipped)
    rec = flow.record("6002")
    assert rec.order.state is OrderState.SHIPPED and rec.flags.picked_up
    assert rec.flags.invoice_submitted
    assert flow.nilvera.document_count(invoice["uuid"]) == 1
    flow.marketplace_moves(hours=40)  # delivered
    rec = flow.record("6002")
    assert rec.order.state is OrderState.DELIVERED
    [shipment] = [d.body for d in flow.rt.store.tenant("demo").query(Query(SHIPMENT))]
    assert shipment["status"] == "delivered"
    assert [e["status"] for e in shipment["events"]] == ["in_transit", "delivered"]
    assert flow.invoices()[0]["status"] != DocumentStatus.CANCELLED


def test_cancelling_a_marketplace_booked_parcel_asks_no_carrier(flow):
    flow.seed([make_order("6003", PERSON, carrier=TEX)], cancelled={"6003"})
    flow.poll()
    assert flow.record("6003").order.state is OrderState.BOOKED
    flow.poll()  # the buyer's cancellation arrives
    rec = flow.record("6003")
    assert rec.order.state is OrderState.CANCELLED, rec.last_error
    [shipment] = [d.body for d in flow.rt.store.tenant("demo").query(Query(SHIPMENT))]
    assert shipment["status"] == "cancelled"
    assert flow.yurtici.shipments == {}
    assert not flow.print_label("6003")  # no label for a parcel that will not go
    assert flow.trendyol.count("POST", "*/common-label/*") == 0
