"""A 100×150 mm shipping label from :class:`LabelData`, as PDF and as ZPL, with one layout.

PDF: one page per piece, DejaVu Sans embedded (Turkish letters survive), Code128 barcodes.

ZPL: one ``^XA…^XZ`` per piece at 203 dpi (812×1218 dots). Text is UTF-8 (``^CI28``) in
Zebra's Unicode font Swiss 721 (``E:TT0003M_.FNT``, named per field with ``^A@``), and every
character outside plain ASCII, and ZPL's own ``^``, ``~`` and ``_``, is written as
``^FH`` hex (``_C5_9E`` for Ş), so the ZPL is 7-bit clean on any transport and no field text
can end a field early.
"""

from __future__ import annotations

from io import BytesIO

from kervan.domain import Label
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from .draw import barcode, draw_fitted, fonts
from .model import LabelData, LabelParty

PAGE = (100 * mm, 150 * mm)  # the common 10×15 cm thermal label
MARGIN = 5 * mm
PRINT_WIDTH, LABEL_LENGTH = 812, 1218  # ^PW ^LL of a 4×6 inch label at 203 dpi
#: Zebra's Unicode TrueType font (Swiss 721, WGL4 character set: all Turkish letters)
ZPL_FONT = "E:TT0003M_.FNT"


def render(data: LabelData, *, zpl_font: str = ZPL_FONT) -> Label:
    """The label as ZPL and PDF (``kervan.domain.Label``), the same fields on both."""
    return Label(zpl=render_zpl(data, font=zpl_font), pdf=render_pdf(data))


def _header(data: LabelData, number: int) -> tuple[str, str]:
    return data.carrier, f"{number}/{len(data.pieces)}"


def _details(data: LabelData, piece: str) -> list[str]:
    lines = [f"Desi: {data.desi}   Kg: {data.weight_kg}"]
    if data.tracking_number and data.tracking_number != piece:
        lines.append(f"Takip No: {data.tracking_number}")
    if data.reference:
        lines.append(f"Ref: {data.reference}")
    return lines + list(data.notes)


# -- PDF -------------------------------------------------------------------------------------


def render_pdf(data: LabelData) -> bytes:
    """A 10×15 cm PDF, one page per piece, with a scannable Code128 of each piece barcode."""
    regular, bold = fonts()
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=PAGE, invariant=True)
    canvas.setTitle(f"{data.carrier} {data.tracking_number or data.pieces[0]}")
    width, height = PAGE
    inner = width - 2 * MARGIN
    for number, piece in enumerate(data.pieces, start=1):
        title, count = _header(data, number)
        y = height - 11 * mm
        canvas.setFont(bold, 15)
        draw_fitted(canvas, MARGIN, y, title, bold, 15, inner - 18 * mm)
        canvas.drawRightString(width - MARGIN, y, count)
        y -= 4 * mm
        if data.sender is not None:
            y = _party(canvas, "GÖNDEREN", data.sender, y, size=8, name_size=9)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN, y, width - MARGIN, y)
        y = _party(canvas, "ALICI", data.receiver, y - 1 * mm, size=10, name_size=13)
        canvas.line(MARGIN, y, width - MARGIN, y)
        y -= 5 * mm
        for line in _details(data, piece):
            draw_fitted(canvas, MARGIN, y, line, regular, 9, inner)
            y -= 4.5 * mm
        if data.tracking_barcode and data.tracking_number:
            canvas.setFont(regular, 7)
            canvas.drawString(MARGIN, 63 * mm, "Gönderi No")
            barcode(
                canvas, "code128", data.tracking_number, x=MARGIN, y=44 * mm,
                height=15 * mm, module=0.38 * mm, max_width=inner,
            )  # fmt: skip
        barcode(
            canvas, "code128", piece, x=MARGIN, y=10 * mm,
            height=24 * mm, module=0.45 * mm, max_width=inner,
        )  # fmt: skip
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _party(
    canvas: Canvas, title: str, party: LabelParty, y: float, *, size: float, name_size: float
) -> float:
    """A titled block (name, then wrapped lines); returns the y under it."""
    regular, bold = fonts()
    width = PAGE[0] - 2 * MARGIN
    y -= 3.5 * mm
    canvas.setFont(bold, 6.5)
    canvas.drawString(MARGIN, y, title)
    y -= name_size * 0.42 * mm
    draw_fitted(canvas, MARGIN, y, party.name, bold, name_size, width)
    for line in party.lines:
        for part in simpleSplit(line, regular, size, width) or [""]:
            y -= size * 0.45 * mm
            draw_fitted(canvas, MARGIN, y, part, regular, size, width)
    return y - 2.5 * mm


# -- ZPL -------------------------------------------------------------------------------------


def zpl_text(value: str) -> str:
    """Field text for ``^FH^FD…^FS`` under ``^CI28``: printable ASCII as is, everything else
    (and ``^``, ``~``, ``_``) as ``_XX`` UTF-8 hex bytes."""
    out = []
    for char in value:
        if " " <= char <= "~" and char not in "^~_":
            out.append(char)
        else:
            out.extend(f"_{byte:02X}" for byte in char.encode("utf-8"))
    return "".join(out)


def render_zpl(data: LabelData, *, font: str = ZPL_FONT) -> str:
    """One ``^XA…^XZ`` block per piece, 203 dpi, 10×15 cm, with a Code128 per piece."""

    def text(x: int, y: int, size: int, value: str, *, block: int = 0) -> str:
        wrap = f"^FB{block},3,0,L" if block else ""
        return f"^FO{x},{y}^A@N,{size},{size},{font}{wrap}^FH^FD{zpl_text(value)}^FS"

    blocks = []
    right = PRINT_WIDTH - 40
    for number, piece in enumerate(data.pieces, start=1):
        title, count = _header(data, number)
        lines = ["^XA", "^CI28", f"^PW{PRINT_WIDTH}", f"^LL{LABEL_LENGTH}"]
        lines += [text(40, 36, 48, title), f"^FO{right - 100},44^A@N,36,36,{font}^FD{count}^FS"]
        y = 100
        for heading, party, size in (("GÖNDEREN", data.sender, 24), ("ALICI", data.receiver, 30)):
            if party is None:
                continue
            lines.append(text(40, y, 20, heading))
            lines.append(text(40, y + 24, size + 8, party.name))
            y += 24 + size + 14
            for line in party.lines:
                lines.append(text(40, y, size, line, block=right - 40))
                y += size + 8
            lines.append(f"^FO40,{y + 4}^GB{right - 40},3,3^FS")
            y += 20
        for line in _details(data, piece):
            lines.append(text(40, y, 28, line))
            y += 38
        if data.tracking_barcode and data.tracking_number:
            lines.append(f"^FO60,{max(y + 10, 640)}^BY2,3,100^BCN,100,Y,N,N,A")
            lines.append(f"^FD{data.tracking_number}^FS")
        lines += ["^FO60,880^BY3,3,200^BCN,200,Y,N,N,A", f"^FD{piece}^FS", "^XZ"]
        blocks.append("\n".join(lines))
    return "\n".join(blocks) + "\n"
