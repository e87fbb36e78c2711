"""The karekod printed on the PDF says what the signed XML says.

GİB's viewers build the QR object from the XML with XPath (see ``render.qr``); doing the same
on the builder's XML must give exactly :func:`qr_payload` of the domain invoice.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).parent))

from kervan_ubltr import build_despatch, build_invoice
from kervan_ubltr.render import despatch_qr_payload, qr_payload
from render_samples import despatch_advice, earsiv_invoice, efatura_invoice

NS = {
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
}
PARTY_ID = "cac:Party/cac:PartyIdentification/cbc:ID[@schemeID='VKN' or @schemeID='TCKN']"


def _gib_viewer_payload(xml: bytes) -> dict[str, str]:
    root = etree.fromstring(xml)

    def text(path: str) -> str:
        return root.xpath(f"string({path})", namespaces=NS)

    data = {
        "vkntckn": text(f"cac:AccountingSupplierParty/{PARTY_ID}"),
        "avkntckn": text(f"cac:AccountingCustomerParty/{PARTY_ID}"),
        "senaryo": text("cbc:ProfileID"),
        "tip": text("cbc:InvoiceTypeCode"),
        "tarih": text("cbc:IssueDate"),
        "no": text("cbc:ID"),
        "ettn": text("cbc:UUID"),
        "parabirimi": text("cbc:DocumentCurrencyCode"),
        "malhizmettoplam": text("cac:LegalMonetaryTotal/cbc:LineExtensionAmount"),
    }
    vat = "cac:TaxTotal/cac:TaxSubtotal[cac:TaxCategory/cac:TaxScheme/cbc:TaxTypeCode='0015']"
    for subtotal in root.xpath(vat, namespaces=NS):
        percent = subtotal.findtext("cbc:Percent", namespaces=NS)
        data[f"kdvmatrah({percent})"] = subtotal.findtext("cbc:TaxableAmount", namespaces=NS)
        data[f"hesaplanankdv({percent})"] = subtotal.findtext("cbc:TaxAmount", namespaces=NS)
    data["vergidahil"] = text("cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount")
    data["odenecek"] = text("cac:LegalMonetaryTotal/cbc:PayableAmount")
    return data


def test_printed_qr_equals_the_qr_gibs_viewer_builds_from_the_xml():
    for invoice in (earsiv_invoice(), efatura_invoice()):
        from_xml = _gib_viewer_payload(build_invoice(invoice))
        assert list(json.loads(qr_payload(invoice)).items()) == list(from_xml.items())


def _gib_viewer_despatch_payload(xml: bytes) -> dict[str, str]:
    root = etree.fromstring(xml)

    def text(path: str) -> str:
        return root.xpath(f"string({path})", namespaces=NS)

    delivery = "cac:Shipment/cac:Delivery"
    return {
        "vkntckn": text(f"cac:DespatchSupplierParty/{PARTY_ID}"),
        "avkntckn": text(f"cac:DeliveryCustomerParty/{PARTY_ID}"),
        "senaryo": text("cbc:ProfileID"),
        "tip": text("cbc:DespatchAdviceTypeCode"),
        "tarih": text("cbc:IssueDate"),
        "no": text("cbc:ID"),
        "ettn": text("cbc:UUID"),
        "sevktarihi": text(f"{delivery}/cac:Despatch/cbc:ActualDespatchDate"),
        "sevkzamani": text(f"{delivery}/cac:Despatch/cbc:ActualDespatchTime"),
        "tasiyicivkn": text(f"{delivery}/cac:CarrierParty/cac:PartyIdentification/cbc:ID"),
        "plaka": text(
            "cac:Shipment/cac:ShipmentStage/cac:TransportMeans/cac:RoadTransport/cbc:LicensePlateID"
        ),
    }


def test_printed_despatch_qr_equals_the_qr_gibs_viewer_builds_from_the_xml():
    advice = despatch_advice()
    from_xml = _gib_viewer_despatch_payload(build_despatch(advice))
    assert list(json.loads(despatch_qr_payload(advice)).items()) == list(from_xml.items())
