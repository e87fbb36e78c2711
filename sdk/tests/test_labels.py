"""kervan_sdk.labels: what a label shows survives on the PDF (pdfium's text extraction, zxing-cpp's
barcode decoding: neither is the code that drew it) and in the ZPL (read back by parse_zpl)."""

from __future__ import annotations

import json
from decimal import Decimal

import pypdfium2
import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from kervan.domain import Address, Label, Party, PartyKind
from kervan.errors import InvalidInputError
from kervan_sdk.labels import (
    LabelData,
    LabelError,
    LabelParty,
    deferred,
    label_pdf,
    parse_zpl,
    pdf_from_zpl,
    pdf_of,
    render,
    render_zpl,
    with_pdf,
    zpl_text,
)
from kervan_sdk.testing import make_package

SELLER = Party(
    kind=PartyKind.COMPANY,
    tax_id="4540536920",
    company_name="Anadolu Tekstil Ltd. Şti.",
    address=Address(lines=["Caferağa Mah. Moda Cd. No: 12"], district="Kadıköy", city="İstanbul"),
)
RECEIVER = Party(kind=PartyKind.PERSON, tax_id="11111111111", first_name="Şükrü", last_name="Işık")
IGDIR = Address(
    lines=["Şehit Cengiz Topel Cd. No: 7 Daire 3"],
    district="Merkez",
    city="Iğdır",
    postal_code="76000",
    phone="+905321112233",
)


def pages(pdf: bytes) -> list[tuple[str, list[tuple[str, str]]]]:
    """(text, [(symbology, data)]) of every page."""
    document = pypdfium2.PdfDocument(pdf)
    out = []
    for index in range(len(document)):
        page = document[index]
        codes = zxingcpp.read_barcodes(page.render(scale=300 / 72).to_pil())
        out.append((page.get_textpage().get_text_range(), [(c.format.name, c.text) for c in codes]))
    return out


def data(**kw: object) -> LabelData:
    package = make_package(cargo_key="KRVTEST0001").model_copy(
        update={"receiver": RECEIVER, "address": IGDIR, "sender": SELLER, "parcel_count": 2}
    )
    fields = {"carrier": "Yurtiçi Kargo", "tracking_number": "123456789012", **kw}
    return LabelData.for_package(package, **fields)


def test_turkish_text_and_the_seller_survive_on_every_page():
    label = render(data())
    assert len(pages(label.pdf)) == 2
    for number, (text, codes) in enumerate(pages(label.pdf), start=1):
        assert "Şükrü Işık" in text and "76000 Merkez / Iğdır" in text
        assert "Şehit Cengiz Topel Cd. No: 7 Daire 3" in text and "Tel: +905321112233" in text
        sender = text[text.index("GÖNDEREN") : text.index("ALICI")]
        assert "Anadolu Tekstil Ltd. Şti." in sender and "Kadıköy / İstanbul" in sender
        assert f"{number}/2" in text and "Takip No: 123456789012" in text
        assert codes == [("Code128", "KRVTEST0001")]


def test_the_zpl_says_what_the_pdf_says():
    label = render(data(tracking_barcode=True))
    assert label.zpl.isascii()  # everything else is ^FH hex under ^CI28
    zpl_pages = parse_zpl(label.zpl)
    assert len(zpl_pages) == 2
    for zpl_page, (text, codes) in zip(zpl_pages, pages(label.pdf), strict=True):
        for field in zpl_page.texts:
            assert field.text.replace("   ", " ") in text.replace("   ", " ")
        assert sorted((b.symbology, b.data) for b in zpl_page.barcodes) == sorted(
            ("code128", value) for _, value in codes
        )
    assert "^CI28" in label.zpl and "^A@N" in label.zpl and "E:TT0003M_.FNT" in label.zpl


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1))
def test_any_field_text_comes_back_from_the_zpl_unchanged(value):
    zpl = f"^XA^CI28^FO0,0^A@N,30,30^FH^FD{zpl_text(value)}^FS^XZ"
    (page,) = parse_zpl(zpl)
    assert [t.text for t in page.texts] == ([value] if value.strip() else [])


def test_a_name_with_zpl_commands_in_it_cannot_end_the_field():
    label = render(data(carrier="Kargo ^XZ~JA_1"))
    (first, _) = parse_zpl(label.zpl)
    assert first.texts[0].text == "Kargo ^XZ~JA_1"
    assert label.zpl.count("^XZ") == 2


def test_a_barcode_code128_cannot_carry_is_refused_with_the_reason():
    with pytest.raises(LabelError, match="cannot carry"):
        LabelData(
            carrier="X",
            sender=None,
            receiver=LabelParty("Şükrü"),
            pieces=("KRVŞ1",),
            desi=Decimal(1),
            weight_kg=Decimal(1),
        )


