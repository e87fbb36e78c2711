"""``kervan demo --exit --export DIR``, checked as an accountant would check the documents:
every XML passes GİB's XSD and schematron, and every invoice PDF is titled for the profile its
XML declares, read back from the PDF with a text extraction (pypdfium2)."""

from __future__ import annotations

import sys
from pathlib import Path

import pypdfium2
import pytest
from lxml import etree

KERVAN = str(Path(sys.executable).parent / "kervan")
NS = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
#: what the logo says for each profile and type (written out here, not imported from the renderer)
BASE_TITLES = {
    "EARSIVFATURA": "e-ARŞİV FATURA",
    "TEMELFATURA": "e-FATURA",
    "TICARIFATURA": "e-FATURA",
    "IHRACAT": "e-FATURA (İHRACAT)",
}
TYPE_SUFFIXES = {"SATIS": "", "IADE": " (İADE)", "ISTISNA": " (İSTİSNA)"}


@pytest.fixture
def export(default_demo) -> tuple[Path, dict]:
    return default_demo.out, default_demo.summary


def _pdf_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return " ".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def _expected_title(profile: str, type_code: str) -> str:
    if profile == "IHRACAT":  # IHRACAT is always ISTISNA; the title says İHRACAT once
        return BASE_TITLES[profile]
    return BASE_TITLES[profile] + TYPE_SUFFIXES[type_code]


def test_every_exported_xml_passes_gibs_xsd_and_schematron(export):
    from kervan_ubltr.validation import Validator

    out, summary = export
    xmls = sorted((out / "documents").glob("*.xml"))
    assert len(xmls) >= len(summary["invoices"]) > 0
    validator = Validator()
    for path in xmls:
        report = validator.validate_here(path.read_bytes())
        assert not report.errors, (path.name, report.errors[:3])


def test_every_invoice_pdf_is_titled_for_the_profile_in_its_xml(export):
    out, summary = export
    profiles = set()
    for invoice in summary["invoices"]:
        number = invoice["number"]
        root = etree.fromstring((out / "documents" / f"{number}.xml").read_bytes())
        profile = root.findtext("cbc:ProfileID", namespaces=NS)
        type_code = root.findtext("cbc:InvoiceTypeCode", namespaces=NS)
        profiles.add(profile)
        text = " ".join(_pdf_text((out / "documents" / f"{number}.pdf").read_bytes()).split())
        title = _expected_title(profile, type_code)
        # the title is on the page top and in every page's footer with the number
        assert text.count(title) >= 2 and f"{title} No: {number}" in text, (
            number,
            profile,
            type_code,
            text[-300:],
        )
        other = "e-FATURA" if profile == "EARSIVFATURA" else "e-ARŞİV"
        assert other not in text, (number, profile)
        assert "Yalnız " in text  # the payable amount in words
    assert {"EARSIVFATURA", "TEMELFATURA"} <= profiles  # the demo covers both channels


def test_every_invoice_carries_a_stylesheet_that_titles_it_the_same(export):
    from kervan_ubltr.xslt import view_html
    from lxml import html

    out, summary = export
    for invoice in summary["invoices"]:
        number = invoice["number"]
        xml = (out / "documents" / f"{number}.xml").read_bytes()
        root = etree.fromstring(xml)
        profile = root.findtext("cbc:ProfileID", namespaces=NS)
        type_code = root.findtext("cbc:InvoiceTypeCode", namespaces=NS)
        page = html.fromstring(view_html(xml))
        assert page.get_element_by_id("title").text_content() == _expected_title(profile, type_code)
        assert page.get_element_by_id("number").text_content() == number
