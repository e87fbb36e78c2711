"""The karekod payloads (GİB's key set) and the QR modules drawn from them."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from kervan.domain.documents import TaxSubtotal
from kervan_ubltr.render import despatch_qr_payload, qr_payload
from kervan_ubltr.render.qr import dark_runs, qr_matrix, qr_svg
from render_samples import despatch_advice, earsiv_invoice

INVOICE_KEYS = [
    "vkntckn", "avkntckn", "senaryo", "tip", "tarih", "no", "ettn", "parabirimi",
    "malhizmettoplam",
    "kdvmatrah(20)", "hesaplanankdv(20)", "kdvmatrah(10)", "hesaplanankdv(10)",
    "kdvmatrah(1)", "hesaplanankdv(1)", "kdvmatrah(0)", "hesaplanankdv(0)",
    "vergidahil", "odenecek",
]  # fmt: skip


def test_invoice_payload_has_gibs_keys_in_order_with_xml_values():
    invoice = earsiv_invoice()
    data = json.loads(qr_payload(invoice))
    assert list(data) == INVOICE_KEYS
    assert data["vkntckn"] == "4540536920" and data["avkntckn"] == "17291716060"
    assert (data["senaryo"], data["tip"]) == ("EARSIVFATURA", "SATIS")
    assert data["no"] == "KRA2026000000001" and data["ettn"] == invoice.uuid
    assert data["tarih"] == "2026-11-22" and data["parabirimi"] == "TRY"
    assert data["malhizmettoplam"] == "3079.65"
    assert data["kdvmatrah(20)"] == "768.30" and data["hesaplanankdv(20)"] == "153.66"
    assert data["vergidahil"] == data["odenecek"] == "3355.19"
    assert all(isinstance(value, str) for value in data.values())


def test_invoice_payload_is_compact_json():
    payload = qr_payload(earsiv_invoice())
    assert ", " not in payload and ": " not in payload
    assert payload.startswith('{"vkntckn":"4540536920",')


def test_only_vat_subtotals_become_kdv_keys():
    invoice = earsiv_invoice(line_count=1)
    otv = TaxSubtotal(
        tax_type_code="0071", rate=Decimal("25"), taxable_amount=Decimal("10.00"),
        tax_amount=Decimal("2.50"),
    )  # fmt: skip
    data = json.loads(
        qr_payload(invoice.model_copy(update={"tax_subtotals": [*invoice.tax_subtotals, otv]}))
    )
    assert "kdvmatrah(25)" not in data and "hesaplanankdv(25)" not in data
    assert [k for k in data if k.startswith("kdvmatrah")] == ["kdvmatrah(20)"]


def test_invoice_date_is_the_turkish_local_date():
    invoice = earsiv_invoice().model_copy(
        update={"issued_at": datetime(2026, 12, 31, 21, 30, tzinfo=UTC)}
    )
    assert json.loads(qr_payload(invoice))["tarih"] == "2027-01-01"


def test_despatch_payload_has_gibs_e_irsaliye_keys():
    advice = despatch_advice()
    data = json.loads(despatch_qr_payload(advice))
    assert list(data) == [
        "vkntckn", "avkntckn", "senaryo", "tip", "tarih", "no", "ettn",
        "sevktarihi", "sevkzamani", "tasiyicivkn", "plaka",
    ]  # fmt: skip
    assert (data["senaryo"], data["tip"]) == ("TEMELIRSALIYE", "SEVK")
    assert (data["sevktarihi"], data["sevkzamani"]) == ("2026-11-22", "16:30:00")
    assert (data["tasiyicivkn"], data["plaka"]) == ("9860008925", "34KRV123")
    bare = json.loads(
        despatch_qr_payload(advice.model_copy(update={"carrier": None, "driver": None}))
    )
    assert (bare["tasiyicivkn"], bare["plaka"]) == ("", "")


def test_dark_runs_cover_exactly_the_dark_modules():
    matrix = qr_matrix(qr_payload(earsiv_invoice()))
    rebuilt = [bytearray(len(row)) for row in matrix]
    for row, col, length in dark_runs(matrix):
        assert length > 0
        rebuilt[row][col : col + length] = b"\x01" * length
    assert [bytes(r) for r in rebuilt] == [bytes(r) for r in matrix]


def test_svg_is_square_with_a_quiet_zone():
    svg = qr_svg("merhaba")
    side = len(qr_matrix("merhaba")) + 8
    assert f'viewBox="0 0 {side} {side}"' in svg and 'fill="#fff"' in svg