def test_without_a_seller_the_fallback_names_the_sender():
    package = make_package(cargo_key="KRVFALLBACK")
    assert package.sender is None
    text = pages(render(LabelData.for_package(package, carrier="X", sender_fallback="Dükkan")).pdf)
    assert "Dükkan" in text[0][0]
    no_sender = LabelData.for_package(package, carrier="X")
    assert no_sender.sender is None and "GÖNDEREN" not in pages(render(no_sender).pdf)[0][0]


def test_pdf_from_zpl_draws_each_symbology_with_the_same_data():
    zpl = "\n".join(
        [
            "^XA^CI28",
            "^FO40,40^A0N,36,36^FH^FD_C5_9E_C3_BCkr_C3_BC I_C5_9F_C4_B1k, _C4_B0_C4_9Fd_C4_B1r^FS",
            "^FO40,100^BY3^BCN,120,Y,N,N^FD>;7330000000123^FS",  # >; starts code set C
            "^FO40,300^BY2^B3N,N,100,Y,N^FDABC-123^FS",
            "^FO40,450^BY3^BEN,100,Y,N^FD869123456789^FS",  # the printer adds the check digit
            "^FO450,450^BQN,2,5^FDMA,https://example.com/t?k=1^FS",
            "^FO40,700^BY3^B2N,100,Y,N,N^FD12345678^FS",
            "^FT700,1100^A0R,30,30^FDDik yazı^FS",
            "^XZ",
        ]
    )
    ((text, codes),) = pages(pdf_from_zpl(zpl))
    assert "Şükrü Işık, İğdır" in text and "Dik yazı" in text
    assert sorted(codes) == sorted(
        [
            ("Code128", "7330000000123"),
            ("Code39", "ABC-123"),
            ("EAN13", "8691234567890"),
            ("QRCode", "https://example.com/t?k=1"),
            ("ITF", "12345678"),
        ]
    )


def test_a_zpl_that_cannot_be_drawn_says_why():
    with pytest.raises(LabelError, match=r"\^BD"):
        pdf_from_zpl("^XA^FO10,10^BDN,4,3^FDx^FS^XZ")
    with pytest.raises(LabelError, match="no"):
        pdf_from_zpl("not a label")


def test_with_pdf_keeps_a_pdf_it_has_and_draws_one_it_lacks():
    label = render(data())
    assert with_pdf(label) is label
    drawn = with_pdf(Label(zpl=label.zpl, pdf=b""))
    assert drawn.zpl == label.zpl
    assert [codes for _, codes in pages(drawn.pdf)] == [[("Code128", "KRVTEST0001")]] * 2
    assert "Şükrü Işık" in pages(drawn.pdf)[0][0]


def test_a_zpl_render_is_stable():
    assert render_zpl(data()) == render_zpl(data())
    assert render(data()).pdf == render(data()).pdf  # invariant PDFs: same input, same bytes


def test_a_deferred_label_draws_on_first_print_the_pdf_it_would_have_drawn_at_booking():
    """deferred() keeps the ZPL and the data; pdf_of() draws from those data the same PDF
    render() draws (reportlab's invariant mode: byte for byte), after a JSON round trip as
    the core keeps them."""
    fields = data(tracking_number="890674582076", tracking_barcode=True, reference="R1")
    label = deferred(fields)
    assert label.pdf == b"" and label.zpl == render_zpl(fields)
    kept = Label.model_validate(
        {**label.model_dump(), "render_data": json.loads(json.dumps(label.render_data))}
    )
    assert LabelData.from_dict(kept.render_data or {}) == fields
    assert pdf_of(kept) == render(fields).pdf
    own = deferred(fields, zpl="^XA^FDcarrier^FS^XZ")
    assert own.zpl == "^XA^FDcarrier^FS^XZ" and pdf_of(own) == render(fields).pdf


def test_pdf_of_a_zpl_only_label_draws_its_zpl_and_says_why_when_it_cannot():
    zpl = "^XA^FO40,40^A0N,30,30^FDKoli 1/1^FS^FO40,220^BCN,120,Y,N,N^FD7339438295592^FS^XZ"
    assert pdf_of(Label(zpl=zpl)) == pdf_from_zpl(zpl)
    assert pdf_of(Label(zpl=zpl, pdf=b"%PDF-own")) == b"%PDF-own"
    with pytest.raises(InvalidInputError, match=r"\^BD"):
        label_pdf(Label(zpl="^XA^FO40,40^BDN,4,3^FDMaxiCode^FS^XZ"))
    with pytest.raises(LabelError, match="version"):
        LabelData.from_dict({"v": 99})
