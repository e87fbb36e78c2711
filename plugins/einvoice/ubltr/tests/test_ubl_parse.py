"""Parsing invoices other software wrote: other prefixes, signatures, leaner parties."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

sys.path.insert(0, str(Path(__file__).parent))

from kervan.domain import Address, Order, OrderLine, Party, PartyKind
from kervan.errors import InvalidInputError
from kervan.invoicing import invoice_from_order, turkish_date
from kervan.roles import Alias, Registration
from kervan.tax import decide
from kervan_ubltr import build_invoice, parse
from kervan_ubltr.xmlutil import CAC, CBC, EXT, NS
from strategies_ubltr import SELLER, T0, new_uuid

BUYER = Party(kind=PartyKind.COMPANY, tax_id="3297552117", company_name="Alıcı Ltd. Şti.")
ADDRESS = Address(lines=["Atatürk Cad. 5"], district="Çankaya", city="Ankara", postal_code="06690")
DS = "http://www.w3.org/2000/09/xmldsig#"


def sample_xml() -> bytes:
    o = Order(
        id="c:3",
        tenant_id="t1",
        connection_id="c",
        source="n11",
        order_number="55",
        package_id="3",
        buyer=BUYER,
        shipping_address=ADDRESS,
        invoice_address=ADDRESS,
        ordered_at=T0,
        lines=[
            OrderLine(
                line_id="1", barcode="b", name="Çanta", quantity=1, unit_price="180.00", vat_rate=20
            )
        ],
    )
    reg = Registration(
        tax_id=BUYER.tax_id,
        registered=True,
        aliases=[Alias(name="urn:mail:pk@a")],
        checked_at=T0,
        source="t",
    )
    inv = invoice_from_order(
        o,
        decide(o, reg),
        seller=SELLER,
        number="ABC2026000000123",
        uuid=new_uuid(9),
        issued_at=T0,
        sender_alias=None,
        website="-",
    )
    return build_invoice(inv)


def as_other_software_writes_it(xml: bytes) -> bytes:
    root = etree.fromstring(xml)
    # signed: a ds:Signature where our placeholder was
    content = root.find(f"{EXT}UBLExtensions/{EXT}UBLExtension/{EXT}ExtensionContent")
    content.remove(content[0])
    etree.SubElement(content, f"{{{DS}}}Signature")
    # a company written with a PartyName only, no IssueTime, decimals written loosely
    supplier = root.find(f"{CAC}AccountingSupplierParty/{CAC}Party")
    supplier.remove(supplier.find(f"{CAC}PartyLegalEntity"))
    root.remove(root.find(f"{CBC}IssueTime"))
    for percent in root.iter(f"{CBC}Percent"):
        percent.text = "20.0"
    root.find(f"{CAC}InvoiceLine/{CBC}InvoicedQuantity").text = "1.0"
    text = etree.tostring(root, encoding="UTF-8", xml_declaration=True)
    # other namespace prefixes
    return (
        text.replace(b"cbc:", b"b:")
        .replace(b"xmlns:cbc=", b"xmlns:b=")
        .replace(b"cac:", b"a:")
        .replace(b"xmlns:cac=", b"xmlns:a=")
    )


def test_parses_an_invoice_written_by_other_software():
    xml = as_other_software_writes_it(sample_xml())
    assert b"<b:ID>" in xml and NS["cbc"].encode() in xml
    inv = parse(xml, tenant_id="t1")
    assert inv.seller.kind is PartyKind.COMPANY
    assert inv.seller.company_name == SELLER.company_name
    assert inv.buyer.company_name == BUYER.company_name
    assert inv.lines[0].vat_rate == Decimal(20) and inv.lines[0].quantity == 1
    assert inv.totals.payable == Decimal("180.00")
    assert turkish_date(inv.issued_at) == turkish_date(T0)  # midnight in Turkey, no IssueTime


def test_a_line_without_tax_total_is_named():
    root = etree.fromstring(sample_xml())
    line = root.find(f"{CAC}InvoiceLine")
    line.remove(line.find(f"{CAC}TaxTotal"))
    with pytest.raises(InvalidInputError, match="InvoiceLine 1 has no TaxTotal"):
        parse(etree.tostring(root))


def test_a_party_without_any_name_is_refused():
    root = etree.fromstring(sample_xml())
    supplier = root.find(f"{CAC}AccountingSupplierParty/{CAC}Party")
    for tag in ("PartyName", "PartyLegalEntity"):
        supplier.remove(supplier.find(CAC + tag))
    with pytest.raises(InvalidInputError, match="name"):
        parse(etree.tostring(root))
