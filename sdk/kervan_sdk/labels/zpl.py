"""Read the fields of a ZPL label (text and barcodes, where they sit) and draw them as a PDF.

A marketplace that books its own contracted carrier often hands out its label as ZPL only
(Trendyol's common label: ``{"data": [{"label": "^XA…^XZ", "format": "ZPL"}]}``, one entry
per parcel). A seller without a Zebra printer still needs to print it, so
:func:`pdf_from_zpl` draws the same fields at the same places on a PDF page: every text field
in the embedded DejaVu Sans (Turkish letters kept), every barcode with the same symbology and
the same data, and ``^GB`` boxes and rules.

What is read: ``^XA``/``^XZ`` (a page each), ``^PW``/``^LL`` (page size, 203 dpi),
``^LH``, ``^FO``/``^FT``, ``^A``/``^A@``/``^CF`` (text height), ``^FB`` (wrapping), ``^FH``
(hex escapes), ``^CI`` (UTF-8 under ``^CI28``…``^CI30``, else Latin-1), ``^FD``/``^FV``,
``^FS``, ``^BY`` and the barcodes ``^BC`` (Code128, its ``>``-escapes resolved), ``^B3``,
``^BE``, ``^B8``, ``^BU``, ``^B2``, ``^BQ``, and ``^GB``. Anything else (``^GF``
bitmaps such as logos, printer settings) is skipped; a barcode symbology outside that list is
a :class:`LabelError`, so a label never loses a barcode without anyone knowing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from io import BytesIO

from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from .draw import TWO_D, barcode, draw_fitted, fonts
from .model import LabelError

DPMM = 8  # 203 dpi, the resolution of 10×15 cm thermal labels
DEFAULT_SIZE = (812, 1218)

_BARCODES = {
    "C": "code128",
    "3": "code39",
    "E": "ean13",
    "8": "ean8",
    "U": "upca",
    "2": "i2of5",
    "Q": "qr",
}
#: ^BX (Data Matrix) is left out on purpose: reportlab's ECC200 encoder pads some lengths
#: with a stray NUL codeword, so the printed code would not carry the same data


@dataclass
class ZplText:
    x: int
    y: int
    text: str
    height: int
    baseline: bool = False  # ^FT: y is the baseline, not the top
    orientation: str = "N"
    block_width: int = 0
    block_lines: int = 1


@dataclass
class ZplBarcode:
    x: int
    y: int
    symbology: str
    data: str
    height: int
    module: int
    human_readable: bool = True
    baseline: bool = False


@dataclass
class ZplBox:
    x: int
    y: int
    width: int
    height: int
    thickness: int


@dataclass
class ZplPage:
    width: int = DEFAULT_SIZE[0]
    length: int = DEFAULT_SIZE[1]
    texts: list[ZplText] = field(default_factory=list)
    barcodes: list[ZplBarcode] = field(default_factory=list)
    boxes: list[ZplBox] = field(default_factory=list)


def _tokens(zpl: str) -> list[tuple[str, str]]:
    """``(command, parameters)`` pairs. Every ZPL command is a prefix and two characters
    (``^A`` takes its font, ``^A0`` ``^A@``, as the second); field data runs to ``^FS``."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(zpl)
    while i < n:
        if zpl[i] not in "^~":
            i += 1
            continue
        name = zpl[i + 1 : i + 3].upper()
        if name in ("FD", "FV"):
            end = zpl.find("^FS", i + 3)
            end = n if end < 0 else end
            out.append(("FD", zpl[i + 3 : end]))
            i = end
            continue
        j = i + 3
        while j < n and zpl[j] not in "^~":
            j += 1
        out.append((name, zpl[i + 3 : j].strip()))
        i = j
    return out


def _ints(params: str, defaults: list[int]) -> list[int]:
    parts = [p.strip() for p in params.split(",")]
    values = list(defaults)
    for k, part in enumerate(parts[: len(values)]):
        try:
            values[k] = round(float(part))
        except ValueError:
            continue
    return values


