"""The fonts printed documents use: DejaVu Sans, shipped inside this package.

reportlab's built-in Helvetica has no glyphs for ğ ş ı İ Ş, so every document embeds (a subset
of) DejaVu Sans from ``fonts/``; output never depends on the fonts of the machine. Parsing a
TTF takes tens of milliseconds, so registration happens once per process.
"""

from __future__ import annotations

import functools
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(__file__).parent / "fonts"
REGULAR = "KervanDejaVuSans"
BOLD = "KervanDejaVuSans-Bold"
FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}


@functools.cache
def register_fonts() -> tuple[str, str]:
    """Register the shipped DejaVu Sans faces with reportlab (once); return (regular, bold)."""
    for name, filename in FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD)
    return REGULAR, BOLD
