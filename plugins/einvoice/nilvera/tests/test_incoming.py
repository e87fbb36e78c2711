"""Received return (IADE) invoices: ``GET /einvoice/Purchase`` paged, each XML read hardened."""

from __future__ import annotations

import logging
import uuid as uuidlib
from datetime import UTC, date, datetime
from decimal import Decimal

import kervan_ubltr
import pytest
from kervan.errors import InvalidInputError
from kervan.invoicing import return_invoice
from kervan_nilvera import Nilvera, mapping
from kervan_nilvera.sandbox import DEMO_API_KEY, NilveraSandbox
from kervan_sdk.sandbox import SimClock
from nilvera_testdata import BUYER_VKN, COMPANY_BUYER, SELLER, make_invoice

LIST = "/einvoice/Purchase"


@pytest.fixture
def clock() -> SimClock:
    """February 2026: after every document these tests receive (issued in January)."""
    return SimClock(datetime(2026, 2, 1, 9, 0, tzinfo=UTC))


_numbers = iter(range(1, 10**6))


def buyers_return(original_number: str | None = None, *, day: int = 20) -> tuple[bytes, str, str]:
    """A real UBL-TR IADE a registered buyer issues for our TEMELFATURA sale: (xml, uuid,
    the sale's number)."""
    sale = make_invoice()
    if original_number:
        sale = sale.model_copy(update={"number": original_number})
    ret = return_invoice(
        sale,
        {1: Decimal(1)},
        number=f"ALC2026{next(_numbers):09d}",
        uuid=str(uuidlib.uuid4()),
        issued_at=datetime(2026, 1, day, 10, 0, tzinfo=UTC),
    )
    return kervan_ubltr.build_invoice(ret), ret.uuid, sale.number


def suppliers_sale(*, day: int = 20) -> tuple[bytes, str]:
    """A SATIS e-Fatura a supplier (our buyer's VKN, for brevity) sent to us."""
    sale = make_invoice(
        issued_at=datetime(2026, 1, day, 9, 0, tzinfo=UTC),
        series="ALC",
        seller=COMPANY_BUYER,
        buyer=SELLER,
    )
    return kervan_ubltr.build_invoice(sale), sale.uuid


