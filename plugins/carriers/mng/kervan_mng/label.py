"""Labels: MNG's own ZPL when ``createbarcode`` returns it, and a PDF drawn here.

``createbarcode`` answers per piece with ``value`` (MNG's ZPL for that piece) and ``barcode``
(the string MNG scans). The PDF carries that piece barcode as its main Code128 and the MNG
shipment number (our tracking number) as a second, smaller Code128. When MNG's ZPL is not at
hand (a shipment found again after a lost answer), the ZPL is rendered here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO

from kervan.domain import Label
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

PAGE = (100 * mm, 150 * mm)
# Helvetica (WinAnsi) has ç, ö, ü but not ş, ğ, ı, İ
_WINANSI = str.maketrans({"ş": "s", "Ş": "S", "ğ": "g", "Ğ": "G", "ı": "i", "İ": "I"})


@dataclass(frozen=True)
class LabelData:
    carrier: str
    tracking_number: str
    #: one scannable barcode per piece (a page each)
    piece_barcodes: list[str]
    receiver_name: str
    receiver_lines: list[str]
    sender_name: str
    desi: Decimal
    weight_kg: Decimal
    reference: str | None = None
    notes: list[str] = field(default_factory=list)


def _pdf(value: str, limit: int = 70) -> str:
    return value.translate(_WINANSI)[:limit]


def _zpl(value: str) -> str:
    return value.replace("^", " ").replace("~", " ")


def render_zpl(data: LabelData) -> str:
    """A local ZPL (203 dpi, 10×15 cm), one ``^XA…^XZ`` per piece."""
    total = len(data.piece_barcodes)
    blocks = []
    for number, barcode in enumerate(data.piece_barcodes, start=1):
        lines = [
            "^XA",
            "^CI28",
            "^PW812",
            "^LL1218",
            f"^FO40,40^A0N,50,50^FD{_zpl(data.carrier)}^FS",
            f"^FO620,50^A0N,36,36^FD{number}/{total}^FS",
            f"^FO40,120^A0N,28,28^FDGonderen: {_zpl(data.sender_name)}^FS",
            f"^FO40,180^A0N,40,40^FD{_zpl(data.receiver_name)}^FS",
        ]
        y = 235
        for text in data.receiver_lines:
            lines.append(f"^FO40,{y}^A0N,30,30^FD{_zpl(text)}^FS")
            y += 40
        lines += [
            f"^FO40,{y + 10}^A0N,30,30^FDDesi: {data.desi}  Kg: {data.weight_kg}^FS",
            f"^FO40,{y + 60}^BY2,3,90^BCN,90,Y,N,N^FD{_zpl(data.tracking_number)}^FS",
            "^FO60,860^BY3,3,200^BCN,200,Y,N,N",
            f"^FD{_zpl(barcode)}^FS",
            "^XZ",
        ]
        blocks.append("\n".join(lines))
    return "\n".join(blocks) + "\n"


def render_pdf(data: LabelData) -> bytes:
    """A 10×15 cm PDF, one page per piece: piece barcode and shipment number as Code128."""
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=PAGE, invariant=True)
    canvas.setTitle(f"{data.carrier} {data.tracking_number}")
    width, height = PAGE
    total = len(data.piece_barcodes)
    for number, barcode in enumerate(data.piece_barcodes, start=1):
        y = height - 12 * mm
        canvas.setFont("Helvetica-Bold", 16)
        canvas.drawString(6 * mm, y, _pdf(data.carrier))
        canvas.drawRightString(width - 6 * mm, y, f"{number}/{total}")
        y -= 8 * mm
        canvas.setFont("Helvetica", 8)
        canvas.drawString(6 * mm, y, _pdf(f"Gonderen: {data.sender_name}"))
        y -= 8 * mm
        canvas.setFont("Helvetica-Bold", 11)
        canvas.drawString(6 * mm, y, _pdf(data.receiver_name))
        canvas.setFont("Helvetica", 9)
        for text in data.receiver_lines:
            y -= 5 * mm
            canvas.drawString(6 * mm, y, _pdf(text))
        y -= 7 * mm
        canvas.drawString(6 * mm, y, f"Desi: {data.desi}   Kg: {data.weight_kg}")
        if data.reference:
            y -= 5 * mm
            canvas.drawString(6 * mm, y, _pdf(f"Ref: {data.reference}"))
        for note in data.notes:
            y -= 5 * mm
            canvas.drawString(6 * mm, y, _pdf(note))
        canvas.setFont("Helvetica", 7)
        canvas.drawString(6 * mm, 66 * mm, "Gonderi No")
        _barcode(canvas, data.tracking_number, width, y=46 * mm, height=16 * mm, module=0.38 * mm)
        _barcode(canvas, barcode, width, y=12 * mm, height=22 * mm, module=0.45 * mm)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _barcode(
    canvas: Canvas, value: str, page_width: float, *, y: float, height: float, module: float
) -> None:
    barcode = Code128(value, barHeight=height, barWidth=module, humanReadable=True, quiet=True)
    if barcode.width > page_width * 0.95:
        module = module * page_width * 0.95 / barcode.width
        barcode = Code128(value, barHeight=height, barWidth=module, humanReadable=True, quiet=True)
    barcode.drawOn(canvas, (page_width - barcode.width) / 2, y)


def render(data: LabelData, *, remote_zpl: str | None = None) -> Label:
    """The label: MNG's ZPL if it sent one, else ours; the PDF is always drawn here."""
    zpl = remote_zpl if remote_zpl and remote_zpl.lstrip().startswith("^XA") else render_zpl(data)
    return Label(zpl=zpl, pdf=render_pdf(data))
