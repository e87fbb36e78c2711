"""``kervan demo --exit --export DIR``: every label is exported as ZPL and as PDF, and each PDF
says, in Turkish, what the parcel needs: the same barcode as the ZPL's; on the labels Kervan's
carriers draw, the receiver (name, ilçe, il as the order has them) and the seller as sender;
on the marketplace's common label (drawn from its ZPL), every field of the ZPL and the
receiver's ilçe/il.

The PDF is read as a person's reader would: text by pdfium's extraction, barcodes by
zxing-cpp from a 300 dpi raster; neither is the code that drew the label.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pypdfium2
import zxingcpp
from kervan_demo.scenario_data import SELLER, demo_scenario
from kervan_sdk.labels import parse_zpl

KERVAN = str(Path(sys.executable).parent / "kervan")
TURKISH = set("çğıöşüÇĞİÖŞÜ")


def _read(pdf: Path) -> list[tuple[str, list[str]]]:
    document = pypdfium2.PdfDocument(pdf.read_bytes())
    pages = []
    for index in range(len(document)):
        page = document[index]
        codes = zxingcpp.read_barcodes(page.render(scale=300 / 72).to_pil())
        pages.append((page.get_textpage().get_text_range(), [code.text for code in codes]))
    return pages


def _receivers() -> list[tuple[str, str, str]]:
    """(name, ilçe, il) of every demo order's receiver, spelt as the order has them."""
    scenario = demo_scenario("demo-trendyol", datetime.now(UTC))
    out = []
    for order in scenario.orders:
        buyer, address = order.buyer, order.shipping_address
        for name in {buyer.display_name, f"{buyer.first_name} {buyer.last_name}"}:
            out.append((name, address.district, address.city))
    return out


def test_every_label_is_exported_as_zpl_and_pdf_in_turkish_with_the_seller_as_sender(
    default_demo,
):
    summary = default_demo.summary
    labels = default_demo.out / "labels"
    zpl = {p.stem: p for p in labels.glob("*.zpl")}
    pdf = {p.stem: p for p in labels.glob("*.pdf")}
    assert zpl and set(zpl) == set(pdf), "every label has both a ZPL and a PDF"
    assert len(zpl) == summary["labels"]
    receivers = _receivers()
    seller_city = SELLER.address.city if SELLER.address else ""
    ours = theirs = 0
    turkish_seen: set[str] = set()
    for key, zpl_path in sorted(zpl.items()):
        zpl_pages = parse_zpl(zpl_path.read_text())
        pdf_pages = _read(pdf[key])
        assert len(pdf_pages) == len(zpl_pages), key
        for zpl_page, (text, codes) in zip(zpl_pages, pdf_pages, strict=True):
            # the same barcodes (data) as the ZPL prints
            assert sorted(codes) == sorted(b.data for b in zpl_page.barcodes), key
            # every Turkish letter the label's fields carry survives on the PDF
            wanted = TURKISH & set("".join(t.text for t in zpl_page.texts))
            assert wanted <= set(text), f"{key}: {wanted - set(text)} lost:\n{text}"
            turkish_seen |= wanted
            if key in codes:  # a label Kervan's carrier drew: its barcode is our cargo key
                ours += 1
                matches = [r for r in receivers if all(part in text for part in r)]
                assert matches, f"{key}: no demo receiver (name, ilçe, il) on it:\n{text}"
                sender = text[text.index("GÖNDEREN") : text.index("ALICI")]
                assert SELLER.display_name in sender and seller_city in sender, key
                assert "Kervan" not in sender
            else:  # the marketplace's common label, drawn from its ZPL
                theirs += 1
                # Trendyol prints its own recipient name (a contact person for a company
                # buyer), so only the place is the order's; every ZPL field is on the PDF
                places = {(district, city) for _, district, city in receivers}
                assert any(f"{d}/{c}" in text for d, c in places), f"{key}:\n{text}"
                assert all(t.text in text for t in zpl_page.texts), key
    assert ours and theirs, (ours, theirs)  # the demo ships both ways
    assert len(turkish_seen) >= 3, turkish_seen  # the check was not vacuous
