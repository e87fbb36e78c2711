"""The gate: a document that fails GİB's rules or our arithmetic never leaves, and the error
names the rule and the element."""

from __future__ import annotations

import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from kervan.domain import Address, Order, OrderLine, Party, PartyKind
from kervan.errors import InvalidInputError
from kervan.invoicing import invoice_from_order
from kervan.roles import Alias, CarrierLegal, Registration
from kervan.tax import decide
from kervan_ubltr import DocumentInvalid, build_invoice, build_valid, parse, validate
from kervan_ubltr.despatch_xml import TRANSPORT_ONLY_NOTE
from kervan_ubltr.xmlutil import path
from lxml import etree
from strategies_ubltr import SELLER, T0, despatch, new_uuid

C = Decimal("0.01")
TR = Address(lines=["Atatürk Cad. 5"], district="Çankaya", city="Ankara", postal_code="06690")
DE = Address(lines=["Hauptstr. 1"], district="Mitte", city="Berlin", country="DE")
COMPANY = Party(kind=PartyKind.COMPANY, tax_id="3297552117", company_name="Alıcı Ltd. Şti.")
PERSON = Party(kind=PartyKind.PERSON, tax_id="17291716060", first_name="Ayşe", last_name="Yılmaz")


def order(buyer=PERSON, address=TR, micro=False, currency="TRY"):
    lines = [
        OrderLine(
            line_id="1",
            barcode="8690000000011",
            name="Termos",
            quantity=2,
            unit_price="149.90",
            vat_rate=20,
            discount="20.00",
            hs_code="961700000000",
        ),
        OrderLine(
            line_id="2",
            barcode="8690000000028",
            name="Kitap",
            quantity=1,
            unit_price="45.00",
            vat_rate=10,
            hs_code="490199000000",
        ),
    ]
    return Order(
        id="c:9",
        tenant_id="t1",
        connection_id="c",
        source="hepsiburada",
        order_number="4400123",
        package_id="9",
        lines=lines,
        buyer=buyer,
        shipping_address=address,
        invoice_address=address,
        micro_export=micro,
        currency=currency,
        cargo_provider="Aras Kargo",
        ordered_at=T0,
    )


def invoice(o, lookup=None, commercial=False, **kw):
    lookup = lookup or Registration(
        tax_id=o.buyer.tax_id, registered=False, checked_at=T0, source="t"
    )
    return invoice_from_order(
        o,
        decide(o, lookup, commercial=commercial),
        seller=SELLER,
        number="KRA2026000000007",
        uuid=new_uuid(77),
        issued_at=T0,
        sender_alias=None,
        website="https://magaza.example",
        **kw,
    )


def registered(tax_id):
    return Registration(
        tax_id=tax_id,
        registered=True,
        aliases=[Alias(name="urn:mail:pk@a")],
        checked_at=T0,
        source="t",
    )


@pytest.mark.parametrize(
    ("make", "profile", "type_code"),
    [
        (lambda: invoice(order()), "EARSIVFATURA", "SATIS"),
        (lambda: invoice(order(COMPANY), registered(COMPANY.tax_id)), "TEMELFATURA", "SATIS"),
        (
            lambda: invoice(order(COMPANY), registered(COMPANY.tax_id), True),
            "TICARIFATURA",
            "SATIS",
        ),
        (lambda: invoice(order(address=DE)), "IHRACAT", "ISTISNA"),
        (
            lambda: invoice(
                order(address=DE, micro=True, currency="EUR"), exchange_rate=Decimal("36.5")
            ),
            "EARSIVFATURA",
            "ISTISNA",
        ),
    ],
)
def test_every_profile_builds_valid(validator, make, profile, type_code):
    inv = make()
    xml = build_valid(inv)
    assert (inv.profile, inv.type_code) == (profile, type_code)
    assert validator.validate(xml).ok
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")


def test_e_arsiv_internet_sale_block(validator):
    xml = build_valid(invoice(order()))
    for code in (
        b"SEND_TYPE",
        b"IS_INTERNET",
        b"INT_WEBSITE",
        b"INT_PAYMENT_METHOD",
        b"INT_PAYMENTDATE",
    ):
        assert b"<cbc:DocumentTypeCode>" + code + b"</cbc:DocumentTypeCode>" in xml
    assert b"ActualDespatchDate" in xml
    # no carrier known: none is named, never a CarrierParty with an empty identification
    assert b"CarrierParty" not in xml


CARRIER = CarrierLegal(
    name="Örnek Kargo A.Ş.", tax_id="3297552117", city="Bursa", district="Nilüfer", source="test"
)


def carrier_party(xml: bytes):
    root = etree.fromstring(xml)
    (party,) = root.iterfind(path("cac:Delivery", "cac:CarrierParty"))
    return party