def _unhex(data: str, indicator: str, encoding: str) -> str:
    """``^FH`` escapes (``_C5_9E``) back to text in the label's encoding."""
    raw = bytearray()
    i = 0
    while i < len(data):
        if data[i] == indicator and re.fullmatch(r"[0-9A-Fa-f]{2}", data[i + 1 : i + 3]):
            raw.append(int(data[i + 1 : i + 3], 16))
            i += 3
        else:
            raw.extend(data[i].encode(encoding, errors="replace"))
            i += 1
    return raw.decode(encoding, errors="replace")


def _code128_data(data: str) -> str:
    """The characters a ``^BC`` field encodes: ``><`` is ``>``, other ``>x`` pairs are
    subset and function codes (start/switch code sets), not data."""
    out, i = [], 0
    while i < len(data):
        if data[i] == ">" and i + 1 < len(data):
            if data[i + 1] == "<":
                out.append(">")
            i += 2
            continue
        out.append(data[i])
        i += 1
    return "".join(out)


class _State:
    def __init__(self) -> None:
        self.page = ZplPage()
        self.home = (0, 0)
        self.font_height = 9  # ^CF default: font A, 9 dots
        self.by = (2, 10)  # ^BY module width, default bar code height
        self.reset_field()
        self.encoding = "latin-1"

    def reset_field(self) -> None:
        self.origin: tuple[int, int, bool] | None = None
        self.height: int | None = None
        self.orientation = "N"
        self.hex: str | None = None
        self.block = (0, 1)
        self.pending: tuple[str, list[str]] | None = None


def parse_zpl(zpl: str) -> list[ZplPage]:
    """The pages (``^XA…^XZ`` blocks) of ``zpl`` with their text, barcodes and boxes."""
    pages: list[ZplPage] = []
    st = _State()
    for name, params in _tokens(zpl):
        if name == "XA":
            st = _State()
        elif name == "XZ":
            pages.append(st.page)
        elif name == "CI":
            number = _ints(params, [0])[0]
            st.encoding = "utf-8" if number in (28, 29, 30) else "latin-1"
        elif name == "PW":
            st.page.width = _ints(params, [DEFAULT_SIZE[0]])[0]
        elif name == "LL":
            st.page.length = _ints(params, [DEFAULT_SIZE[1]])[0]
        elif name == "LH":
            x, y = _ints(params, [0, 0])
            st.home = (x, y)
        elif name in ("FO", "FT"):
            x, y = _ints(params, [0, 0])
            st.origin = (x + st.home[0], y + st.home[1], name == "FT")
        elif name == "CF":
            parts = params.split(",")
            st.font_height = _ints(",".join(parts[1:2]), [st.font_height])[0]
        elif name.startswith("A"):
            # ^A0N,h,w  /  ^A@N,h,w,font  /  ^AN (orientation only)
            parts = params.split(",")
            st.orientation = (parts[0][:1] or "N").upper() if parts else "N"
            st.height = _ints(",".join(parts[1:2]), [st.font_height])[0]
        elif name == "FB":
            width, lines = _ints(params, [0, 1])
            st.block = (width, max(lines, 1))
        elif name == "FH":
            st.hex = params[:1] or "_"
        elif name == "BY":
            module, _ratio, height = _ints(params, [st.by[0], 3, st.by[1]])
            st.by = (module, height)
        elif name.startswith("B") and len(name) == 2 and name not in ("BY",):
            kind = _BARCODES.get(name[1])
            if kind is None:
                raise LabelError(
                    f"the ZPL has a ^{name} barcode, which this renderer cannot draw; "
                    f"it draws {', '.join('^B' + k for k in _BARCODES)}"
                )
            st.pending = (kind, params.split(","))
        elif name == "GB":
            w, h, t = _ints(params, [1, 1, 1])
            if st.origin:
                x, y, _ = st.origin
                st.page.boxes.append(ZplBox(x, y, max(w, t), max(h, t), t))
        elif name == "FD":
            _field(st, params)
        elif name == "FS":
            st.reset_field()
    return pages


