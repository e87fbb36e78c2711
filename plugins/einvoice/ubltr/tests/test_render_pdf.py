"""Invoice, e-İrsaliye and gider pusulası PDFs, read back as text, fonts and QR pixels."""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from kervan_ubltr.render import (
    despatch_qr_payload,
    qr_payload,
    render_despatch_pdf,
    render_expense_voucher_pdf,
    render_invoice_pdf,
)
from render_checks import font_names, page_qr_codes, page_texts
from render_samples import (
    BUYER,
    ISSUED,
    SELLER,
    SHIP_NOTE,
    despatch_advice,
    earsiv_invoice,
    efatura_invoice,
    expense_voucher,
    expense_voucher_with_vat,
)


def test_invoice_pdf_prints_turkish_letters_with_the_embedded_dejavu_font():
    pdf = render_invoice_pdf(earsiv_invoice())
    text = page_texts(pdf)[0]
    for phrase in (
        "Gökçe Işıklı Tekstil Ticaret Limited Şirketi",
        "Şükrü Çağlar Öztürk Ağaoğlu",
        "Çiğli / İzmir",
        "(Ğ/Ş/İ test)",
        "Vergi Dairesi: Üsküdar",
    ):
        assert phrase in text
    fonts = font_names(pdf)
    assert fonts and all("DejaVuSans" in name for name in fonts)
    assert any(name.endswith("DejaVuSans-Bold") for name in fonts)


def test_invoice_pdf_shows_gib_header_document_info_and_totals_in_turkish_format():
    invoice = earsiv_invoice()
    assert invoice.totals.payable == Decimal("3355.19")
    text = page_texts(render_invoice_pdf(invoice))[0]
    for phrase in (
        "e-ARŞİV FATURA",
        "SAYIN",
        "VKN: 4540536920",
        "TCKN: 17291716060",
        "Özelleştirme No TR1.2",
        "Senaryo e-Arşiv Fatura (EARSIVFATURA)",
        "Fatura Tipi Satış (SATIS)",
        "Fatura No KRA2026000000001",
        "Fatura Tarihi 22-11-2026",
        "Fatura Saati 14:05:09",
        f"ETTN {invoice.uuid}",
        "Mal Hizmet Toplam Tutarı 3.079,65 TL",
        "Toplam İskonto 124,90 TL",
        "Hesaplanan KDV (%20) 153,66 TL",
        "Hesaplanan KDV (%10) 112,41 TL",
        "Vergiler Dahil Toplam Tutar 3.355,19 TL",
        "Ödenecek Tutar 3.355,19 TL",
        "1.249,00 TL",  # a unit price with a thousands separator
        "Vergi İstisna Muafiyet Sebebi: 351 - İstisna Olmayan Diğer",
        "Yalnız üç bin üç yüz elli beş TL on dokuz Kr",
    ):
        assert phrase in text, phrase
    for header in (
        "Sıra No",
        "Mal Hizmet",
        "Miktar",
        "Birim Fiyat",
        "İskonto",
        "KDV Oranı",
        "KDV Tutarı",
    ):
        assert header in text


def test_earsiv_internet_sale_prints_the_internet_sale_line_and_its_details():
    text = page_texts(render_invoice_pdf(earsiv_invoice()))[0]
    assert "Bu satış internet üzerinden yapılmıştır." in text
    assert "Web Adresi: https://www.trendyol.com" in text
    assert "Ödeme Şekli: Ödeme Aracısı" in text
    assert "Taşıyıcı Unvanı: Yurtiçi Kargo Servisi A.Ş." in text
    assert "Gönderim Tarihi: 22-11-2026" in text
    assert "e-Arşiv izni kapsamında elektronik ortamda iletilmiştir." in text


def test_e_fatura_carries_the_e_fatura_logo_and_no_internet_sale_line():
    text = page_texts(render_invoice_pdf(efatura_invoice()))[0]
    assert "e-FATURA" in text and "e-ARŞİV" not in text
    assert "Senaryo Ticari Fatura (TICARIFATURA)" in text
    assert "internet üzerinden" not in text and "e-Arşiv izni" not in text


def test_invoice_qr_read_from_the_rendered_page_is_the_gib_payload():
    for invoice in (earsiv_invoice(), efatura_invoice(), earsiv_invoice(line_count=1)):
        codes = page_qr_codes(render_invoice_pdf(invoice))
        assert codes == [qr_payload(invoice)]
        assert json.loads(codes[0])["ettn"] == invoice.uuid


def test_many_lines_break_across_pages_with_header_and_page_numbers_on_each():
    invoice = earsiv_invoice(line_count=120)
    pages = page_texts(render_invoice_pdf(invoice))
    count = len(pages)
    assert count >= 3
    for number, text in enumerate(pages, start=1):
        assert f"Sayfa {number} / {count}" in text
        assert "Mal Hizmet Tutarı" in text  # table header repeated
    everything = " ".join(pages)
    for line in invoice.lines:
        assert f"#{line.id} " in everything or everything.endswith(f"#{line.id}")
    assert "Ödenecek Tutar" in pages[-1] and "Ödenecek Tutar" not in pages[0]
    assert "(devam)" in pages[1]


def test_a_very_long_line_name_wraps_inside_its_column_without_losing_words():
    invoice = earsiv_invoice(line_count=1)
    long_name = " ".join(f"sözcük{i}" for i in range(60)) + " " + "Ş" * 80
    line = invoice.lines[0].model_copy(update={"name": long_name})
    text = page_texts(render_invoice_pdf(invoice.model_copy(update={"lines": [line]})))[0]
    for i in range(60):
        assert f"sözcük{i}" in text
    assert text.count("Ş") >= 80


