from __future__ import annotations


async def test_label_barcodes_decode_to_the_tracking_number_and_mngs_piece_barcode(
    carrier, sandbox, make_package, decode_pdf_barcodes
):
    booking = await carrier.create_shipment(make_package("KRVLABEL01"))
    shipment = sandbox.orders["KRVLABEL01"].shipment
    (page,) = decode_pdf_barcodes(booking.label.pdf)
    assert booking.tracking_number in page
    assert set(page) == {booking.tracking_number, shipment.pieces[0]["barcode"]}
    assert booking.label.zpl == shipment.pieces[0]["value"], "MNG's own ZPL is passed through"


async def test_a_multi_piece_label_has_a_page_per_piece(
    carrier, sandbox, make_package, decode_pdf_barcodes
):
    booking = await carrier.create_shipment(make_package("KRVMULTI01", parcel_count=2))
    shipment = sandbox.orders["KRVMULTI01"].shipment
    pages = decode_pdf_barcodes(booking.label.pdf)
    assert [set(p) for p in pages] == [
        {booking.tracking_number, piece["barcode"]} for piece in shipment.pieces
    ]
    assert booking.label.zpl.count("^XA") == 2
