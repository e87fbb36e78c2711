"""Split rules: which lines of a package travel apart, as a pure function of their sizes.

A tenant's :class:`~kervan.domain.SplitRules` can ask for two things: no parcel above a size
(``max_parcel_desi``, compared with each line's desi or kilograms, whichever is larger, as
Turkish carriers bill), and some products always in a parcel of their own
(``ship_alone_skus``). :func:`plan_split` turns the lines of one package into groups of line
ids that keep those rules; the engine asks the marketplace for that split before invoicing.

:func:`plan_split` splits by line: a single line (any quantity) is never divided, so a line
larger than the limit on its own travels alone and over the limit. :func:`plan_parcels` also
divides such a line by quantity, for sources that can split that way (Trendyol's
``split-packages``); the engine falls back to the line plan for the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class LineSize:
    """One line as the rules see it: its id, its size (desi or kg × quantity), whether its
    product must travel alone, and its quantity (a line divides only by whole units)."""

    line_id: str
    size: Decimal
    alone: bool = False
    quantity: int = 1


#: a parcel of a quantity split: line id → how many of its units travel in it
Parcel = dict[str, int]


@dataclass(frozen=True)
class _Piece:
    line_id: str
    quantity: int
    size: Decimal
    rank: tuple[int, int]  # (the line's position in the package, the piece's index in it)


def _pieces(line: LineSize, position: int, max_size: Decimal | None, divide: bool) -> list[_Piece]:
    """The line whole, or (``divide``, over the limit, several units) cut into runs of as many
    units as fit within the limit, the last run taking the rest."""
    unit = line.size / line.quantity
    if not divide or max_size is None or line.size <= max_size or line.quantity < 2:
        return [_Piece(line.line_id, line.quantity, line.size, (position, 0))]
    per = max(1, int(max_size // unit))  # a unit over the limit travels on its own
    counts = [per] * (line.quantity // per) + ([line.quantity % per] if line.quantity % per else [])
    return [_Piece(line.line_id, n, unit * n, (position, i)) for i, n in enumerate(counts)]


def _plan(lines: list[LineSize], max_size: Decimal | None, divide: bool) -> list[Parcel] | None:
    position = {line.line_id: i for i, line in enumerate(lines)}
    groups: list[list[_Piece]] = []
    loose: list[_Piece] = []
    for line in lines:
        pieces = _pieces(line, position[line.line_id], max_size, divide)
        if line.alone:
            groups.extend([piece] for piece in pieces)
        else:
            loose.extend(pieces)
    if max_size is None:
        if loose:
            groups.append(loose)
    else:
        bins: list[list[_Piece]] = []
        totals: list[Decimal] = []
        for piece in sorted(loose, key=lambda p: (-p.size, p.rank)):
            for i, total in enumerate(totals):
                if total + piece.size <= max_size:
                    bins[i].append(piece)
                    totals[i] += piece.size
                    break
            else:
                bins.append([piece])
                totals.append(piece.size)
        groups.extend(bins)
    if len(groups) < 2:
        return None
    parcels = []
    for group in sorted(groups, key=lambda g: min(p.rank for p in g)):
        parcel: Parcel = {}
        for piece in sorted(group, key=lambda p: p.rank):
            parcel[piece.line_id] = parcel.get(piece.line_id, 0) + piece.quantity
        parcels.append(parcel)
    return parcels


def plan_split(lines: list[LineSize], max_size: Decimal | None) -> list[list[str]] | None:
    """Groups of line ids that keep the rules, or ``None`` when the package can stay whole.

    Lines that must travel alone get a group each. The others are packed first-fit by size,
    largest first, into as few groups as that finds, each within ``max_size`` (a line over it
    gets its own group). Groups list their lines in the package's order and come in the order
    of their first line, so the same package always gives the same plan."""
    parcels = _plan(lines, max_size, divide=False)
    return None if parcels is None else [list(parcel) for parcel in parcels]


def plan_parcels(lines: list[LineSize], max_size: Decimal | None) -> list[Parcel] | None:
    """Like :func:`plan_split`, but a line over ``max_size`` with several units is divided:
    into runs of as many units as fit, the last run taking the rest (and packed with the other
    lines like any of them). A ship-alone line's runs each travel on their own. Only a single
    unit can exceed the limit. ``None`` when the package can stay whole."""
    return _plan(lines, max_size, divide=True)


def divides_a_line(parcels: list[Parcel]) -> bool:
    """Whether some line travels in more than one parcel (a quantity split is needed)."""
    seen = [line_id for parcel in parcels for line_id in parcel]
    return len(seen) != len(set(seen))