def _field(st: _State, data: str) -> None:
    text = _unhex(data, st.hex, st.encoding) if st.hex else data
    x, y, baseline = st.origin or (st.home[0], st.home[1], False)
    if st.pending is not None:
        kind, params = st.pending
        height = st.by[1]
        human = True
        if kind not in TWO_D:
            # ^BCo,h,f,g,e,m / ^B3o,e,h,f,g / ^BEo,h,f,g / ^B2o,h,f,g,e,j
            h_at, f_at = (2, 3) if kind == "code39" else (1, 2)
            height = _ints(params[h_at] if len(params) > h_at else "", [height])[0]
            human = (params[f_at].strip().upper() if len(params) > f_at else "Y") != "N"
            if kind == "code128":
                mode = params[5].strip().upper() if len(params) > 5 else "N"
                if mode in ("N", "D", ""):
                    text = _code128_data(text)
        elif kind == "qr":
            # ^FD for ^BQ starts with the error correction level and input mode ("QA," "MA,")
            text = text.split(",", 1)[1] if "," in text[:4] else text
            size = _ints(params[2] if len(params) > 2 else "", [3])[0]
            height = size * 33
        st.page.barcodes.append(
            ZplBarcode(x, y, kind, text, height, st.by[0], human, baseline=baseline)
        )
    elif text.strip():
        st.page.texts.append(
            ZplText(
                x, y, text, st.height or st.font_height, baseline, st.orientation,
                block_width=st.block[0], block_lines=st.block[1],
            )
        )  # fmt: skip


def pdf_from_zpl(zpl: str) -> bytes:
    """A PDF with a page per ``^XA…^XZ`` block of ``zpl``: the same text, barcodes (same
    symbology and data) and boxes at the same places, at 203 dpi."""
    pages = parse_zpl(zpl)
    if not pages:
        raise LabelError("the ZPL has no ^XA…^XZ label to draw")
    regular, _bold = fonts()
    buffer = BytesIO()
    first = pages[0]
    canvas = Canvas(
        buffer, pagesize=(first.width / DPMM * mm, first.length / DPMM * mm), invariant=True
    )
    for page in pages:
        width, height = page.width / DPMM * mm, page.length / DPMM * mm
        canvas.setPageSize((width, height))

        def at(x: int, y: int, _height: float = height) -> tuple[float, float]:
            return x / DPMM * mm, _height - y / DPMM * mm

        for box in page.boxes:
            left, top = at(box.x, box.y)
            canvas.setLineWidth(box.thickness / DPMM * mm)
            if box.width <= box.thickness or box.height <= box.thickness:
                canvas.rect(left, top - box.height / DPMM * mm, box.width / DPMM * mm,
                            box.height / DPMM * mm, stroke=0, fill=1)  # fmt: skip
            else:
                inset = box.thickness / 2 / DPMM * mm
                canvas.rect(left + inset, top - box.height / DPMM * mm + inset,
                            box.width / DPMM * mm - 2 * inset,
                            box.height / DPMM * mm - 2 * inset)  # fmt: skip
        for item in page.texts:
            _draw_text(canvas, item, at, width, regular)
        for code in page.barcodes:
            left, top = at(code.x, code.y)
            bar_height = code.height / DPMM * mm
            bottom = top if code.baseline else top - bar_height
            if code.human_readable and code.symbology not in TWO_D:
                bottom -= 3 * mm  # the interpretation line under the bars
            barcode(
                canvas, code.symbology, code.data, x=left, y=bottom, height=bar_height,
                module=code.module / DPMM * mm, max_width=width - left,
                human_readable=code.human_readable,
            )  # fmt: skip
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


_ROTATION = {"N": 0, "R": -90, "I": 180, "B": 90}


def _draw_text(canvas: Canvas, item: ZplText, at: object, page_width: float, font: str) -> None:
    assert callable(at)
    left, top = at(item.x, item.y)
    size = item.height / DPMM * mm  # a ZPL font height in dots ≈ the em size
    canvas.saveState()
    canvas.translate(left, top)
    canvas.rotate(_ROTATION.get(item.orientation, 0))
    room = (item.block_width / DPMM * mm) if item.block_width else page_width - left
    lines = (
        simpleSplit(item.text, font, size * 0.85, room)[: item.block_lines]
        if item.block_width
        else [item.text]
    )
    y = 0.0 if item.baseline else -size * 0.8
    for line in lines:
        draw_fitted(canvas, 0, y, line, font, size * 0.85, max(room, 10 * mm))
        y -= size
    canvas.restoreState()