async def test_a_buyers_return_is_found_with_what_it_refers_to(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    xml, uuid, sale_number = buyers_return()
    sandbox.receive_incoming(xml)
    found = await connector.incoming_returns(date(2026, 1, 1))
    assert len(found) == 1
    ret = found[0]
    assert ret.uuid.lower() == uuid.lower()
    assert ret.refers_to == (sale_number,)
    assert ret.sender_tax_id == BUYER_VKN
    assert ret.issued_on == date(2026, 1, 20)
    assert ret.number.startswith("ALC2026")


async def test_a_sales_invoice_received_is_not_a_return_and_its_xml_is_not_fetched(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    sale_xml, _ = suppliers_sale()
    sandbox.receive_incoming(sale_xml)
    xml, uuid, _ = buyers_return()
    sandbox.receive_incoming(xml)
    found = await connector.incoming_returns(date(2026, 1, 1))
    assert [r.uuid.lower() for r in found] == [uuid.lower()]
    # the list says InvoiceType SATIS: only the IADE's XML was asked for
    assert sandbox.count("GET", "/einvoice/Purchase/*/xml") == 1


async def test_since_filters_by_issue_date(sandbox: NilveraSandbox, connector: Nilvera) -> None:
    old_xml, _, _ = buyers_return(day=5)
    new_xml, new_uuid, _ = buyers_return(day=25)
    sandbox.receive_incoming(old_xml)
    sandbox.receive_incoming(new_xml)
    found = await connector.incoming_returns(date(2026, 1, 25))
    assert [r.uuid.lower() for r in found] == [new_uuid.lower()]
    assert len(await connector.incoming_returns(date(2026, 1, 5))) == 2
    assert await connector.incoming_returns(date(2026, 1, 26)) == []


async def test_every_page_is_read(sandbox: NilveraSandbox, connector: Nilvera) -> None:
    wanted = set()
    for i in range(7):
        xml, uuid, _ = buyers_return(day=10 + i)
        sandbox.receive_incoming(xml)
        wanted.add(uuid.lower())
    for _ in range(3):
        sandbox.receive_incoming(suppliers_sale()[0])
    # a page size of 3 across 10 documents: 4 pages
    connector.purchase_page_size = 3
    found = await connector.incoming_returns(date(2026, 1, 1))
    assert {r.uuid.lower() for r in found} == wanted
    assert [r.issued_on.day for r in found] == list(range(10, 17))
    assert sandbox.count("GET", LIST) == 4


async def test_a_malformed_xml_is_skipped_and_the_rest_returned(
    sandbox: NilveraSandbox, connector: Nilvera, caplog: pytest.LogCaptureFixture
) -> None:
    bad_xml, bad_uuid, _ = buyers_return()
    good_xml, good_uuid, _ = buyers_return()
    sandbox.receive_incoming(bad_xml)
    sandbox.receive_incoming(good_xml)
    # Nilvera then serves a broken document for the first
    sandbox.incoming[bad_uuid.lower()].xml = b"<Invoice><cbc:ID>broken"
    with caplog.at_level(logging.WARNING):
        found = await connector.incoming_returns(date(2026, 1, 1))
    assert [r.uuid.lower() for r in found] == [good_uuid.lower()]
    assert bad_uuid.lower() in caplog.text.lower()
    assert "skipped" in caplog.text


def test_a_malformed_list_entry_is_skipped_not_the_page() -> None:
    page = mapping.purchase_page(
        {
            "Content": [
                {"InvoiceType": "IADE"},
                "nonsense",
                {"UUID": "abc", "InvoiceType": "iade", "IssueDate": "2026-01-20T00:00:00"},
            ],
            "TotalPages": 1,
        }
    )
    assert [e.uuid for e in page.entries] == ["abc"]
    assert len(page.skipped) == 2
    assert page.entries[0].type_code == "IADE"
    assert page.entries[0].issued_on == date(2026, 1, 20)


def test_the_list_decides_only_what_it_says() -> None:
    since = date(2026, 1, 10)
    entry = mapping.PurchaseEntry
    assert mapping.worth_fetching(entry("a", None, None), since)
    assert mapping.worth_fetching(entry("a", "IADE", date(2026, 1, 10)), since)
    assert not mapping.worth_fetching(entry("a", "SATIS", None), since)
    assert not mapping.worth_fetching(entry("a", "IADE", date(2026, 1, 9)), since)


def test_a_return_without_a_sender_tax_id_is_an_invalid_response() -> None:
    xml, uuid, _ = buyers_return()
    broken = xml.replace(b'schemeID="VKN"', b'schemeID="MERSISNO"')
    with pytest.raises(Exception, match="VKN/TCKN"):
        mapping.incoming_return_from_xml(broken, uuid)


def test_the_sandbox_refuses_what_is_not_a_ubl_invoice_for_this_account(
    sandbox: NilveraSandbox,
) -> None:
    with pytest.raises(InvalidInputError):
        sandbox.receive_incoming(b"<not-ubl/>")
    with pytest.raises(InvalidInputError):
        sandbox.receive_incoming(b'<!DOCTYPE x [<!ENTITY e "x">]><x>&e;</x>')
    # our own sale is addressed to the buyer, not to this account
    own = make_invoice()
    with pytest.raises(InvalidInputError, match="addressed to"):
        sandbox.receive_incoming(kervan_ubltr.build_invoice(own))
    xml, _, _ = buyers_return()
    sandbox.receive_incoming(xml)
    with pytest.raises(InvalidInputError, match="already"):
        sandbox.receive_incoming(xml)


async def test_the_sandbox_list_pages_and_errors_like_nilvera(sandbox: NilveraSandbox) -> None:
    for day in (11, 12, 13):
        sandbox.receive_incoming(buyers_return(day=day)[0])
    async with sandbox.client() as http:
        http.headers["Authorization"] = f"Bearer {DEMO_API_KEY}"
        body = (await http.get(LIST, params={"Page": 2, "PageSize": 2})).json()
        assert (body["TotalCount"], body["TotalPages"], len(body["Content"])) == (3, 2, 1)
        body = (await http.get(LIST, params={"StartDate": "2026-01-12T00:00:00"})).json()
        assert body["TotalCount"] == 2
        bad = await http.get(LIST, params={"PageSize": 1000})
        # Nilvera's documented BadRequest shape: Code 400, the field as Description
        assert bad.status_code == 400 and bad.json()["Errors"][0]["Code"] == 400
        assert bad.json()["Errors"][0]["Description"] == "PageSize"
        missing = await http.get(f"{LIST}/{uuidlib.uuid4()}/xml")
        assert missing.status_code == 404 and missing.json()["Errors"][0]["Code"] == 3003
        unauthorised = await http.get(LIST, headers={"Authorization": "Bearer wrong"})
        assert unauthorised.status_code == 401


async def test_a_buyer_returns_a_sale_it_received_through_the_sandbox_helper(
    sandbox: NilveraSandbox, connector: Nilvera, clock: SimClock
) -> None:
    """``deliver_buyer_return``: the e2e path from our sent e-Fatura to the buyer's IADE."""
    sale = make_invoice(issued_at=datetime(2026, 1, 20, 9, 0, tzinfo=UTC))
    await connector.submit(sale, connector.build_xml(sale))
    iade_uuid = sandbox.deliver_buyer_return(sale.uuid, {1: Decimal(1)})
    found = await connector.incoming_returns(date(2026, 1, 1))
    assert [(r.uuid.lower(), r.refers_to, r.sender_tax_id) for r in found] == [
        (iade_uuid.lower(), (sale.number,), BUYER_VKN)
    ]
    assert found[0].number.startswith("IAD2026") and found[0].issued_on == date(2026, 2, 1)
    with pytest.raises(InvalidInputError, match="received already"):
        sandbox.deliver_buyer_return(sale.uuid, uuid=iade_uuid)


async def test_a_persons_earsiv_gets_no_iade_from_the_sandbox(
    sandbox: NilveraSandbox, connector: Nilvera
) -> None:
    from kervan.domain import DocumentKind
    from nilvera_testdata import PERSON_BUYER

    sale = make_invoice(DocumentKind.EARSIV, buyer=PERSON_BUYER)
    await connector.submit(sale, connector.build_xml(sale))
    with pytest.raises(InvalidInputError, match="not an e-Fatura"):
        sandbox.deliver_buyer_return(sale.uuid)
