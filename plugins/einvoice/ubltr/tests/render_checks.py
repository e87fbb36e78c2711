"""Reading rendered documents back the way a person or a scanner would, for the tests.

``pypdf`` extracts the text (through the ToUnicode maps of the embedded fonts), ``pypdfium2``
rasterises a page like a viewer does, and ``zxing-cpp`` reads the QR code from the pixels.
"""

from __future__ import annotations

import io
import re

import pypdfium2
import zxingcpp
from PIL import Image, ImageDraw
from pypdf import PdfReader


def page_texts(pdf: bytes) -> list[str]:
    """The text of every page with whitespace collapsed to single spaces."""
    reader = PdfReader(io.BytesIO(pdf))
    return [" ".join((page.extract_text() or "").split()) for page in reader.pages]


def font_names(pdf: bytes) -> set[str]:
    """The BaseFont of every font any page uses, with embedding checked."""
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page["/Resources"]["/Font"]
        for ref in fonts.values():
            font = ref.get_object()
            descendant = (
                font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            )
            descriptor = descendant["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor, "TrueType font program must be embedded"
            names.add(str(font["/BaseFont"]))
    return names


def page_qr_codes(pdf: bytes, page: int = 0, scale: float = 2.0) -> list[str]:
    """Texts of the QR codes a scanner reads on the rasterised page."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[page].render(scale=scale).to_pil().convert("L")
    finally:
        document.close()
    return [
        r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode
    ]


def svg_qr_codes(svg: str, pixels_per_module: int = 4) -> list[str]:
    """Rasterise the inline-SVG QR (``M x y h n v1 h-n z`` runs) and read it."""
    side = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    image = Image.new("L", (side * pixels_per_module,) * 2, 255)
    draw = ImageDraw.Draw(image)
    for x, y, n in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        x0, y0 = int(x) * pixels_per_module, int(y) * pixels_per_module
        draw.rectangle([x0, y0, x0 + int(n) * pixels_per_module - 1, y0 + pixels_per_module - 1], 0)
    return [r.text for r in zxingcpp.read_barcodes(image)]
