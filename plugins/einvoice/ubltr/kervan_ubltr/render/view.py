"""What a printed document shows, independent of PDF or HTML.

A :class:`DocumentView` is plain text arranged in the blocks every GİB-style document has:
issuer, counterpart, logo text and QR, document info, a lines table, totals, notes. The PDF
and HTML renderers lay the same view out, so both always say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Align = Literal["left", "right", "center"]


@dataclass(frozen=True, slots=True)
class Block:
    """A titled block of text lines (a party, a delivery address, an internet-sale box)."""

    title: str
    lines: list[str]
    heading: str = ""  # bold first line, e.g. the party's name


@dataclass(frozen=True, slots=True)
class Column:
    """A lines-table column: its header, share of the table width and alignment."""

    title: str
    width: float
    align: Align = "left"


@dataclass(frozen=True, slots=True)
class TotalRow:
    label: str
    value: str
    strong: bool = False


@dataclass(slots=True)
class DocumentView:
    """Everything one printed document shows, already formatted."""

    title: str  # e.g. "e-FATURA", "e-ARŞİV FATURA", "e-İRSALİYE", "GİDER PUSULASI"
    number: str
    issuer: Block
    counterpart: Block
    info: list[tuple[str, str]]
    columns: list[Column]
    rows: list[list[str]]
    qr_payload: str | None = None
    extra_blocks: list[Block] = field(default_factory=list)
    totals: list[TotalRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sections: list[Block] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
    ettn: str | None = None
    amount_words: str | None = None  # "Yalnız ... TL ... Kr", printed under the totals
