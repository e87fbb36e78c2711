"""What each document prints, checked on the view both renderers share."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from kervan.domain.documents import BillingReference, DocumentKind, ExportTerms
from kervan_ubltr.render.views import despatch_view, invoice_view, voucher_view
from render_samples import despatch_advice, earsiv_invoice, expense_voucher


def _flat(view) -> str:
    parts = [view.title, *(f"{k}: {v}" for k, v in view.info), *view.notes]
    parts += [f"{t.label}: {t.value}" for t in view.totals]
    parts += [" | ".join(row) for row in view.rows]
    for block in (*view.extra_blocks, *view.sections):
        parts += [block.title, block.heading, *block.lines]
    return "\n".join(parts)


def test_export_invoice_prints_foreign_currency_exchange_rate_and_delivery_terms():
    invoice = earsiv_invoice(line_count=2).model_copy(
        update={
            "kind": DocumentKind.EXPORT,
            "profile": "IHRACAT",
            "type_code": "ISTISNA",
            "currency": "EUR",
            "exchange_rate": Decimal("36.512345"),
            "internet_sale": None,
            "export_terms": ExportTerms(incoterms="DAP", transport_mode="3"),
        }
    )
    text = _flat(invoice_view(invoice))
    assert invoice_view(invoice).title == "e-FATURA (İHRACAT)"
    assert "Para Birimi: EUR" in text and "Döviz Kuru: 36,512345" in text
    assert "Ödenecek Tutar: " in text and text.count(" EUR") >= 6
    assert " TL" not in text
    assert "İhracat Bilgileri" in text
    assert "Teslim Şartı: Belirlenen Yerde Teslim (DAP)" in text
    assert "Gönderilme Şekli: Karayolu" in text and "Gönderilme Şekli: 3" not in text
    assert "internet üzerinden" not in text


def test_return_invoice_names_the_invoice_it_returns():
    invoice = earsiv_invoice().model_copy(
        update={
            "type_code": "IADE",
            "billing_reference": BillingReference(
                number="KRA2026000000777", issue_date=date(2026, 11, 2)
            ),
        }
    )
    text = _flat(invoice_view(invoice))
    assert "Fatura Tipi: İade (IADE)" in text
    assert invoice_view(invoice).title == "e-ARŞİV FATURA (İADE)"
    assert "İade Edilen Fatura No: KRA2026000000777" in text
    assert "İade Edilen Fatura Tarihi: 02-11-2026" in text


def test_despatch_without_carrier_or_driver_prints_only_the_delivery_address():
    advice = despatch_advice().model_copy(update={"carrier": None, "driver": None})
    view = despatch_view(advice)
    assert [block.title for block in view.extra_blocks] == ["Teslimat Adresi"]
    assert view.notes[0] == "Sevk amaçlıdır, faturası düzenlenmeyecektir."


def test_expense_voucher_net_is_total_less_withholding():
    voucher = expense_voucher().model_copy(update={"withholding": Decimal("100.30")})
    totals = {row.label: row.value for row in voucher_view(voucher).totals}
    assert totals == {
        "Toplam Tutar": "589,30 TL",
        "Gelir Vergisi Stopajı": "100,30 TL",
        "Ödenen Net Tutar": "489,00 TL",
    }
    assert voucher_view(voucher).qr_payload is None


def test_lines_show_quantity_units_discount_and_long_unit_prices():
    invoice = earsiv_invoice(line_count=3)
    line = invoice.lines[0].model_copy(update={"unit_price": Decimal("0.12345678")})
    rows = invoice_view(invoice.model_copy(update={"lines": [line, *invoice.lines[1:]]})).rows
    assert rows[0][3] == "0,1235 TL"  # at most 4 decimals, rounded half up
    assert rows[1][3] == "89,50 TL"  # and at least 2
    assert rows[2][2] == "1 Adet" and rows[2][4] == "124,90 TL"  # every third line is discounted
    assert [row[0] for row in rows] == ["1", "2", "3"]
