"""Reading rendered documents back the way a person or a scanner would, for the tests.

``pypdfium2`` (Chrome's PDF engine) extracts the text through the embedded fonts' ToUnicode
maps and rasterises pages like a viewer does; ``zxing-cpp`` reads QR codes from the pixels.
"""

from __future__ import annotations

import re

import pypdfium2
import zxingcpp
from PIL import Image, ImageDraw


def page_texts(pdf: bytes) -> list[str]:
    """The text of every page with whitespace collapsed to single spaces."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        texts = []
        for page in document:
            textpage = page.get_textpage()
            texts.append(" ".join(textpage.get_text_range().split()))
            textpage.close()
            page.close()
        return texts
    finally:
        document.close()


def font_names(pdf: bytes) -> set[str]:
    """The BaseFont names in the file; every font must come with an embedded TrueType program.

    reportlab writes font dictionaries as plain objects (only content and font streams are
    compressed), so the names can be read from the bytes.
    """
    names = {m.decode() for m in re.findall(rb"/BaseFont /([A-Za-z0-9+-]+)", pdf)}
    descriptors = len(re.findall(rb"/Type /FontDescriptor", pdf))
    assert descriptors and descriptors == len(re.findall(rb"/FontFile2 ", pdf))
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
