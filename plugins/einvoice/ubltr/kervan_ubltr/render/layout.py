"""Text primitives on a reportlab canvas: wrapped lines, titled blocks, label/value pairs, rows.

Every function returns the height it used so the caller can move its cursor. Positions are PDF
points with y growing upwards; ``top`` arguments are the upper edge of what is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from .view import Align, Block

SIZE, LEADING, PAD = 7.5, 9.5, 2.5
#: the smallest size a right-aligned (numeric) cell may shrink to so that it stays on one line
MIN_SIZE = 5.0


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy word wrap to ``width`` points; words longer than a line are cut by character."""
    if stringWidth(text, font, size) <= width:
        return [text]
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if stringWidth(candidate, font, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        while stringWidth(word, font, size) > width:
            cut = _fit(word, font, size, width)
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines or [""]


def _fit(word: str, font: str, size: float, width: float) -> int:
    """How many leading characters of ``word`` fit in ``width`` (at least one)."""
    for cut in range(len(word) - 1, 0, -1):
        if stringWidth(word[:cut], font, size) <= width:
            return cut
    return 1


class TextBox:
    """Draws text on one canvas with the document's two fonts."""

    def __init__(self, canvas: Canvas, regular: str, bold: str) -> None:
        self.c, self.regular, self.bold = canvas, regular, bold

    def line(
        self,
        x: float,
        y: float,
        text: str,
        size: float = SIZE,
        bold: bool = False,
        align: Align = "left",
    ) -> None:
        """One line of text with its baseline at ``y``."""
        self.c.setFont(self.bold if bold else self.regular, size)
        if align == "right":
            self.c.drawRightString(x, y, text)
        elif align == "center":
            self.c.drawCentredString(x, y, text)
        else:
            self.c.drawString(x, y, text)

    def block(self, x: float, top: float, width: float, block: Block) -> float:
        """A titled party/address block; returns its height."""
        y = top
        if block.title:
            y -= SIZE
            self.line(x, y, block.title, bold=True)
            y -= 3
        if block.heading:
            for piece in wrap(block.heading, self.bold, 9, width):
                y -= 10.5
                self.line(x, y, piece, size=9, bold=True)
        for text in block.lines:
            for piece in wrap(text, self.regular, SIZE, width):
                y -= LEADING
                self.line(x, y, piece)
        return top - y + 2

    def pairs(
        self, x: float, top: float, label_w: float, value_w: float, pairs: list[tuple[str, str]]
    ) -> float:
        """A bordered two-column label/value table (the document info box); returns its height."""
        y = top
        for label, value in pairs:
            height = self.row_height([label, value], [label_w, value_w], bold=True)
            self.row(
                x,
                y,
                [label_w, value_w],
                [label, value],
                ["left", "left"],
                height=height,
                bold_first=True,
            )
            y -= height
        return top - y

    def row_height(
        self,
        cells: Sequence[str],
        widths: Sequence[float],
        bold: bool = False,
        aligns: Sequence[Align] | None = None,
    ) -> float:
        """Height of a table row once each cell is wrapped to its column (right-aligned cells,
        the amounts, never wrap: they count as one line)."""
        font = self.bold if bold else self.regular
        aligns = aligns or ["left"] * len(cells)
        most = max(
            1 if align == "right" else len(wrap(text, font, SIZE, w - 2 * PAD))
            for text, w, align in zip(cells, widths, aligns, strict=True)
        )
        return most * LEADING + 2 * PAD

    def fitted_size(self, text: str, font: str, width: float) -> float:
        """:data:`SIZE`, or the size at which ``text`` fits ``width`` on one line (not below
        :data:`MIN_SIZE`): an amount is shrunk, never broken, so "TL" stays by its number."""
        natural = stringWidth(text, font, SIZE)
        if natural <= width:
            return SIZE
        return max(MIN_SIZE, SIZE * width / natural)

    def row(
        self,
        x: float,
        top: float,
        widths: Sequence[float],
        cells: Sequence[str],
        aligns: Sequence[Align],
        height: float,
        bold: bool = False,
        bold_first: bool = False,
        fill: tuple[float, float, float] | None = None,
    ) -> None:
        """One bordered table row with wrapped, aligned cells."""
        c = self.c
        total = sum(widths)
        c.setLineWidth(0.4)
        if fill is not None:
            c.setFillColorRGB(*fill)
            c.rect(x, top - height, total, height, stroke=1, fill=1)
            c.setFillColorRGB(0, 0, 0)
        else:
            c.rect(x, top - height, total, height, stroke=1, fill=0)
        left = x
        for index, (text, width, align) in enumerate(zip(cells, widths, aligns, strict=True)):
            if index:
                c.line(left, top, left, top - height)
            strong = bold or (bold_first and index == 0)
            font = self.bold if strong else self.regular
            anchor = {"left": left + PAD, "right": left + width - PAD, "center": left + width / 2}
            y = top - PAD - SIZE
            if align == "right":
                size = self.fitted_size(text, font, width - 2 * PAD)
                self.line(anchor[align], y, text, size=size, bold=strong, align=align)
            else:
                for piece in wrap(text, font, SIZE, width - 2 * PAD):
                    self.line(anchor[align], y, piece, bold=strong, align=align)
                    y -= LEADING
            left += width
