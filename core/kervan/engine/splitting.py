"""Split rules: which lines of a package travel apart, as a pure function of their sizes.

A tenant's :class:`~kervan.domain.SplitRules` can ask for two things: no parcel above a size
(``max_parcel_desi``, compared with each line's desi or kilograms, whichever is larger, as
Turkish carriers bill), and some products always in a parcel of their own
(``ship_alone_skus``). :func:`plan_split` turns the lines of one package into groups of line
ids that keep those rules; the engine asks the marketplace for that split before invoicing.

The split is by line: a single line (any quantity) is never divided, so a line larger than
the limit on its own travels alone and over the limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class LineSize:
    """One line as the rules see it: its id, its size (desi or kg × quantity) and whether
    its product must travel alone."""

    line_id: str
    size: Decimal
    alone: bool = False


def plan_split(lines: list[LineSize], max_size: Decimal | None) -> list[list[str]] | None:
    """Groups of line ids that keep the rules, or ``None`` when the package can stay whole.

    Lines that must travel alone get a group each. The others are packed first-fit by size,
    largest first, into as few groups as that finds, each within ``max_size`` (a line over it
    gets its own group). Groups list their lines in the package's order and come in the order
    of their first line, so the same package always gives the same plan."""
    position = {line.line_id: i for i, line in enumerate(lines)}
    groups: list[list[LineSize]] = [[line] for line in lines if line.alone]
    rest = [line for line in lines if not line.alone]
    if max_size is None:
        if rest:
            groups.append(rest)
    else:
        bins: list[list[LineSize]] = []
        totals: list[Decimal] = []
        for line in sorted(rest, key=lambda ln: (-ln.size, position[ln.line_id])):
            for i, total in enumerate(totals):
                if total + line.size <= max_size:
                    bins[i].append(line)
                    totals[i] += line.size
                    break
            else:
                bins.append([line])
                totals.append(line.size)
        groups.extend(bins)
    if len(groups) < 2:
        return None
    ordered = [sorted((ln.line_id for ln in g), key=position.__getitem__) for g in groups]
    return sorted(ordered, key=lambda g: position[g[0]])
