"""Conformance: the e-İrsaliye service (``/edespatch``) in raw HTTP, and the connector's
submit-then-poll of a transport-only despatch for an exchange or a missing part.

Nilvera's e-Despatch OpenAPI is not among the published documents we have (montarist/nilvera-api
ships only e-Invoice, e-Archive and General). The paths, the multipart ``file`` upload with an
``Alias`` query (GİB's ``urn:mail:irsaliyepk@gib.gov.tr`` for a receiver not registered for
e-İrsaliye), ``POST /edespatch/Series`` on error 3009, and the status shape
``{"DespatchStatus": {"Code", "Description", "DetailDescription"}}`` with ``Code`` one of
``waiting|succeed|error|unknown`` are read from Odoo's Nilvera e-Dispatch module (odoo/odoo
``addons/l10n_tr_nilvera_edispatch/models/stock_picking.py``) and agree with
``done6666/nilvera-sdk-php`` ``src/Services/EWaybillService.php`` (apis.md §7).
"""

from __future__ import annotations

import base64
import uuid as uuidlib
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import kervan_ubltr
from conformance_support import error_codes, send_xml
from kervan.despatch import TRANSPORT_ONLY_NOTE, transport_despatch
from kervan.domain import (
    Address,
    DespatchAdvice,
    DocumentKind,
    DocumentStatus,
    Order,
    OrderLine,
    Party,
    PartyKind,
)
from kervan_nilvera import Nilvera
from kervan_nilvera.sandbox import NilveraSandbox
from kervan_sdk.sandbox import SimClock
from nilvera_testdata import PERSON_BUYER, SELLER, make_despatch

GIB_DESPATCH_BOX = "urn:mail:irsaliyepk@gib.gov.tr"
STATUS_CODES = {"unknown", "waiting", "succeed", "error"}
CARRIER = Party(
    kind=PartyKind.COMPANY,
    tax_id="3297552117",
    company_name="Yurtiçi Kargo Servisi A.Ş.",
    address=Address(lines=["Kargo Sk. 1"], district="Şişli", city="İstanbul", postal_code="34381"),
)
HOME = Address(lines=["Çiçek Sk. 3"], district="Çankaya", city="Ankara", postal_code="06690")


def exchange(number: str = "KRI2026000000101") -> DespatchAdvice:
    """A replacement sent by parcel carrier: CarrierParty, no driver, transport-only note."""
    order = Order(
        id="trendyol:1",
        tenant_id="t1",
        connection_id="ty",
        source="trendyol",
        order_number="10987654321",
        package_id="1",
        lines=[
            OrderLine(
                line_id="L1",
                barcode="8690000000017",
                name="Tişört M",
                quantity=Decimal(1),
                unit_price=Decimal("249.90"),
                vat_rate=20,
            )
        ],
        buyer=PERSON_BUYER,
        shipping_address=HOME,
        invoice_address=HOME,
        ordered_at=datetime(2026, 1, 10, 9, 0, tzinfo=UTC),
    )
    return transport_despatch(
        order,
        {"L1": Decimal(1)},
        number=number,
        uuid=str(uuidlib.uuid4()),
        issued_at=datetime(2026, 1, 15, 9, 0, tzinfo=UTC),
        seller=SELLER,
        receiver=PERSON_BUYER,
        address=HOME,
        carrier=CARRIER,
        reason="Değişim",
        invoice_number="KRA2026000000007",
        invoice_issued_at=datetime(2026, 1, 10, 12, 0, tzinfo=UTC),
    )


async def test_send_xml_then_status_answers_despatch_status(
    http: httpx.AsyncClient, sandbox: NilveraSandbox, clock: SimClock
) -> None:
    sandbox.gib_rejection_share = 0.0
    advice = exchange()
    uuid = await send_xml(http, "edespatch", kervan_ubltr.build_valid(advice), GIB_DESPATCH_BOX)
    assert uuid == advice.uuid
    waiting = (await http.get(f"/edespatch/Sale/{uuid}/Status")).json()
    assert set(waiting) == {"DespatchStatus"}
    assert set(waiting["DespatchStatus"]) == {"Code", "Description", "DetailDescription"}
    assert waiting["DespatchStatus"]["Code"] == "waiting"
    clock.advance(sandbox.accept_after_s)
    done = (await http.get(f"/edespatch/sale/{uuid}/Status")).json()  # paths ignore case
    assert done["DespatchStatus"]["Code"] == "succeed"
    assert done["DespatchStatus"]["Code"] in STATUS_CODES


async def test_despatch_pdf_and_xml_come_back_with_the_transport_only_note(
    http: httpx.AsyncClient, sandbox: NilveraSandbox
) -> None:
    advice = exchange("KRI2026000000102")
    uuid = await send_xml(http, "edespatch", kervan_ubltr.build_valid(advice), GIB_DESPATCH_BOX)
    xml = (await http.get(f"/edespatch/Sale/{uuid}/xml")).json()
    assert TRANSPORT_ONLY_NOTE in xml and "<cac:CarrierParty>" in xml
    assert "DriverPerson" not in xml
    pdf = base64.b64decode((await http.get(f"/edespatch/Sale/{uuid}/pdf")).json())
    assert pdf.startswith(b"%PDF")