def test_e_arsiv_carrier_is_the_carrier_with_its_vkn_and_address_not_the_sellers(validator):
    sent = T0.date() + timedelta(days=1)
    inv = invoice(order(), carrier=CARRIER, dispatch_date=sent)
    xml = build_valid(inv)
    assert validator.validate(xml).ok
    party = carrier_party(xml)
    ident = party.find(path("cac:PartyIdentification", "cbc:ID"))
    assert (ident.text, ident.get("schemeID")) == ("3297552117", "VKN")
    assert party.findtext(path("cac:PartyName", "cbc:Name")) == "Örnek Kargo A.Ş."
    assert party.findtext(path("cac:PostalAddress", "cbc:CityName")) == "Bursa"
    assert party.findtext(path("cac:PostalAddress", "cbc:CitySubdivisionName")) == "Nilüfer"
    assert SELLER.address.city != "Bursa"
    despatch = etree.fromstring(xml).findtext(
        path("cac:Delivery", "cac:Despatch", "cbc:ActualDespatchDate")
    )
    assert despatch == sent.isoformat()
    # and it reads back the same
    assert parse(xml).internet_sale == inv.internet_sale


def test_dispatch_date_before_the_order_is_refused():
    with pytest.raises(InvalidInputError, match="before the order date"):
        invoice(order(), carrier=CARRIER, dispatch_date=T0.date() - timedelta(days=1))


def test_ihracat_goes_to_customs_with_the_buyer_as_export_party(validator):
    xml = build_valid(invoice(order(address=DE)))
    assert b'schemeID="PARTYTYPE">EXPORT<' in xml and b">1460415308<" in xml
    assert b'schemeID="INCOTERMS"' in xml and b"RequiredCustomsID" in xml


def rule_and_element(exc: DocumentInvalid) -> list[tuple[str, str | None]]:
    return [(e["rule"], e["element"]) for e in exc.errors]


def test_wrong_totals_never_leave_and_name_the_element():
    inv = invoice(order())
    bad = inv.model_copy(
        update={"totals": inv.totals.model_copy(update={"payable": inv.totals.payable + C})}
    )
    with pytest.raises(DocumentInvalid) as caught:
        build_valid(bad)
    assert isinstance(caught.value, InvalidInputError)
    assert ("kervan-arithmetic", "cac:LegalMonetaryTotal/cbc:PayableAmount") in rule_and_element(
        caught.value
    )
    assert "PayableAmount" in str(caught.value)


def test_wrong_line_count_is_caught_although_gib_lets_it_pass():
    xml = build_invoice(invoice(order())).replace(
        b"<cbc:LineCountNumeric>2<", b"<cbc:LineCountNumeric>3<"
    )
    report = validate(xml)
    assert not report.ok
    assert [(e.rule, e.element) for e in report.errors] == [
        ("kervan-line-count", "cbc:LineCountNumeric")
    ]


def test_tampered_xml_totals_are_errors_not_warnings():
    xml = build_invoice(invoice(order())).replace(
        b'<cbc:PayableAmount currencyID="TRY">', b'<cbc:PayableAmount currencyID="TRY">1'
    )
    report = validate(xml)
    assert any(
        e.rule == "kervan-arithmetic" and "PayableAmount" in e.element for e in report.errors
    )
    assert report.warnings  # GİB's own arithmetic only warns


def test_gib_schematron_rule_is_named():
    inv = invoice(order())
    xml = build_invoice(inv).replace(inv.number.encode(), b"KR-2026-1")
    report = validate(xml)
    assert "sch-InvoiceIDCheck-1" in [e.rule for e in report.errors]
    assert any(
        "cbc:ID" in (e.element or "") for e in report.errors if e.rule == "sch-InvoiceIDCheck-1"
    )


def test_xsd_error_is_named():
    xml = build_invoice(invoice(order())).replace(
        b"<cbc:CopyIndicator>false</cbc:CopyIndicator>", b""
    )
    report = validate(xml)
    assert any(e.rule.startswith("xsd-") for e in report.errors)


def test_return_under_ticarifatura_is_refused_by_gib_rules():
    from kervan.domain import BillingReference

    inv = invoice(order(COMPANY), registered(COMPANY.tax_id), True)
    bad = inv.model_copy(
        update={
            "type_code": "IADE",
            "billing_reference": BillingReference(number="KRA2026000000001", issue_date=T0.date()),
        }
    )
    with pytest.raises(DocumentInvalid) as caught:
        build_valid(bad)
    assert "sch-InvoiceTypeCodeCheck-2" in [r for r, _ in rule_and_element(caught.value)]


def test_exemption_code_needs_a_matching_type():
    inv = invoice(order(address=DE, micro=True, currency="EUR"), exchange_rate=Decimal("36.5"))
    with pytest.raises(DocumentInvalid) as caught:
        build_valid(inv.model_copy(update={"type_code": "SATIS"}))
    assert "sch-TaxExemptionReasonCodeCheck-3" in [r for r, _ in rule_and_element(caught.value)]


def test_seller_without_address_is_refused_with_a_reason():
    inv = invoice(order())
    with pytest.raises(DocumentInvalid, match="address"):
        build_valid(inv.model_copy(update={"seller": SELLER.model_copy(update={"address": None})}))


# ---------------------------------------------------------------------------------------------
# e-İrsaliye


