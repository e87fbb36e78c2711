"""Labels on the real plugins: booked or fetched as the remote gives them, their PDF drawn the
first time it is printed and then kept; Trendyol's common label costs one request and one
fetch per parcel."""

from __future__ import annotations

from unittest import mock

import pypdfium2
import zxingcpp
from fastapi.testclient import TestClient
from kervan.api.app import create_app
from kervan.documents import has_label, label_key
from kervan.domain import OrderState
from kervan.engine.records import LABEL_DUE
from kervan.store import Query
from kervan_yurtici import Yurtici

from .conftest import PERSON, TEX, make_order


def _client(flow) -> tuple[TestClient, dict[str, str]]:
    client = TestClient(create_app(flow.rt), raise_server_exceptions=False)
    return client, {"Authorization": f"Bearer {flow.demo.api_key}"}


def _barcodes(pdf: bytes) -> list[str]:
    page = pypdfium2.PdfDocument(pdf)[0]
    return [code.text for code in zxingcpp.read_barcodes(page.render(scale=300 / 72).to_pil())]


def test_a_carrier_label_is_drawn_as_pdf_when_first_printed_then_kept(flow, monkeypatch):
    drawn: list[str] = []
    draw = Yurtici.label_pdf

    def counting(self, label):
        drawn.append(label.zpl)
        return draw(self, label)

    monkeypatch.setattr(Yurtici, "label_pdf", counting)
    flow.seed([make_order("7001", PERSON)])
    flow.poll()
    rec = flow.record("7001")
    assert rec.order.state is OrderState.BOOKED, rec.last_error
    ts = flow.rt.store.tenant("demo")
    order_id = rec.order.id
    # booking kept the carrier's label as ZPL and the data to draw it: no PDF was drawn
    assert ts.get_blob(label_key(order_id, "zpl")) is not None
    assert ts.get_blob(label_key(order_id, "data")) is not None
    assert ts.get_blob(label_key(order_id, "pdf")) is None and drawn == []
    assert has_label(ts, order_id)

    client, auth = _client(flow)
    first = client.get(f"/v1/shipments/{rec.shipment_id}/label.pdf", headers=auth)
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    again = client.get(f"/v1/shipments/{rec.shipment_id}/label.pdf", headers=auth)
    assert again.status_code == 200 and again.content == first.content
    assert len(drawn) == 1, "the PDF is drawn once, then kept"
    assert ts.get_blob(label_key(order_id, "pdf"))[0] == first.content
    # the PDF carries the barcode the ZPL carries (the cargo key the branch scans)
    assert _barcodes(first.content) == [ts.get("shipment", rec.shipment_id).body["cargo_key"]]


def test_a_common_label_printed_as_pdf_costs_one_request_and_one_fetch(flow):
    flow.seed([make_order("7002", PERSON, carrier=TEX)])
    flow.poll()
    rec = flow.record("7002")
    assert rec.order.state is OrderState.BOOKED, rec.last_error
    client, auth = _client(flow)
    for fmt in ("pdf", "zpl", "pdf"):
        r = client.get(f"/v1/shipments/{rec.shipment_id}/label.{fmt}", headers=auth)
        assert r.status_code == 200, r.text
    assert flow.trendyol.count("POST", "*/common-label/*") == 1
    assert flow.trendyol.count("GET", "*/common-label/*") == 1
    ts = flow.rt.store.tenant("demo")
    assert ts.get_blob(label_key(rec.order.id, "pdf")) is not None
    assert TEX[1] in _barcodes(ts.get_blob(label_key(rec.order.id, "pdf"))[0])


def test_the_label_sweep_reads_the_due_list_not_every_shipment(flow):
    flow.seed([make_order("7003", PERSON, carrier=TEX), make_order("7004", PERSON, carrier=TEX)])
    flow.poll()
    first, second = flow.record("7003"), flow.record("7004")
    assert first.order.state is second.order.state is OrderState.BOOKED
    ts = flow.rt.store.tenant("demo")
    # the marketplace booked both: each waits for its label on the due list
    assert set(ts.keys(Query(LABEL_DUE))) == {first.shipment_id, second.shipment_id}

    # a packing station prints the first one: fetched once, and off the list with it
    client, auth = _client(flow)
    assert client.get(f"/v1/shipments/{first.shipment_id}/label.zpl", headers=auth).is_success
    assert ts.keys(Query(LABEL_DUE)) == [second.shipment_id]

    # the sweep fetches only the one still missing, and then nothing is due
    engine = flow.rt.engine
    assert flow.rt.jobs.loop.run(engine.fetch_missing_labels("demo")) == 1
    assert ts.keys(Query(LABEL_DUE)) == []
    assert has_label(ts, second.order.id)
    assert flow.trendyol.count("POST", "*/common-label/*") == 2
    # a sweep with nothing due reads no shipment and asks the marketplace nothing
    reads = []
    get = type(ts).get
    with mock.patch.object(type(ts), "get", lambda s, k, key: reads.append(k) or get(s, k, key)):
        assert flow.rt.jobs.loop.run(engine.fetch_missing_labels("demo")) == 0
    assert reads == []
    assert flow.trendyol.count("POST", "*/common-label/*") == 2


def test_a_label_kept_while_its_due_entry_stayed_leaves_the_list_at_the_next_sweep(flow):
    flow.seed([make_order("7005", PERSON, carrier=TEX)])
    flow.poll()
    rec = flow.record("7005")
    ts = flow.rt.store.tenant("demo")
    # the label is kept without the due entry going (a crash between the two)
    ts.put_blob(label_key(rec.order.id, "zpl"), b"^XA^XZ", "application/zpl")
    assert ts.keys(Query(LABEL_DUE)) == [rec.shipment_id]
    assert flow.rt.jobs.loop.run(flow.rt.engine.fetch_missing_labels("demo")) == 0
    assert ts.keys(Query(LABEL_DUE)) == []
    assert flow.trendyol.count("POST", "*/common-label/*") == 0
