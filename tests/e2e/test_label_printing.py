"""Labels on the real plugins: booked or fetched as the remote gives them, their PDF drawn the
first time it is printed and then kept; Trendyol's common label costs one request and one
fetch per parcel."""

from __future__ import annotations

import pypdfium2
import zxingcpp
from fastapi.testclient import TestClient
from kervan.api.app import create_app
from kervan.documents import has_label, label_key
from kervan.domain import OrderState
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
