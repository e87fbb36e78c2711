"""The documents service hands out an invoice's XML, PDF and HTML and a shipment's label: what
is kept, else the integrator's copy once the document is submitted (kept), else a local
rendering (not kept, so it never stands in for the integrator's later). The routes only ask it."""

from __future__ import annotations

from collections import Counter

import pytest
from kervan import ConnectorContext, DocumentIssuer
from kervan.documents import Documents, html_key, label_key, pdf_key, xml_key
from kervan.domain import DocumentKind, DocumentStatus, Tenant, TenantSettings
from kervan.errors import NotFoundError, RemoteUnavailableError, UnsupportedOperationError
from kervan.settings import ConnectorSettings

from .conftest import SELLER

INTEGRATOR_PDF = b"%PDF-1.7 integrator"
LOCAL_PDF = b"%PDF-1.7 local"


class FakeIssuer(DocumentIssuer):
    key = "fake-issuer"
    display_name = "Fake integrator"

    def __init__(self) -> None:
        super().__init__(ConnectorSettings(), ConnectorContext(tenant_id="t1", connection_id="e"))
        self.calls: Counter[str] = Counter()
        self.down = False
        self.no_files = False

    def render_pdf(self, document) -> bytes:
        self.calls["render"] += 1
        return LOCAL_PDF

    async def fetch_pdf(self, kind: DocumentKind, uuid: str) -> bytes:
        self.calls["fetch_pdf"] += 1
        if self.down:
            raise RemoteUnavailableError("integrator down", remote="fake")
        if self.no_files:
            raise UnsupportedOperationError("no PDFs here")
        return INTEGRATOR_PDF

    async def fetch_html(self, kind: DocumentKind, uuid: str) -> str:
        self.calls["fetch_html"] += 1
        if self.no_files:
            raise UnsupportedOperationError("no HTML here")
        return "<html><script>alert(1)</script>fatura</html>"


class Connectors:
    def __init__(self, issuer: FakeIssuer) -> None:
        self.issuer = issuer

    def get(self, tenant_id: str, connection_id: str) -> FakeIssuer:
        assert (tenant_id, connection_id) == ("t1", "e")
        return self.issuer


class Tenants:
    def __init__(self, issuer_connection: str | None = "e") -> None:
        self.settings = TenantSettings(default_issuer_connection=issuer_connection)

    def get(self, tenant_id: str) -> Tenant:
        return Tenant(id=tenant_id, name="t", seller=SELLER, settings=self.settings)


@pytest.fixture
def issuer() -> FakeIssuer:
    return FakeIssuer()


@pytest.fixture
def docs(site, issuer) -> Documents:
    fetched: list[str] = []

    async def fetch_label(tenant_id: str, shipment_id: str) -> bool:
        fetched.append(shipment_id)
        order_id = site.store.get("shipment", shipment_id).body["order_id"]
        if order_id.endswith(":301"):  # the marketplace has this one
            site.store.put_blob(label_key(order_id, "zpl"), b"^XA^FDmarketplace^XZ", "text/plain")
            return True
        return False

    service = Documents(site.rt.store, Connectors(issuer), Tenants(), fetch_label)
    service.fetched = fetched  # type: ignore[attr-defined]
    site.client.app.state.documents = service  # the routes ask this one
    return service


def _get(site, path: str):
    return site.client.get(path, headers=site.headers)


def test_the_xml_is_what_was_issued_and_none_before(site, docs):
    inv = site.invoice("200", DocumentStatus.DRAFT)
    r = _get(site, f"/v1/documents/{inv.id}/xml")
    assert r.status_code == 404 and "no XML yet (status draft)" in r.json()["error"]["message"]
    site.store.put_blob(xml_key(inv.uuid), b"<Invoice/>", "application/xml")
    r = _get(site, f"/v1/documents/{inv.id}/xml")
    assert r.status_code == 200 and r.content == b"<Invoice/>"
    assert r.headers["content-type"] == "application/xml"
    assert r.headers["content-disposition"] == f'attachment; filename="{inv.number}.xml"'


def test_a_document_not_yet_submitted_is_rendered_locally_each_time_and_not_kept(
    site, docs, issuer
):
    inv = site.invoice("201", DocumentStatus.ISSUED)
    for _ in range(2):
        r = _get(site, f"/v1/documents/{inv.id}/pdf")
        assert r.status_code == 200 and r.content == LOCAL_PDF
    assert r.headers["content-disposition"] == f'inline; filename="{inv.number}.pdf"'
    assert issuer.calls == Counter(render=2)
    assert site.store.get_blob(pdf_key(inv.uuid)) is None