def test_same_invoice_renders_to_identical_bytes():
    assert render_invoice_pdf(earsiv_invoice()) == render_invoice_pdf(earsiv_invoice())


def test_despatch_pdf_prints_its_notes_shipment_details_and_qr():
    advice = despatch_advice()
    pdf = render_despatch_pdf(advice)
    text = page_texts(pdf)[0]
    for phrase in (
        "e-İRSALİYE",
        SHIP_NOTE,
        "Değişim talebi: İade No 556677",
        "İrsaliye No KRI2026000000007",
        "Sevk Tarihi 22-11-2026",
        "Sevk Zamanı 16:30:00",
        "Teslimat Adresi",
        "Yurtiçi Kargo Servisi A.Ş.",
        "İsmail Doğan",
        "Plaka: 34KRV123",
        "8690000000017",
        "1 Adet",
        "2 Adet",
    ):
        assert phrase in text, phrase
    assert page_qr_codes(pdf) == [despatch_qr_payload(advice)]


def test_expense_voucher_pdf_shows_parties_amounts_withholding_and_signature_boxes():
    voucher = expense_voucher().model_copy(update={"withholding": Decimal("11.79")})
    pdf = render_expense_voucher_pdf(voucher)
    text = page_texts(pdf)[0]
    for phrase in (
        "GİDER PUSULASI",
        "Belge No GP2026000123",
        "MALI SATAN / İŞİ YAPAN",
        "Şükrü Çağlar Öztürk Ağaoğlu",
        "TCKN: 17291716060",
        "İade: Pamuklu Örme Tişört",
        "499,80 TL",
        "Toplam Tutar 589,30 TL",
        "Gelir Vergisi Stopajı 11,79 TL",
        "Ödenen Net Tutar 577,51 TL",
        "Düzenleyen (Kaşe / İmza)",
        "Malı Satan / İşi Yapan (İmza)",
        "İade Talep No CLM-99812",
    ):
        assert phrase in text, phrase
    assert page_qr_codes(pdf) == []  # a paper gider pusulası has no karekod


def test_gider_pusulasi_pdf_has_what_vuk_234_asks_and_the_vat_separately():
    """VUK 234: nature of the transaction, goods, amount, the person's name and address, date,
    serial number, both signatures; plus the person's TCKN and the VAT per line and rate."""
    voucher = expense_voucher_with_vat()
    text = page_texts(render_expense_voucher_pdf(voucher))[0]
    for phrase in (
        "GİDER PUSULASI",
        "Belge No KRG2026000000042",
        "Düzenleme Tarihi 22-11-2026",
        "İşin Mahiyeti Satılan malın iadesi",
        "Sipariş No 10987654321",
        "Şükrü Çağlar Öztürk Ağaoğlu",
        "TCKN: 17291716060",
        "Güzelyalı Mah. Ilıca Sok. No:5 D:7",
        "Pamuklu Örme Tişört",
        "KDV Matrahı (%10) 81,36 TL",
        "KDV (%10) 8,14 TL",
        "KDV Matrahı (%20) 416,50 TL",
        "KDV (%20) 83,30 TL",
        "Toplam KDV 91,44 TL",
        "Toplam Tutar 589,30 TL",
        "Düzenleyen (Kaşe / İmza)",
        "Malı Satan / İşi Yapan (İmza)",
    ):
        assert phrase in text, phrase
    assert voucher.total == Decimal("589.30")
    assert voucher.vat_total == Decimal("91.44")


def test_rendering_from_many_threads_gives_the_same_bytes_as_one_thread():
    # dramatiq workers render from threads; reportlab's shared font parser is not thread-safe
    invoices = [earsiv_invoice(line_count=n) for n in (1, 4, 12, 40)] * 5
    expected = [render_invoice_pdf(invoice) for invoice in invoices]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible to provoke a race
    try:
        with ThreadPoolExecutor(max_workers=6) as pool:
            got = list(pool.map(render_invoice_pdf, invoices))
    finally:
        sys.setswitchinterval(interval)
    assert got == expected


def test_an_unnumbered_draft_renders_marked_as_a_draft():
    # an e-Fatura waiting for pickup has no number yet (it is taken when the document
    # leaves); its printed copy must still render, saying it is a draft
    draft = efatura_invoice().model_copy(update={"number": None})
    text = page_texts(render_invoice_pdf(draft))[0]
    assert "Fatura No TASLAK" in text


def test_transport_only_despatch_pdf_prints_the_note_and_the_sale_it_belongs_to():
    from kervan.despatch import TRANSPORT_ONLY_NOTE, transport_despatch
    from kervan_ubltr.render import render_despatch_pdf
    from render_samples import returned_order

    sample = despatch_advice()
    advice = transport_despatch(
        returned_order(),
        {"L2": Decimal(1)},
        number="KRI2026000000005",
        uuid="0f0e8d3a-4b51-4c55-9a0e-5a4cf3e0b7a1",
        issued_at=ISSUED,
        seller=SELLER,
        receiver=BUYER,
        address=BUYER.address,
        carrier=sample.carrier,
        reason="Eksik parça gönderimi",
        invoice_number="KRA2026000000777",
    )
    text = page_texts(render_despatch_pdf(advice))[0]
    for phrase in (
        "e-İRSALİYE",
        TRANSPORT_ONLY_NOTE,
        "Eksik parça gönderimi; Sipariş No: 10987654321; Fatura No: KRA2026000000777",
        "Sipariş No 10987654321",
        "İlgili Fatura No KRA2026000000777",
        "Çocuk Kitabı",
        "Taşıyıcı",
    ):
        assert phrase in text, phrase
    assert "Şoför" not in text
