"""A :class:`~.view.DocumentView` laid out on A4 with the reportlab canvas.

The canvas API is used directly (no platypus): a page of an invoice is a few hundred strings and
lines at known positions. A typical 3-10 line invoice takes ~15 ms of CPU with rl-accel
installed (~19 ms without), QR encoding included, inside the 20 ms that 50 invoices per
second per core allows; ``bench/render.py`` measures it. Long tables break across pages; every
page carries "Sayfa n / N", with N filled in through a form drawn at the end.
"""

from __future__ import annotations

import io
import threading

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from .fonts import register_fonts
from .layout import LEADING, PAD, SIZE, TextBox, wrap
from .qr import dark_runs, qr_matrix
from .view import Block, DocumentView

PAGE_W, PAGE_H = A4
MARGIN = 28.0
CONTENT_W = PAGE_W - 2 * MARGIN
BOTTOM = 42.0  # lowest y body content may reach; the footer sits below it
QR_SIZE = 96.0
GREY = (0.9, 0.9, 0.9)
PAGE_COUNT_FORM = "kervanPageCount"
_RENDER_LOCK = threading.Lock()


def render_view_pdf(view: DocumentView, author: str = "Kervan") -> bytes:
    """Lay ``view`` out on as many A4 pages as it needs; return the PDF bytes.

    Safe to call from several threads: the shared font objects keep a read position while
    subsetting, so rendering is serialised by a lock. Rendering is pure CPU under the GIL, so
    the lock costs no throughput; use processes to render on more cores.
    """
    with _RENDER_LOCK:
        regular, bold = register_fonts()
        buffer = io.BytesIO()
        canvas = Canvas(
            buffer, pagesize=A4, invariant=1, pageCompression=1, initialFontName=regular
        )
        canvas.setTitle(f"{view.title} {view.number}")
        canvas.setAuthor(author)
        _Writer(canvas, view, TextBox(canvas, regular, bold)).draw()
        canvas.save()
    return buffer.getvalue()


