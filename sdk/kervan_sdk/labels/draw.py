"""reportlab helpers shared by the label PDFs: the embedded font and barcodes.

reportlab's built-in Helvetica is WinAnsi and has no ş, ğ, ı, İ; every label PDF embeds (a
subset of) DejaVu Sans, shipped in ``fonts/`` with its licence, so output never depends on
the fonts of the machine.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import createBarcodeDrawing
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT_DIR = Path(__file__).parent / "fonts"
REGULAR = "KervanLabelSans"
BOLD = "KervanLabelSans-Bold"


@functools.cache
def fonts() -> tuple[str, str]:
    """Register the shipped DejaVu Sans faces with reportlab once; return (regular, bold)."""
    pdfmetrics.registerFont(TTFont(REGULAR, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    return REGULAR, BOLD


def text_width(text: str, font: str, size: float) -> float:
    return float(pdfmetrics.stringWidth(text, font, size))


def draw_fitted(
    canvas: Canvas, x: float, y: float, text: str, font: str, size: float, max_width: float
) -> None:
    """Draw ``text`` at ``(x, y)``, squeezed horizontally if it is wider than ``max_width``
    (an address is never cut off: the printed copy must say all of it)."""
    width = text_width(text, font, size)
    obj = canvas.beginText(x, y)
    obj.setFont(font, size)
    if width > max_width > 0:
        obj.setHorizScale(100 * max_width / width)
    obj.textOut(text)
    canvas.drawText(obj)


#: ZPL symbology → reportlab's barcode name (``createBarcodeDrawing``)
SYMBOLOGIES = {
    "code128": "Code128",
    "code39": "Standard39",
    "ean13": "EAN13",
    "ean8": "EAN8",
    "upca": "UPCA",
    "i2of5": "I2of5",
    "qr": "QR",
}
TWO_D = {"qr"}


def barcode(
    canvas: Canvas,
    symbology: str,
    value: str,
    *,
    x: float,
    y: float,
    height: float,
    module: float,
    max_width: float,
    human_readable: bool = True,
) -> float:
    """Draw a barcode with its bottom-left corner at ``(x, y)``; return its width.

    A linear code keeps ``module`` (bar width) unless that would be wider than ``max_width``;
    then the module shrinks to fit. 2D codes are drawn ``height`` tall and square.
    """
    kind = SYMBOLOGIES[symbology]
    if symbology in TWO_D:
        drawing = createBarcodeDrawing(kind, value=value)
        scale = height / drawing.height
        drawing.scale(scale, scale)
        drawing.width, drawing.height = drawing.width * scale, height
        renderPDF.draw(drawing, canvas, x, y)
        return float(drawing.width)
    options: dict[str, Any] = {
        "value": value,
        "barHeight": height,
        "barWidth": module,
        "humanReadable": human_readable,
        "quiet": True,
    }
    if symbology in ("code39", "i2of5"):
        options["checksum"] = False
    drawing = createBarcodeDrawing(kind, **options)
    if drawing.width > max_width:
        options["barWidth"] = module * max_width / drawing.width
        drawing = createBarcodeDrawing(kind, **options)
    renderPDF.draw(drawing, canvas, x, y)
    return float(drawing.width)
