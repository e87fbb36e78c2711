"""The XSLT every invoice carries: GİB's AdditionalDocumentReference, valid under GİB's rules,
and a view that shows what the PDF shows."""

from __future__ import annotations

import base64
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from lxml import html as lxml_html

sys.path.insert(0, str(Path(__file__).parent))

from kervan_ubltr import build_valid
from kervan_ubltr.render.codes import invoice_title
from kervan_ubltr.render.stylesheet import OUTPUT, build_stylesheet
from kervan_ubltr.render.words import amount_in_words
from kervan_ubltr.xmlutil import NS
from kervan_ubltr.xslt import (
    ELIDED,
    STYLESHEET_BUDGET,
    elide_own_stylesheet,
    embedded_stylesheet,
    stylesheet,
    view_html,
)
from strategies_ubltr import SELLER
from test_ubl_validation import COMPANY, DE, PERSON, TR, invoice, registered
from test_ubl_validation import order as _order_with_a_zero_rate_line

MERSIS = "0454053692000015"


def order(buyer=PERSON, address=TR, micro=False, currency="TRY"):
    """The validation tests' order with rates valid today (20 % and 10 %, no 0 % line)."""
    o = _order_with_a_zero_rate_line(buyer, address, micro, currency)
    book = o.lines[1].model_copy(update={"vat_rate": Decimal(10)})
    return o.model_copy(update={"lines": [o.lines[0], book]})


def _cases():
    return {
        "earsiv": lambda: invoice(order()),
        "temel": lambda: invoice(order(COMPANY), registered(COMPANY.tax_id)),
        "ihracat": lambda: invoice(order(address=DE)),
        "micro": lambda: invoice(
            order(address=DE, micro=True, currency="EUR"), exchange_rate=Decimal("36.5")
        ),
    }


def _with_registrations(inv):
    seller = SELLER.model_copy(update={"mersis_no": MERSIS, "trade_register_no": "123456-5"})
    return inv.model_copy(update={"seller": seller})


def _view(html: str):
    doc = lxml_html.fromstring(html)
    return {
        key: doc.get_element_by_id(key).text_content()
        for key in ("title", "number", "payable", "words")
    }


@pytest.mark.parametrize("case", ["earsiv", "temel", "ihracat", "micro"])
def test_the_embedded_xslt_passes_gib_rules_and_shows_title_number_totals_and_words(
    validator, case
):
    inv = _with_registrations(_cases()[case]())
    xml = build_valid(inv)  # raises unless GİB's XSD, schematron and our arithmetic pass
    assert validator.validate(xml).ok
    root = etree.fromstring(xml)
    refs = root.findall("cac:AdditionalDocumentReference", NS)
    xslt_refs = [r for r in refs if r.findtext("cbc:DocumentType", namespaces=NS) == "XSLT"]
    assert len(xslt_refs) == 1
    blob = xslt_refs[0].find("cac:Attachment/cbc:EmbeddedDocumentBinaryObject", NS)
    assert blob.attrib == {
        "characterSetCode": "UTF-8",
        "encodingCode": "Base64",
        "filename": f"{inv.number}.xslt",
        "mimeCode": "application/xml",
    }
    assert base64.b64decode(blob.text) == stylesheet() == embedded_stylesheet(xml)

    html = view_html(xml)
    shown = _view(html)
    assert shown["title"] == invoice_title(inv.profile, inv.type_code)
    assert shown["number"] == inv.number
    sign = "TL" if inv.currency == "TRY" else inv.currency
    payable = f"{inv.totals.payable:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    assert shown["payable"] == f"{payable} {sign}"
    assert shown["words"] == amount_in_words(inv.totals.payable, inv.currency)
    assert f"MERSİS No: {MERSIS}" in html and "Ticaret Sicil No: 123456-5" in html


def test_the_seller_registrations_are_party_identifications_after_the_vkn():
    xml = build_valid(_with_registrations(invoice(order())))
    party = etree.fromstring(xml).find("cac:AccountingSupplierParty/cac:Party", NS)
    ids = [
        (el.get("schemeID"), el.text) for el in party.findall("cac:PartyIdentification/cbc:ID", NS)
    ]
    assert ids == [("VKN", SELLER.tax_id), ("MERSISNO", MERSIS), ("TICARETSICILNO", "123456-5")]
    plain = etree.fromstring(build_valid(invoice(order())))
    assert (
        len(plain.findall("cac:AccountingSupplierParty/cac:Party/cac:PartyIdentification", NS)) == 1
    )


@settings(max_examples=150, deadline=None)
@given(st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2))
def test_the_xslt_spells_every_amount_as_the_pdf_does(amount):
    xml = _XML_ONCE.get("xml")
    if xml is None:
        xml = _XML_ONCE["xml"] = etree.fromstring(build_valid(invoice(order())))
    tree = etree.fromstring(etree.tostring(xml))
    tree.find("cac:LegalMonetaryTotal/cbc:PayableAmount", NS).text = f"{amount:.2f}"
    html = view_html(etree.tostring(tree))
    assert _view(html)["words"] == amount_in_words(amount)


_XML_ONCE: dict = {}


def test_the_committed_stylesheet_is_generated_from_the_code_tables():
    assert OUTPUT.read_text(encoding="utf-8") == build_stylesheet(), (
        "stale: run .venv/bin/python -m kervan_ubltr.render.stylesheet"
    )


def test_the_stylesheet_stays_within_its_size_budget():
    size = len(stylesheet())
    assert size <= STYLESHEET_BUDGET
    assert len(base64.b64encode(stylesheet())) < 4 * STYLESHEET_BUDGET / 3 + 4


def _blob(root):
    return root.find(
        "cac:AdditionalDocumentReference/cac:Attachment/cbc:EmbeddedDocumentBinaryObject", NS
    )


def test_the_checks_of_xml_built_here_elide_only_kervans_own_stylesheet():
    xml = build_valid(invoice(order()))
    root = etree.fromstring(xml)
    assert elide_own_stylesheet(root)
    assert _blob(root).text == ELIDED and base64.b64decode(ELIDED) == b"<elided/>"
    assert not elide_own_stylesheet(root)  # the elided text is not Kervan's stylesheet

    other = etree.fromstring(xml)  # a different (valid) stylesheet stays for the checks
    _blob(other).text = base64.b64encode(stylesheet() + b" ").decode("ascii")
    assert not elide_own_stylesheet(other)
    assert _blob(other).text != ELIDED


def test_a_damaged_stylesheet_is_not_elided_and_fails_gibs_xsd(validator):
    xml = build_valid(invoice(order()))
    text = _blob(etree.fromstring(xml)).text.encode()
    damaged = xml.replace(text, b"!" + text[1:], 1)  # no longer base64
    for report in (
        validator.validate_built(damaged),
        validator.validate_here(damaged, arithmetic=False, line_count=True),
    ):
        assert not report.ok
        assert {i.source for i in report.errors} == {"xsd"}, report.errors
    # one character changed inside, still base64: not Kervan's own, judged in full, and valid
    changed = xml.replace(text, text[:-8] + (b"AAAAAAA=" if text[-1:] == b"=" else b"AAAAAAAA"))
    assert changed != xml
    assert validator.validate_built(changed).ok
