"""HTML views: self-contained, escaped, same content as the PDF, a QR that scans."""

from __future__ import annotations

import re
import sys
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from kervan_ubltr.render import (
    despatch_qr_payload,
    qr_payload,
    render_despatch_html,
    render_expense_voucher_html,
    render_invoice_html,
)
from kervan_ubltr.render.views import invoice_view
from render_checks import svg_qr_codes
from render_samples import (
    BUYER,
    SHIP_NOTE,
    despatch_advice,
    earsiv_invoice,
    expense_voucher,
)


def _svg(page: str) -> str:
    return re.search(r"<svg.*?</svg>", page, re.S).group(0)


def test_invoice_html_is_self_contained_utf8_turkish_page():
    page = render_invoice_html(earsiv_invoice())
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="tr">' in page and '<meta charset="utf-8">' in page
    for external in ("<script", "src=", "href=", "url(", "@import"):
        assert external not in page
    assert "Gökçe Işıklı Tekstil Ticaret Limited Şirketi" in page
    assert "e-ARŞİV FATURA" in page


def test_invoice_html_shows_everything_the_document_view_holds():
    invoice = earsiv_invoice()
    page = render_invoice_html(invoice)
    view = invoice_view(invoice)
    for label, value in view.info:
        assert f"<th>{escape(label)}</th><td>{escape(value)}</td>" in page
    for total in view.totals:
        assert escape(total.label) in page and escape(total.value) in page
    for row in view.rows:
        for cell in row:
            assert f">{escape(cell)}</td>" in page
    assert "Bu satış internet üzerinden yapılmıştır." in page
    assert "Ödenecek Tutar" in page and "3.355,19 TL" in page


def test_invoice_html_escapes_names_and_notes_from_outside():
    hostile = "<script>alert('x')</script> & \"Ltd\""
    buyer = BUYER.model_copy(update={"first_name": hostile})
    invoice = earsiv_invoice(notes=["<img src=x onerror=alert(1)>"]).model_copy(
        update={"buyer": buyer}
    )
    page = render_invoice_html(invoice)
    assert "<script>" not in page and "<img" not in page
    assert escape(hostile) in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_invoice_html_qr_svg_scans_to_the_gib_payload():
    invoice = earsiv_invoice()
    assert svg_qr_codes(_svg(render_invoice_html(invoice))) == [qr_payload(invoice)]


def test_despatch_html_prints_the_transport_only_note_and_its_qr():
    advice = despatch_advice()
    page = render_despatch_html(advice)
    assert escape(SHIP_NOTE) in page
    assert "e-İRSALİYE" in page and "Teslimat Adresi" in page
    assert svg_qr_codes(_svg(page)) == [despatch_qr_payload(advice)]


def test_expense_voucher_html_has_no_qr_and_signature_boxes():
    page = render_expense_voucher_html(expense_voucher())
    assert "<svg" not in page
    assert "GİDER PUSULASI" in page and "Ödenen Net Tutar" in page and "589,30 TL" in page
    assert "Malı Satan / İşi Yapan (İmza)" in page
