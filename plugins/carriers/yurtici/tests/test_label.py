from __future__ import annotations

from decimal import Decimal

import pypdfium2
from kervan.domain import Address, Party, PartyKind
from kervan_sdk.labels import pdf_of
from kervan_yurtici.label import label_for

SELLER = Party(
    kind=PartyKind.COMPANY,
    tax_id="4540536920",
    company_name="Anadolu Tekstil Ltd. Şti.",
    address=Address(lines=["Caferağa Mah. Moda Cd. No: 12"], district="Kadıköy", city="İstanbul"),
)
RECEIVER = Party(kind=PartyKind.PERSON, tax_id="11111111111", first_name="Şükrü", last_name="Işık")
IGDIR = Address(lines=["Şehit Cengiz Topel Cd. No: 7"], district="Merkez", city="Iğdır")


def pdf_text(pdf: bytes) -> list[str]:
    """The text of each page, as pdfium extracts it (independent of reportlab)."""
    document = pypdfium2.PdfDocument(pdf)
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


async def test_label_barcode_decodes_to_the_tracking_number(
    carrier, make_package, decode_pdf_barcodes
):
    booking = await carrier.create_shipment(make_package("KRVLABEL01"))
    pages = decode_pdf_barcodes(carrier.label_pdf(booking.label))
    assert pages == [[booking.tracking_number]]
    assert booking.tracking_number == "KRVLABEL01"  # before pickup, the cargo key is the barcode
    assert "^BCN" in booking.label.zpl and "^FDKRVLABEL01^FS" in booking.label.zpl


async def test_a_multi_parcel_label_has_a_page_per_parcel(
    carrier, make_package, decode_pdf_barcodes
):
    booking = await carrier.create_shipment(make_package("KRVMULTI01", parcel_count=3))
    assert decode_pdf_barcodes(carrier.label_pdf(booking.label)) == [["KRVMULTI01"]] * 3
    assert booking.label.zpl.count("^XA") == 3
    assert "^FD2/3^FS" in booking.label.zpl


async def test_turkish_text_survives_and_the_seller_is_the_sender(carrier, make_package):
    package = make_package("KRVTURK001", receiver=RECEIVER, address=IGDIR, sender=SELLER)
    booking = await carrier.create_shipment(package)
    (text,) = pdf_text(carrier.label_pdf(booking.label))
    assert "Şükrü Işık" in text and "Merkez / Iğdır" in text
    assert "Şehit Cengiz Topel Cd. No: 7" in text
    sender = text[text.index("GÖNDEREN") : text.index("ALICI")]
    assert "Anadolu Tekstil Ltd. Şti." in sender and "Kadıköy / İstanbul" in sender
    assert "Kervan" not in text
    # the ZPL says the same in UTF-8 hex under ^CI28, in Zebra's Unicode font
    zpl = booking.label.zpl
    assert "^CI28" in zpl and "TT0003M_" in zpl
    assert "^FH^FD_C5_9E_C3_BCkr_C3_BC I_C5_9F_C4_B1k^FS" in zpl


async def test_without_a_seller_on_the_request_the_fallback_name_is_the_sender(
    carrier, make_package
):
    booking = await carrier.create_shipment(make_package("KRVNOSELL1"))
    (text,) = pdf_text(carrier.label_pdf(booking.label))
    assert carrier.settings.sender_name in text  # the sandbox's demo settings name one


def test_a_long_key_still_fits_and_scans(make_package, decode_pdf_barcodes):
    package = make_package("ABCDEFGHIJ0123456789", sender=SELLER)
    label = label_for(package, Decimal(1), "123456789012")
    assert decode_pdf_barcodes(pdf_of(label)) == [["ABCDEFGHIJ0123456789"]]
    assert "^CI28" in label.zpl and "Takip No: 123456789012" in label.zpl
