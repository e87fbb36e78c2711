"""The common label: Trendyol gives ZPL only; the connector hands it on as ZPL and draws a PDF
with the same fields and the same barcodes when asked (``label_pdf``, on first print), checked
here by pdfium's text extraction and zxing-cpp's decoding (neither is the code that drew it)."""

from __future__ import annotations

import functools

import pypdfium2
import pytest
import zxingcpp
from kervan.errors import InvalidInputError
from kervan_sdk.labels import parse_zpl

from .conftest import fetch


def _pages(pdf: bytes) -> list[tuple[str, list[tuple[str, str]]]]:
    document = pypdfium2.PdfDocument(pdf)
    out = []
    for index in range(len(document)):
        page = document[index]
        codes = zxingcpp.read_barcodes(page.render(scale=300 / 72).to_pil())
        text = page.get_textpage().get_text_range()
        out.append((text, [(code.format.name, code.text) for code in codes]))
    return out


async def _tex_order(sandbox, trendyol):
    tex = next(o for o in await fetch(trendyol) if o.cargo_tracking_number)
    address = sandbox.packages[int(tex.package_id)]["shipmentAddress"]
    address.update(firstName="Şükrü", lastName="Işık", city="Iğdır", district="Merkez")
    return tex


async def test_the_common_label_gets_a_pdf_with_its_turkish_text_and_barcode(sandbox, trendyol):
    tex = await _tex_order(sandbox, trendyol)
    label = await trendyol.fetch_label(tex)
    assert label is not None and label.zpl.startswith("^XA")
    assert label.pdf == b"", "no PDF is drawn on the fetch: only when it is first printed"
    (zpl_page,) = parse_zpl(label.zpl)
    ((text, codes),) = _pages(trendyol.label_pdf(label))
    assert "Şükrü Işık" in text and "Merkez/Iğdır" in text
    for field in zpl_page.texts:  # every text field of Trendyol's ZPL is on the page
        assert field.text in text
    # the same symbology and the same data as the ZPL's ^BC field
    assert [(b.symbology, b.data) for b in zpl_page.barcodes] == [
        ("code128", tex.cargo_tracking_number)
    ]
    assert codes == [("Code128", tex.cargo_tracking_number)]


async def test_a_label_per_parcel_is_a_page_per_parcel(sandbox, trendyol, monkeypatch):
    tex = await _tex_order(sandbox, trendyol)
    # the parcel travels in three boxes: Trendyol answers the request with three labels
    monkeypatch.setattr(
        trendyol.client,
        "create_common_label",
        functools.partial(trendyol.client.create_common_label, box_quantity=3),
    )
    label = await trendyol.fetch_label(tex)
    assert label is not None
    pages = _pages(trendyol.label_pdf(label))
    assert [codes for _, codes in pages] == [[("Code128", tex.cargo_tracking_number)]] * 3
    assert [f"Koli {n}/3" in text for n, (text, _) in enumerate(pages, 1)] == [True] * 3


async def test_a_zpl_it_cannot_draw_is_kept_without_a_pdf_and_said_so(
    sandbox, trendyol, monkeypatch
):
    tex = await _tex_order(sandbox, trendyol)
    unknown = "^XA^FO40,40^BDN,4,3^FDMaxiCode^FS^XZ"  # UPS MaxiCode: not drawn here

    async def labels(tracking: str) -> list[dict[str, str]]:
        return [{"label": unknown, "format": "ZPL"}]

    monkeypatch.setattr(trendyol.client, "get_common_label", labels)
    label = await trendyol.fetch_label(tex)
    assert label is not None and label.zpl == unknown and label.pdf == b""
    with pytest.raises(InvalidInputError, match=r"\^BD"):
        trendyol.label_pdf(label)
