"""Issue 16's printed copy: what an accountant checks against the XML."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))

from kervan.domain.documents import DocumentKind
from kervan_ubltr.render import render_invoice_html, render_invoice_pdf
from kervan_ubltr.render.codes import invoice_title
from kervan_ubltr.render.views import invoice_view
from kervan_ubltr.render.words import amount_in_words, number_words
from render_checks import page_texts
from render_samples import SELLER, earsiv_invoice, efatura_invoice


@pytest.mark.parametrize(
    ("profile", "type_code", "title"),
    [
        ("EARSIVFATURA", "SATIS", "e-ARŞİV FATURA"),
        ("EARSIVFATURA", "ISTISNA", "e-ARŞİV FATURA (İSTİSNA)"),
        ("EARSIVFATURA", "IADE", "e-ARŞİV FATURA (İADE)"),
        ("TEMELFATURA", "SATIS", "e-FATURA"),
        ("TICARIFATURA", "SATIS", "e-FATURA"),
        ("TEMELFATURA", "IADE", "e-FATURA (İADE)"),
        ("IHRACAT", "ISTISNA", "e-FATURA (İHRACAT)"),
    ],
)
def test_the_title_follows_the_profile_and_type_code(profile, type_code, title):
    assert invoice_title(profile, type_code) == title


def test_a_micro_export_sent_as_earsivfatura_is_titled_e_arsiv_not_e_fatura():
    invoice = earsiv_invoice().model_copy(update={"kind": DocumentKind.EXPORT})
    text = page_texts(render_invoice_pdf(invoice))[0]
    assert invoice_view(invoice).title == "e-ARŞİV FATURA"
    assert "e-FATURA" not in text


def test_toplam_iskonto_is_the_sum_of_the_line_discounts():
    invoice = earsiv_invoice(line_count=6)  # lines 3 and 6 are discounted
    discounts = [line.discount for line in invoice.lines if line.discount]
    assert len(discounts) == 2 and invoice.totals.allowance_total == 0
    totals = {row.label: row.value for row in invoice_view(invoice).totals}
    expected = sum(discounts, Decimal(0))
    assert totals["Toplam İskonto"] == f"{expected:.2f}".replace(".", ",") + " TL"
    assert totals["Toplam İskonto"] != "0,00 TL"


def test_unit_prices_use_two_to_four_decimals_and_amounts_never_wrap():
    invoice = earsiv_invoice(line_count=2)
    big = invoice.lines[0].model_copy(
        update={
            "unit_price": Decimal("1234567.12345678"),
            "quantity": Decimal(1),
            "line_extension": Decimal("1234567.12"),
            "vat_amount": Decimal("246913.42"),
        }
    )
    invoice = invoice.model_copy(update={"lines": [big, invoice.lines[1]]})
    row = invoice_view(invoice).rows[0]
    assert row[3] == "1.234.567,1235 TL"
    pdf = render_invoice_pdf(invoice)
    lines = _pdf_lines(pdf)
    # each amount, with its "TL", sits on one line of the page
    for amount in ("1.234.567,1235 TL", "1.234.567,12 TL", "246.913,42 TL", "89,50 TL"):
        assert any(amount in line for line in lines), amount


def _pdf_lines(pdf: bytes) -> list[str]:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        text = page.get_textpage().get_text_range()
        return [" ".join(line.split()) for line in text.splitlines()]
    finally:
        document.close()


def test_codes_print_as_words():
    text = page_texts(render_invoice_pdf(earsiv_invoice()))[0]
    assert "Ödeme Şekli: Ödeme Aracısı" in text and "ODEMEARACISI" not in text
    assert "Adet" in text and "C62" not in text
    assert "351 - İstisna Olmayan Diğer" in text
    invoice = earsiv_invoice()
    line = invoice.lines[3].model_copy(update={"exemption_code": "301", "exemption_reason": "301"})
    subtotals = [
        s.model_copy(update={"exemption_code": "301", "exemption_reason": "301"})
        if s.exemption_code
        else s
        for s in invoice.tax_subtotals
    ]
    invoice = invoice.model_copy(update={"lines": [*invoice.lines[:3], line, *invoice.lines[4:]]})
    invoice = invoice.model_copy(update={"tax_subtotals": subtotals})
    assert "Vergi İstisna Muafiyet Sebebi: 301 - 11/1-a Mal İhracatı" in invoice_view(invoice).notes


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("1001.05", "Yalnız bin bir TL beş Kr"),
        ("1000000", "Yalnız bir milyon TL"),
        ("1000000.00", "Yalnız bir milyon TL"),
        ("0.05", "Yalnız sıfır TL beş Kr"),
        ("100", "Yalnız yüz TL"),
        ("2000", "Yalnız iki bin TL"),
        ("101000", "Yalnız yüz bir bin TL"),
        ("3355.19", "Yalnız üç bin üç yüz elli beş TL on dokuz Kr"),
        (
            "1234567.89",
            "Yalnız bir milyon iki yüz otuz dört bin beş yüz altmış yedi TL seksen dokuz Kr",
        ),
        ("11.10", "Yalnız on bir TL on Kr"),
        ("1000001000", "Yalnız bir milyar bin TL"),
    ],
)
def test_amount_in_turkish_words(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_amount_in_words_for_other_currencies():
    assert amount_in_words(Decimal("12.34"), "EUR") == "Yalnız on iki Avro otuz dört Sent"
    assert amount_in_words(Decimal("12.34"), "CHF") == "Yalnız on iki CHF 34/100"


@given(st.integers(min_value=0, max_value=999_999_999_999))
def test_number_words_read_back_to_the_number(n):
    assert _read_back(number_words(n)) == n


def _read_back(text: str) -> int:
    """An independent reader of Turkish number words (scale words multiply what precedes)."""
    ones = {
        w: i
        for i, w in enumerate(
            ["sıfır", "bir", "iki", "üç", "dört", "beş", "altı", "yedi", "sekiz", "dokuz"]
        )
    }
    tens = {
        "on": 10,
        "yirmi": 20,
        "otuz": 30,
        "kırk": 40,
        "elli": 50,
        "altmış": 60,
        "yetmiş": 70,
        "seksen": 80,
        "doksan": 90,
    }
    scales = {"bin": 10**3, "milyon": 10**6, "milyar": 10**9}
    total = group = 0
    for word in text.split():
        if word in ones:
            group += ones[word]
        elif word in tens:
            group += tens[word]
        elif word == "yüz":
            group = (group or 1) * 100
        else:
            total += (group or 1) * scales[word]
            group = 0
    return total + group


def test_the_amount_in_words_prints_on_pdf_and_html():
    invoice = efatura_invoice()
    words = amount_in_words(invoice.totals.payable)
    assert words in page_texts(render_invoice_pdf(invoice))[0]
    assert words in render_invoice_html(invoice)


def test_mersis_and_trade_register_numbers_print_when_the_seller_has_them():
    seller = SELLER.model_copy(
        update={"mersis_no": "0454053692000015", "trade_register_no": "İstanbul-123456"}
    )
    invoice = earsiv_invoice().model_copy(update={"seller": seller})
    text = page_texts(render_invoice_pdf(invoice))[0]
    assert "MERSİS No: 0454053692000015" in text
    assert "Ticaret Sicil No: İstanbul-123456" in text
    assert "MERSİS" not in page_texts(render_invoice_pdf(earsiv_invoice()))[0]


def test_the_payment_agent_prints_as_given_the_marketplaces_legal_name():
    text = page_texts(render_invoice_pdf(earsiv_invoice()))[0]
    assert "Ödeme Aracısı: DSM Grup Danışmanlık İletişim ve Satış Ticaret A.Ş." in text