class _Writer:
    """Keeps the vertical cursor and the page number while the view is drawn top to bottom."""

    def __init__(self, canvas: Canvas, view: DocumentView, box: TextBox) -> None:
        self.c, self.view, self.box = canvas, view, box
        self.y = PAGE_H - MARGIN
        self.page = 1

    def draw(self) -> None:
        self._first_header()
        self._table()
        self._totals()
        self._notes()
        for section in self.view.sections:
            self._section(section)
        self._signatures()
        self._footer()
        self._page_count_form()

    # -- pages -------------------------------------------------------------------------

    def ensure(self, height: float) -> bool:
        """Start a new page unless ``height`` still fits; True if a page was started."""
        if self.y - height >= BOTTOM:
            return False
        self._footer()
        self.c.showPage()
        self.page += 1
        self.y = PAGE_H - MARGIN
        title = f"{self.view.title}  {self.view.number}  (devam)"
        self.box.line(MARGIN, self.y - 10, title, size=9, bold=True)
        self.y -= 22
        return True

    def _footer(self) -> None:
        self.box.line(MARGIN, 22, f"{self.view.title}  No: {self.view.number}", size=7)
        label = f"Sayfa {self.page} / "
        x = PAGE_W - MARGIN - 14
        self.box.line(x, 22, label, size=7, align="right")
        self.c.saveState()
        self.c.translate(x, 22)
        self.c.doForm(PAGE_COUNT_FORM)
        self.c.restoreState()

    def _page_count_form(self) -> None:
        self.c.beginForm(PAGE_COUNT_FORM)
        self.box.line(0, 0, str(self.page), size=7)
        self.c.endForm()

    # -- header ------------------------------------------------------------------------

    def _first_header(self) -> None:
        top = self.y
        issuer_h = self.box.block(MARGIN, top, 230, self.view.issuer)
        middle_h = self._qr_and_title(top)
        self.y = top - max(issuer_h, middle_h) - 8
        self.c.setLineWidth(0.6)
        self.c.line(MARGIN, self.y, PAGE_W - MARGIN, self.y)
        top = self.y - 6
        party_h = self.box.block(MARGIN, top, 270, self.view.counterpart)
        info_h = self.box.pairs(PAGE_W - MARGIN - 255, top, 88, 167, self.view.info)
        self.y = top - max(party_h, info_h) - 8
        if self.view.extra_blocks:
            width = CONTENT_W / len(self.view.extra_blocks)
            heights = [
                self.box.block(MARGIN + i * width, self.y, width - 8, block)
                for i, block in enumerate(self.view.extra_blocks)
            ]
            self.y -= max(heights) + 8

    def _qr_and_title(self, top: float) -> float:
        centre = PAGE_W / 2
        if self.view.qr_payload is None:  # no karekod: the title takes the top-right corner
            right = PAGE_W - MARGIN
            self.box.line(right, top - 16, self.view.title, size=14, bold=True, align="right")
            return 24
        x = centre - QR_SIZE / 2
        draw_qr(self.c, self.view.qr_payload, x, top - QR_SIZE, QR_SIZE)
        self.box.line(
            centre, top - QR_SIZE - 13, self.view.title, size=11, bold=True, align="center"
        )
        return QR_SIZE + 18

    # -- body --------------------------------------------------------------------------

    def _table(self) -> None:
        columns = self.view.columns
        widths = [col.width * CONTENT_W for col in columns]
        aligns = [col.align for col in columns]
        header = [col.title for col in columns]
        header_h = self.box.row_height(header, widths, bold=True)  # headers may wrap
        self.ensure(header_h + LEADING * 2)
        self.box.row(MARGIN, self.y, widths, header, aligns, bold=True, height=header_h, fill=GREY)
        self.y -= header_h
        for cells in self.view.rows:
            height = self.box.row_height(cells, widths, aligns=aligns)
            if self.ensure(height):
                self.box.row(
                    MARGIN, self.y, widths, header, aligns, bold=True, height=header_h, fill=GREY
                )
                self.y -= header_h
            self.box.row(MARGIN, self.y, widths, cells, aligns, height=height)
            self.y -= height
        self.y -= 8

    def _totals(self) -> None:
        if not self.view.totals:
            return
        label_w, value_w = 170.0, 110.0
        x = PAGE_W - MARGIN - label_w - value_w
        row_h = LEADING + 2 * PAD
        self.ensure(row_h * len(self.view.totals))
        for total in self.view.totals:
            cells = [total.label, total.value]
            self.box.row(
                x,
                self.y,
                [label_w, value_w],
                cells,
                ["right", "right"],
                bold=total.strong,
                height=row_h,
                fill=GREY if total.strong else None,
            )
            self.y -= row_h
        if self.view.amount_words:
            self._amount_words(self.view.amount_words)
        self.y -= 8

    def _amount_words(self, words: str) -> None:
        """The payable amount in words, right under the totals, in bold (one line or more)."""
        self.y -= 4
        for piece in wrap(words, self.box.bold, SIZE, CONTENT_W):
            self.ensure(LEADING)
            self.box.line(PAGE_W - MARGIN, self.y - SIZE, piece, bold=True, align="right")
            self.y -= LEADING

    def _notes(self) -> None:
        if self.view.notes:
            self._paragraphs("Notlar", [f"• {note}" for note in self.view.notes])

    def _section(self, block: Block) -> None:
        lines = ([block.heading] if block.heading else []) + block.lines
        self._paragraphs(block.title, lines)

    def _paragraphs(self, title: str, lines: list[str]) -> None:
        self.ensure(LEADING * 3)
        self.box.line(MARGIN, self.y - SIZE, title, bold=True)
        self.y -= LEADING + 2
        for line in lines:
            for piece in wrap(line, self.box.regular, SIZE, CONTENT_W):
                self.ensure(LEADING)
                self.box.line(MARGIN, self.y - SIZE, piece)
                self.y -= LEADING
        self.y -= 6

    def _signatures(self) -> None:
        if not self.view.signatures:
            return
        height = 70.0
        self.ensure(height)
        width = CONTENT_W / len(self.view.signatures)
        for i, label in enumerate(self.view.signatures):
            x = MARGIN + i * width
            self.c.rect(x + 4, self.y - height, width - 8, height, stroke=1, fill=0)
            self.box.line(x + width / 2, self.y - 12, label, bold=True, align="center")
        self.y -= height + 8


def draw_qr(canvas: Canvas, payload: str, x: float, y: float, size: float) -> None:
    """Draw ``payload`` as a QR code with its 4-module quiet zone in the square at (x, y).

    The modules are written as raw path operators in module units under one scaling ``cm``:
    integers format much faster than reportlab's per-coordinate float formatting, and the
    ~2,000 rectangles of an invoice QR stay a small part of the page time.
    """
    matrix = qr_matrix(payload)
    count = len(matrix)
    module = size / (count + 8)
    # y flips: row 0 is the top row; module units, origin at the matrix's lower-left corner
    ops = "".join(f"{col} {count - row - 1} {run} 1 re " for row, col, run in dark_runs(matrix))
    origin_x, origin_y = x + 4 * module, y + 4 * module
    canvas.addLiteral(
        f"q 0 g {module:.5f} 0 0 {module:.5f} {origin_x:.3f} {origin_y:.3f} cm {ops}f Q"
    )
