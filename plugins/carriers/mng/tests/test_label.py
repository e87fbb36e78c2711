from __future__ import annotations

from decimal import Decimal

import pypdfium2
from kervan.domain import Address, Party, PartyKind
from kervan_mng.label import label_data, render
from kervan_sdk.labels import parse_zpl


async def test_label_barcodes_decode_to_the_tracking_number_and_mngs_piece_barcode(
    carrier, sandbox, make_package, decode_pdf_barcodes
):
    booking = await carrier.create_shipment(make_package("KRVLABEL01"))
    shipment = sandbox.orders["KRVLABEL01"].shipment
    (page,) = decode_pdf_barcodes(carrier.label_pdf(booking.label))
    assert booking.tracking_number in page
    assert set(page) == {booking.tracking_number, shipment.pieces[0]["barcode"]}
    assert booking.label.zpl == shipment.pieces[0]["value"], "MNG's own ZPL is passed through"


async def test_a_multi_piece_label_has_a_page_per_piece(
    carrier, sandbox, make_package, decode_pdf_barcodes
):
    booking = await carrier.create_shipment(make_package("KRVMULTI01", parcel_count=2))
    shipment = sandbox.orders["KRVMULTI01"].shipment
    pages = decode_pdf_barcodes(carrier.label_pdf(booking.label))
    assert [set(p) for p in pages] == [
        {booking.tracking_number, piece["barcode"]} for piece in shipment.pieces
    ]
    assert booking.label.zpl.count("^XA") == 2


def _pdf_text(pdf: bytes) -> list[str]:
    """The text of each page, as pdfium extracts it (independent of reportlab)."""
    document = pypdfium2.PdfDocument(pdf)
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


SELLER = Party(
    kind=PartyKind.COMPANY,
    tax_id="4540536920",
    company_name="Anadolu Tekstil Ltd. Şti.",
    address=Address(lines=["Caferağa Mah. Moda Cd. No: 12"], district="Kadıköy", city="İstanbul"),
)


async def test_turkish_text_survives_and_the_seller_is_the_sender(
    carrier, make_package, decode_pdf_barcodes
):
    package = make_package(
        "KRVTURK001",
        receiver=Party(
            kind=PartyKind.PERSON, tax_id="11111111111", first_name="Şükrü", last_name="Işık"
        ),
        address=Address(lines=["Şehit Cengiz Topel Cd. No: 7"], district="Merkez", city="Iğdır"),
        sender=SELLER,
    )
    booking = await carrier.create_shipment(package)
    (text,) = _pdf_text(carrier.label_pdf(booking.label))
    assert "Şükrü Işık" in text and "Merkez / Iğdır" in text
    sender = text[text.index("GÖNDEREN") : text.index("ALICI")]
    assert "Anadolu Tekstil Ltd. Şti." in sender and "Kadıköy / İstanbul" in sender
    # the PDF's barcodes carry what MNG's own ZPL carries
    (zpl_page,) = parse_zpl(booking.label.zpl)
    (pdf_page,) = decode_pdf_barcodes(carrier.label_pdf(booking.label))
    assert zpl_page.barcodes
    assert {code.data for code in zpl_page.barcodes} <= set(pdf_page)


async def test_our_zpl_when_mng_sent_none_matches_the_pdf(carrier, make_package):
    package = make_package("KRVOWNZPL1", sender=SELLER)
    data = label_data(
        package, shipment_id="MNG123456", pieces=["MNG123456-1"], desi=Decimal(3), reference="R1"
    )
    label = render(data)
    (page,) = parse_zpl(label.zpl)
    assert [(c.symbology, c.data) for c in page.barcodes] == [
        ("code128", "MNG123456"),
        ("code128", "MNG123456-1"),
    ]
    texts = " ".join(t.text for t in page.texts)
    assert "Anadolu Tekstil Ltd. Şti." in texts and "MNG Kargo" in texts