@pytest.mark.parametrize(("driver", "carrier"), [(True, False), (False, True), (True, True)])
def test_transport_only_despatch_is_valid_and_round_trips(validator, driver, carrier):
    adv = despatch(driver=driver, carrier=carrier)
    adv = adv.model_copy(update={"notes": [TRANSPORT_ONLY_NOTE, *adv.notes]})
    xml = build_valid(adv)
    assert TRANSPORT_ONLY_NOTE.encode() in xml
    assert b"<cbc:DespatchAdviceTypeCode>SEVK<" in xml and b"TEMELIRSALIYE" in xml
    parsed = parse(xml)
    assert parsed.model_dump(exclude={"id", "tenant_id"}) == adv.model_dump(
        exclude={"id", "tenant_id"}
    )


def test_despatch_without_carrier_or_driver_is_refused():
    with pytest.raises(DocumentInvalid) as caught:
        build_valid(despatch(driver=False, carrier=False))
    assert "sch-DespatchCarrierDriverCheck-1" in [r for r, _ in rule_and_element(caught.value)]


def test_despatch_needs_a_turkish_postal_code():
    adv = despatch()
    bad = adv.model_copy(
        update={
            "delivery_address": adv.delivery_address.model_copy(update={"postal_code": "99999"})
        }
    )
    with pytest.raises(DocumentInvalid) as caught:
        build_valid(bad)
    assert "sch-DespatchAddressCheck-4" in [r for r, _ in rule_and_element(caught.value)]


# ---------------------------------------------------------------------------------------------
# parsing what others send


def test_parse_refuses_what_is_not_ubl_tr():
    with pytest.raises(InvalidInputError, match="well-formed"):
        parse(b"<Invoice")
    with pytest.raises(InvalidInputError, match="not a UBL-TR"):
        parse(b"<Order xmlns='urn:x'/>")


def test_parse_incoming_invoice_sets_kind_and_tenant():
    xml = build_invoice(invoice(order(COMPANY), registered(COMPANY.tax_id)))
    parsed = parse(xml, tenant_id="t9")
    assert parsed.tenant_id == "t9" and parsed.id.startswith("efatura:")
    assert (
        parsed.seller.tax_id == SELLER.tax_id and parsed.buyer.company_name == COMPANY.company_name
    )


# ---------------------------------------------------------------------------------------------
# exchanges and missing parts


def _transport(o, lines, **kw):
    from kervan.despatch import transport_despatch
    from strategies_ubltr import despatch as sample

    sent = sample()
    base = {
        "seller": SELLER,
        "number": "IRS2026000000003",
        "uuid": new_uuid(3),
        "issued_at": T0,
        "receiver": sent.receiver,
        "address": sent.delivery_address,
        "carrier": sent.carrier,
        "reason": "Eksik parça gönderimi",
    }
    return transport_despatch(o, lines, **{**base, **kw})


def test_parcel_carrier_despatch_with_no_driver_passes_gib_and_names_its_sale(validator):
    """A parcel carrier's despatch: CarrierParty, no DriverPerson, no plate (GİB rule
    DespatchCarrierDriverCheck-1 wants one of the two); it refers to the order and invoice."""
    o = order()
    adv = _transport(o, {"1": Decimal(1)}, invoice_number="KRA2026000000007", invoice_issued_at=T0)
    assert adv.driver is None and adv.carrier is not None
    assert adv.notes[0] == TRANSPORT_ONLY_NOTE
    assert o.order_number in adv.notes[1] and "KRA2026000000007" in adv.notes[1]
    assert [(x.order_line_id, x.quantity) for x in adv.lines] == [("1", Decimal(1))]
    xml = build_valid(adv)
    root = etree.fromstring(xml)
    assert root.find(path("cac:Shipment", "cac:ShipmentStage")) is None
    assert root.findtext(path("cac:OrderReference", "cbc:ID")) == o.order_number
    assert root.findtext(path("cac:AdditionalDocumentReference", "cbc:ID")) == "KRA2026000000007"
    assert parse(xml).model_dump(exclude={"id", "tenant_id", "order_id", "claim_id"}) == (
        adv.model_dump(exclude={"id", "tenant_id", "order_id", "claim_id"})
    )


def test_own_vehicle_despatch_with_driver_and_no_carrier_passes_gib(validator):
    from kervan.domain import Driver

    driver = Driver(
        first_name="Hasan", last_name="Kaya", national_id="10000000146", plate="34ABC123"
    )
    adv = _transport(order(), {"1": Decimal(1)}, carrier=None, driver=driver, reason="Değişim")
    assert validator.validate(build_valid(adv)).ok


def test_transport_despatch_refuses_what_gib_would():
    o = order()
    with pytest.raises(InvalidInputError, match="carrier company or a driver"):
        _transport(o, {"1": Decimal(1)}, carrier=None)
    with pytest.raises(InvalidInputError, match="abroad"):
        _transport(o, {"1": Decimal(1)}, address=DE)
    with pytest.raises(InvalidInputError, match="no lines"):
        _transport(o, {"9": Decimal(1)})
    with pytest.raises(InvalidInputError, match="positive"):
        _transport(o, {"1": Decimal(0)})