def test_a_submitted_documents_pdf_comes_from_the_integrator_once_and_is_kept(site, docs, issuer):
    inv = site.invoice("202", DocumentStatus.QUEUED)
    for _ in range(2):
        r = _get(site, f"/v1/documents/{inv.id}/pdf")
        assert r.status_code == 200 and r.content == INTEGRATOR_PDF
    assert issuer.calls == Counter(fetch_pdf=1)
    assert site.store.get_blob(pdf_key(inv.uuid))[0] == INTEGRATOR_PDF


@pytest.mark.parametrize("why", ["down", "no_files"])
def test_printing_never_waits_for_an_integrator_that_cannot_give_the_pdf(site, docs, issuer, why):
    setattr(issuer, why, True)
    inv = site.invoice("203", DocumentStatus.ACCEPTED)
    r = _get(site, f"/v1/documents/{inv.id}/pdf")
    assert r.status_code == 200 and r.content == LOCAL_PDF
    assert site.store.get_blob(pdf_key(inv.uuid)) is None  # asked again next time


def test_a_kept_pdf_is_served_without_asking_anyone(site, docs, issuer):
    inv = site.invoice("204", DocumentStatus.ACCEPTED)
    site.store.put_blob(pdf_key(inv.uuid), b"%PDF kept", "application/pdf")
    assert _get(site, f"/v1/documents/{inv.id}/pdf").content == b"%PDF kept"
    assert not issuer.calls


async def test_without_an_issuer_connection_there_is_nothing_to_render_with(site, issuer):
    service = Documents(site.rt.store, Connectors(issuer), Tenants(issuer_connection=None))
    inv = site.invoice("205", DocumentStatus.ISSUED)
    with pytest.raises(NotFoundError, match="no issuer connection"):
        await service.pdf("t1", inv.id)


def test_the_html_comes_from_the_integrator_once_submitted_and_never_runs_here(site, docs, issuer):
    early = site.invoice("206", DocumentStatus.ISSUED)
    r = _get(site, f"/v1/documents/{early.id}/html")
    assert r.status_code == 404 and "until it is submitted" in r.text
    inv = site.invoice("207", DocumentStatus.ACCEPTED)
    for _ in range(2):
        r = _get(site, f"/v1/documents/{inv.id}/html")
        assert r.status_code == 200 and "fatura" in r.text
    assert issuer.calls == Counter(fetch_html=1)
    assert site.store.get_blob(html_key(inv.uuid)) is not None
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"] == "sandbox"
    assert r.headers["content-disposition"].startswith("attachment;")


def test_an_issuer_without_html_is_404(site, docs, issuer):
    issuer.no_files = True
    inv = site.invoice("208", DocumentStatus.ACCEPTED)
    r = _get(site, f"/v1/documents/{inv.id}/html")
    assert r.status_code == 404 and "offers no HTML" in r.text


def test_labels_come_from_the_booking_or_once_from_the_marketplace(site, docs):
    booked = site.shipment(site.order("300"))
    site.store.put_blob(label_key("ty:300", "pdf"), b"%PDF-label", "application/pdf")
    r = _get(site, f"/v1/shipments/{booked}/label.pdf")
    assert r.status_code == 200 and r.content == b"%PDF-label"
    assert r.headers["content-type"] == "application/pdf"
    assert docs.fetched == []  # kept: nobody was asked

    marketplace = site.shipment(site.order("301"))
    r = _get(site, f"/v1/shipments/{marketplace}/label.zpl")
    assert r.status_code == 200 and r.content == b"^XA^FDmarketplace^XZ"
    assert r.headers["content-type"].startswith("text/plain")
    _get(site, f"/v1/shipments/{marketplace}/label.zpl")
    assert docs.fetched == [marketplace]  # fetched once, then kept


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/v1/shipments/ty:300:1/label.png", "labels come as .zpl or .pdf"),
        ("/v1/shipments/ty:nope:1/label.pdf", "shipment 'ty:nope:1' not found"),
        ("/v1/shipments/ty:302:1/label.pdf", "no pdf label for shipment 'ty:302:1'"),
        ("/v1/documents/sale:ty:nope/pdf", "document 'sale:ty:nope' not found"),
    ],
)
def test_what_is_not_there_is_404(site, docs, path, why):
    site.shipment(site.order("302"))
    r = _get(site, path)
    assert r.status_code == 404 and r.json()["error"]["message"] == why


def test_the_key_names_are_stable():
    assert xml_key("u") == "xml:u" and pdf_key("u") == "pdf:u" and html_key("u") == "html:u"
    assert label_key("ty:1", "zpl") == "label:ty:1:zpl"