async def test_a_despatch_gibs_schematron_refuses_is_422_2015(http: httpx.AsyncClient) -> None:
    advice = exchange("KRI2026000000103").model_copy(update={"carrier": None})
    answer = await http.post(
        "/edespatch/Send/Xml",
        params={"Alias": GIB_DESPATCH_BOX},
        files={"file": ("d.xml", kervan_ubltr.build_despatch(advice), "application/xml")},
    )
    assert answer.status_code == 422 and error_codes(answer) == [2015]
    assert "DespatchCarrierDriverCheck-1" in answer.text


async def test_an_invoice_sent_to_the_despatch_service_is_refused(http: httpx.AsyncClient) -> None:
    from nilvera_testdata import make_invoice

    # numbered in a despatch series, so only the document type is wrong
    invoice = make_invoice(DocumentKind.EARSIV, buyer=PERSON_BUYER, number="KRI2026000000199")
    answer = await http.post(
        "/edespatch/Send/Xml",
        params={"Alias": GIB_DESPATCH_BOX},
        files={"file": ("i.xml", kervan_ubltr.build_valid(invoice), "application/xml")},
    )
    assert answer.status_code == 422 and error_codes(answer) == [2015]


async def test_a_despatch_without_an_alias_is_404_3000(http: httpx.AsyncClient) -> None:
    answer = await http.post(
        "/edespatch/Send/Xml",
        files={"file": ("d.xml", kervan_ubltr.build_valid(exchange("KRI2026000000104")), "x")},
    )
    assert answer.status_code == 404 and error_codes(answer) == [3000]


async def test_an_undefined_despatch_series_is_3009_until_posted_to_edespatch_series(
    http: httpx.AsyncClient,
) -> None:
    xml = kervan_ubltr.build_valid(exchange("IRZ2026000000001"))
    files = {"file": ("d.xml", xml, "application/xml")}
    first = await http.post("/edespatch/Send/Xml", params={"Alias": GIB_DESPATCH_BOX}, files=files)
    assert first.status_code == 404 and error_codes(first) == [3009]
    added = await http.post(
        "/edespatch/Series", json={"Name": "IRZ", "IsActive": True, "IsDefault": False}
    )
    assert added.status_code == 200
    again = await http.post("/edespatch/Send/Xml", params={"Alias": GIB_DESPATCH_BOX}, files=files)
    assert again.status_code == 200


async def test_the_same_despatch_uuid_twice_is_409_1001(http: httpx.AsyncClient) -> None:
    xml = kervan_ubltr.build_valid(exchange("KRI2026000000105"))
    await send_xml(http, "edespatch", xml, GIB_DESPATCH_BOX)
    again = await http.post(
        "/edespatch/Send/Xml",
        params={"Alias": GIB_DESPATCH_BOX},
        files={"file": ("d.xml", xml, "application/xml")},
    )
    assert again.status_code == 409 and error_codes(again) == [1001]


async def test_status_of_an_unknown_despatch_is_404_3003(http: httpx.AsyncClient) -> None:
    answer = await http.get(f"/edespatch/Sale/{uuidlib.uuid4()}/Status")
    assert answer.status_code == 404 and error_codes(answer) == [3003]


async def test_connector_submits_a_parcel_carrier_exchange_and_polls_it_to_accepted(
    sandbox: NilveraSandbox, connector: Nilvera, clock: SimClock
) -> None:
    sandbox.gib_rejection_share = 0.0
    advice = exchange("KRI2026000000106")
    sub = await connector.submit(advice, connector.build_xml(advice))
    assert sub.status is DocumentStatus.QUEUED
    assert sandbox.documents[advice.uuid].alias == GIB_DESPATCH_BOX
    assert (await connector.status(DocumentKind.DESPATCH, advice.uuid)).status is (
        DocumentStatus.QUEUED
    )
    clock.advance(sandbox.accept_after_s)
    polled = await connector.status(DocumentKind.DESPATCH, advice.uuid)
    assert polled.status is DocumentStatus.ACCEPTED
    assert sandbox.count("GET", "/edespatch/Sale/*/Status") == 2


async def test_connector_sees_gibs_later_rejection_of_a_despatch(
    sandbox: NilveraSandbox, connector: Nilvera, clock: SimClock
) -> None:
    advice = make_despatch(PERSON_BUYER)
    await connector.submit(advice, connector.build_xml(advice))
    sandbox.reject_on_delivery(advice.uuid)
    clock.advance(sandbox.accept_after_s)
    polled = await connector.status(DocumentKind.DESPATCH, advice.uuid)
    assert polled.status is DocumentStatus.REJECTED and polled.detail
