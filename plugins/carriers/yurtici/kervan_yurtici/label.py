"""The shipping label, rendered locally: ZPL for thermal printers and a PDF with a Code128.

Yurtiçi has no label endpoint in the material we have: the branch scans the ``cargoKey`` we
print, and only then creates its own document (``docId``). So the label carries the cargo key
as its main barcode, and the Yurtiçi tracking number as text once it is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO

from kervan.domain import Label
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

PAGE = (100 * mm, 150 * mm)  # the common 10×15 cm thermal label


@dataclass(frozen=True)
class LabelData:
    carrier: str
    barcode: str
    receiver_name: str
    receiver_lines: list[str]
    sender_name: str
    desi: Decimal
    weight_kg: Decimal
    parcel_count: int = 1
    tracking_number: str | None = None
    reference: str | None = None
    notes: list[str] = field(default_factory=list)


# The PDF uses the standard Helvetica (WinAnsi), which has ç, ö, ü but not ş, ğ, ı, İ
_WINANSI = str.maketrans({"ş": "s", "Ş": "S", "ğ": "g", "Ğ": "G", "ı": "i", "İ": "I"})


def _pdf_text(value: str, limit: int = 70) -> str:
    return value.translate(_WINANSI)[:limit]


def _zpl_text(value: str) -> str:
    # ^FD ends at ^ or ~; the label is UTF-8 (^CI28), so only those two need replacing
    return value.replace("^", " ").replace("~", " ")


def render_zpl(data: LabelData) -> str:
    """One ``^XA…^XZ`` block per parcel, 203 dpi, 10×15 cm, with a Code128 of the barcode."""
    blocks = []
    for piece in range(1, data.parcel_count + 1):
        lines = [
            "^XA",
            "^CI28",
            "^PW812",
            "^LL1218",
            f"^FO40,40^A0N,50,50^FD{_zpl_text(data.carrier)}^FS",
            f"^FO560,50^A0N,36,36^FD{piece}/{data.parcel_count}^FS",
            f"^FO40,120^A0N,28,28^FDGonderen: {_zpl_text(data.sender_name)}^FS",
            f"^FO40,180^A0N,40,40^FD{_zpl_text(data.receiver_name)}^FS",
        ]
        y = 235
        for text in data.receiver_lines:
            lines.append(f"^FO40,{y}^A0N,30,30^FD{_zpl_text(text)}^FS")
            y += 40
        lines.append(f"^FO40,{y + 10}^A0N,30,30^FDDesi: {data.desi}  Kg: {data.weight_kg}^FS")
        if data.tracking_number and data.tracking_number != data.barcode:
            lines.append(f"^FO40,{y + 55}^A0N,30,30^FDTakip No: {data.tracking_number}^FS")
        if data.reference:
            lines.append(f"^FO40,{y + 100}^A0N,26,26^FDRef: {_zpl_text(data.reference)}^FS")
        lines += [
            "^FO60,820^BY3,3,220^BCN,220,Y,N,N",
            f"^FD{_zpl_text(data.barcode)}^FS",
            "^XZ",
        ]
        blocks.append("\n".join(lines))
    return "\n".join(blocks) + "\n"


def render_pdf(data: LabelData) -> bytes:
    """A 10×15 cm PDF, one page per parcel, with a scannable Code128 of ``data.barcode``."""
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=PAGE, invariant=True)
    canvas.setTitle(f"{data.carrier} {data.barcode}")
    width, height = PAGE
    for piece in range(1, data.parcel_count + 1):
        y = height - 12 * mm
        canvas.setFont("Helvetica-Bold", 16)
        canvas.drawString(6 * mm, y, data.carrier)
        canvas.drawRightString(width - 6 * mm, y, f"{piece}/{data.parcel_count}")
        y -= 8 * mm
        canvas.setFont("Helvetica", 8)
        canvas.drawString(6 * mm, y, _pdf_text(f"Gonderen: {data.sender_name}"))
        y -= 8 * mm
        canvas.setFont("Helvetica-Bold", 11)
        canvas.drawString(6 * mm, y, _pdf_text(data.receiver_name))
        canvas.setFont("Helvetica", 9)
        for text in data.receiver_lines:
            y -= 5 * mm
            canvas.drawString(6 * mm, y, _pdf_text(text))
        y -= 7 * mm
        canvas.drawString(6 * mm, y, f"Desi: {data.desi}   Kg: {data.weight_kg}")
        if data.tracking_number and data.tracking_number != data.barcode:
            y -= 5 * mm
            canvas.drawString(6 * mm, y, f"Takip No: {data.tracking_number}")
        if data.reference:
            y -= 5 * mm
            canvas.drawString(6 * mm, y, _pdf_text(f"Ref: {data.reference}"))
        for i, note in enumerate(data.notes):
            canvas.drawString(6 * mm, 52 * mm - i * 4 * mm, _pdf_text(note))
        _barcode(canvas, data.barcode, width, y=14 * mm)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _barcode(canvas: Canvas, value: str, page_width: float, *, y: float) -> None:
    # a module of at least 0.4 mm keeps the code readable on 203 dpi printers and by scanners
    barcode = Code128(value, barHeight=22 * mm, barWidth=0.45 * mm, humanReadable=True, quiet=True)
    if barcode.width > page_width:
        barcode = Code128(
            value,
            barHeight=22 * mm,
            barWidth=0.45 * mm * page_width / barcode.width * 0.95,
            humanReadable=True,
            quiet=True,
        )
    barcode.drawOn(canvas, (page_width - barcode.width) / 2, y)


def render(data: LabelData) -> Label:
    return Label(zpl=render_zpl(data), pdf=render_pdf(data))
