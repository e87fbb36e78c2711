from __future__ import annotations

from decimal import Decimal

from kervan_yurtici.label import LabelData, render


async def test_label_barcode_decodes_to_the_tracking_number(
    carrier, make_package, decode_pdf_barcodes
):
    booking = await carrier.create_shipment(make_package("KRVLABEL01"))
    pages = decode_pdf_barcodes(booking.label.pdf)
    assert pages == [[booking.tracking_number]]
    assert booking.tracking_number == "KRVLABEL01"  # before pickup, the cargo key is the barcode
    assert "^BCN" in booking.label.zpl and "^FDKRVLABEL01^FS" in booking.label.zpl


async def test_a_multi_parcel_label_has_a_page_per_parcel(
    carrier, make_package, decode_pdf_barcodes
):
    booking = await carrier.create_shipment(make_package("KRVMULTI01", parcel_count=3))
    assert decode_pdf_barcodes(booking.label.pdf) == [["KRVMULTI01"]] * 3
    assert booking.label.zpl.count("^XA") == 3
    assert "^FD2/3^FS" in booking.label.zpl


def test_a_long_key_still_fits_and_scans(decode_pdf_barcodes):
    data = LabelData(
        carrier="Yurtiçi Kargo",
        barcode="ABCDEFGHIJ0123456789",
        receiver_name="Şükrü Ağaoğlu",
        receiver_lines=["Çiçek Sok. No:1"],
        sender_name="Kervan",
        desi=Decimal(1),
        weight_kg=Decimal(1),
        tracking_number="123456789012",
    )
    label = render(data)
    assert decode_pdf_barcodes(label.pdf) == [["ABCDEFGHIJ0123456789"]]
    assert "^CI28" in label.zpl and "Takip No: 123456789012" in label.zpl
