"""Labels are kept as the remote gave them (ZPL, render data, a carrier's own PDF); a PDF Kervan
draws is drawn by the connector that gave the label the first time someone asks for ``.pdf``,
then kept, so it is drawn once and never on the order's path. A label kept as ZPL only is a
label."""

from __future__ import annotations

import pytest
from kervan import Carrier, ConnectorContext, OrderSource
from kervan.documents import Documents, has_label, kept_label, label_blobs, label_key
from kervan.domain import Label, Tenant, TenantSettings
from kervan.errors import InvalidInputError, NotFoundError
from kervan.settings import ConnectorSettings

from .conftest import SELLER

DRAWN = b"%PDF-1.7 drawn on first print"
DATA = {"v": 1, "carrier": "Yurtiçi Kargo", "pieces": ["KRVTESTKEY0001"]}


class FakeCarrier(Carrier):
    key = "fake-carrier"
    display_name = "Fake carrier"

    def __init__(self) -> None:
        super().__init__(ConnectorSettings(), ConnectorContext(tenant_id="t1", connection_id="yc"))
        self.drawn: list[Label] = []
        self.refuse = False

    def label_pdf(self, label: Label) -> bytes:
        self.drawn.append(label)
        if self.refuse:
            raise InvalidInputError("a MaxiCode barcode (^BD) is not drawn here")
        return DRAWN


class Marketplace(OrderSource):
    """A marketplace whose label comes as ZPL and which draws none itself."""

    key = "fake-marketplace"
    display_name = "Fake marketplace"

    def __init__(self) -> None:
        super().__init__(ConnectorSettings(), ConnectorContext(tenant_id="t1", connection_id="ty"))


class Connectors:
    def __init__(self) -> None:
        self.carrier, self.marketplace = FakeCarrier(), Marketplace()

    def get(self, tenant_id: str, connection_id: str):
        if connection_id == "yc":
            return self.carrier
        if connection_id == "ty":
            return self.marketplace
        raise NotFoundError(f"connection {connection_id} not found")


class Tenants:
    def get(self, tenant_id: str) -> Tenant:
        return Tenant(id=tenant_id, name="t", seller=SELLER, settings=TenantSettings())


@pytest.fixture
def connectors() -> Connectors:
    return Connectors()


@pytest.fixture
def docs(site, connectors) -> Documents:
    fetched: list[str] = []

    async def fetch_label(tenant_id: str, shipment_id: str) -> bool:
        fetched.append(shipment_id)
        order_id = site.store.get("shipment", shipment_id).body["order_id"]
        site.store.put_blob(label_key(order_id, "zpl"), b"^XA^FDmarketplace^XZ", "text/plain")
        return True

    service = Documents(site.rt.store, connectors, Tenants(), fetch_label)
    service.fetched = fetched  # type: ignore[attr-defined]
    site.client.app.state.documents = service
    return service


def _get(site, path: str):
    return site.client.get(path, headers=site.headers)


def _keep(site, order_id: str, label: Label) -> None:
    for key, data, media_type in label_blobs(order_id, label):
        site.store.put_blob(key, data, media_type)


def test_a_booked_label_is_kept_as_zpl_and_data_and_counts_as_a_label(site):
    order_id = site.order("400")
    _keep(site, order_id, Label(zpl="^XA^FDKRV^FS^XZ", render_data=DATA))
    assert site.store.get_blob(label_key(order_id, "pdf")) is None, "no PDF drawn at booking"
    assert has_label(site.store, order_id), "a ZPL-only label is a label"
    kept = kept_label(site.store, order_id)
    assert kept == Label(zpl="^XA^FDKRV^FS^XZ", render_data=DATA)


def test_a_label_printed_as_pdf_is_drawn_once_by_its_carrier_and_kept(site, docs, connectors):
    order_id = site.order("401")
    shipment = site.shipment(order_id)
    _keep(site, order_id, Label(zpl="^XA^FDKRV^FS^XZ", render_data=DATA))
    for _ in range(3):
        r = _get(site, f"/v1/shipments/{shipment}/label.pdf")
        assert r.status_code == 200 and r.content == DRAWN
        assert r.headers["content-type"] == "application/pdf"
    # drawn once, from what the booking kept, and kept
    assert connectors.carrier.drawn == [Label(zpl="^XA^FDKRV^FS^XZ", render_data=DATA)]
    assert site.store.get_blob(label_key(order_id, "pdf"))[0] == DRAWN
    assert docs.fetched == []  # a booked label is never fetched from anyone
    r = _get(site, f"/v1/shipments/{shipment}/label.zpl")
    assert r.status_code == 200 and r.content == b"^XA^FDKRV^FS^XZ"


def test_the_carriers_own_pdf_is_handed_out_as_it_came(site, docs, connectors):
    order_id = site.order("402")
    shipment = site.shipment(order_id)
    _keep(site, order_id, Label(zpl="^XA^XZ", pdf=b"%PDF-carrier"))
    r = _get(site, f"/v1/shipments/{shipment}/label.pdf")
    assert r.status_code == 200 and r.content == b"%PDF-carrier"
    assert connectors.carrier.drawn == []


def test_a_marketplace_label_is_fetched_once_as_zpl_and_its_pdf_asks_it_nothing_more(
    site, docs, connectors
):
    order_id = site.order("403")
    shipment = site.shipment(order_id, connection_id="ty")
    r = _get(site, f"/v1/shipments/{shipment}/label.zpl")
    assert r.status_code == 200 and r.content == b"^XA^FDmarketplace^XZ"
    # this marketplace draws no PDF: .pdf is 404, and nothing is fetched again for it
    r = _get(site, f"/v1/shipments/{shipment}/label.pdf")
    assert r.status_code == 404
    assert r.json()["error"]["message"] == f"no pdf label for shipment {shipment!r}"
    assert docs.fetched == [shipment]


def test_a_label_its_connector_cannot_draw_says_why_and_still_prints_as_zpl(site, docs, connectors):
    connectors.carrier.refuse = True
    order_id = site.order("404")
    shipment = site.shipment(order_id)
    _keep(site, order_id, Label(zpl="^XA^BDN^FDx^FS^XZ"))
    r = _get(site, f"/v1/shipments/{shipment}/label.pdf")
    assert r.status_code == 404
    message = r.json()["error"]["message"]
    assert "cannot be drawn as PDF" in message and "^BD" in message and ".zpl" in message
    assert site.store.get_blob(label_key(order_id, "pdf")) is None
    assert _get(site, f"/v1/shipments/{shipment}/label.zpl").status_code == 200


def test_a_label_whose_connection_is_gone_has_no_pdf(site, docs, connectors):
    order_id = site.order("405")
    shipment = site.shipment(order_id, connection_id="gone")
    _keep(site, order_id, Label(zpl="^XA^XZ", render_data=DATA))
    r = _get(site, f"/v1/shipments/{shipment}/label.pdf")
    assert r.status_code == 404
    assert connectors.carrier.drawn == []
