"""Turkish display formatting and word wrapping."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from kervan_ubltr.render import text
from kervan_ubltr.render.fonts import register_fonts
from kervan_ubltr.render.layout import wrap
from reportlab.pdfbase.pdfmetrics import stringWidth


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", "0,00 TL"),
        ("5.5", "5,50 TL"),
        ("999.99", "999,99 TL"),
        ("1234.56", "1.234,56 TL"),
        ("1000000", "1.000.000,00 TL"),
        ("-1234.5", "-1.234,50 TL"),
        ("-0.00", "0,00 TL"),
    ],
)
def test_money_groups_thousands_with_dots_and_uses_a_decimal_comma(value, expected):
    assert text.money(Decimal(value)) == expected


def test_money_in_foreign_currency_keeps_the_iso_code():
    assert text.money(Decimal("12500.4"), "EUR") == "12.500,40 EUR"


def test_number_shows_extra_decimals_only_when_they_are_not_zero():
    assert text.number(Decimal("12.50000000"), 2, 8) == "12,50"
    assert text.number(Decimal("0.12345"), 2, 8) == "0,12345"
    assert text.number(Decimal("3"), 0, 6) == "3"


def test_quantity_and_percent_read_the_turkish_way():
    assert text.quantity(Decimal("2"), "C62") == "2 Adet"
    assert text.quantity(Decimal("1.5"), "KGM") == "1,5 kg"
    assert text.quantity(Decimal("4"), "XYZ") == "4 XYZ"
    assert text.percent(Decimal("20")) == "%20"
    assert text.percent(Decimal("0.5")) == "%0,5"


def test_dates_and_times_are_printed_in_turkish_local_time():
    late_utc = datetime(2026, 11, 22, 22, 30, tzinfo=UTC)
    assert text.day(late_utc) == "23-11-2026"
    assert text.clock(late_utc) == "01:30:00"
    naive = datetime(2026, 11, 22, 22, 30)
    assert text.day(naive) == "22-11-2026" and text.clock(naive) == "22:30:00"
    assert text.day(date(2026, 1, 5)) == "05-01-2026"


def test_wrap_keeps_every_piece_inside_the_width_and_every_character():
    regular, _ = register_fonts()
    source = "Çok uzun bir ürün adı " * 12 + "Ş" * 90 + " son"
    pieces = wrap(source, regular, 7.5, 120)
    assert len(pieces) > 3
    assert all(stringWidth(piece, regular, 7.5) <= 120 for piece in pieces)
    assert "".join(pieces).replace(" ", "") == source.replace(" ", "")


def test_wrap_leaves_a_short_text_alone():
    regular, _ = register_fonts()
    assert wrap("Kısa", regular, 7.5, 100) == ["Kısa"]


def test_fonts_are_read_from_the_package_not_from_the_machine():
    from kervan_ubltr.render import fonts
    from reportlab.pdfbase.pdfmetrics import getFont

    for name in register_fonts():
        path = Path(getFont(name).face.filename).resolve()
        # reportlab keeps one face per font file name, so a DejaVu Sans another Kervan package
        # registered first (the SDK's label helper ships the same file) may be the one read;
        # what matters is that it is a shipped file, never the machine's
        assert path.parent.name == "fonts" and path.parent.parent.name in ("render", "labels")
        assert not str(path).startswith(("/usr/", "/etc/"))
        assert path.stat().st_size > 500_000
    assert "Bitstream Vera" in (fonts.FONT_DIR / "LICENSE.txt").read_text()


def test_shipped_fonts_have_real_glyphs_for_every_turkish_letter():
    from reportlab.pdfbase.pdfmetrics import getFont

    for name in register_fonts():
        char_to_glyph = getFont(name).face.charToGlyph
        for letter in "ÇĞİÖŞÜçğıöşü₺²³":
            assert char_to_glyph.get(ord(letter), 0) != 0, (name, letter)  # 0 is .notdef
