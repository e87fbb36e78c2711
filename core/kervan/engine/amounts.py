"""Reconciliation of the invoice with what the marketplace says the buyer paid.

(Placeholder seam: filled in by the reconciliation work of issue 16.)
"""

from __future__ import annotations

from .records import OrderRecord


def check(rec: OrderRecord) -> str | None:
    """Why ``rec``'s invoice may not be numbered (amounts differ), or None."""
    return None
