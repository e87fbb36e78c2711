"""The outbox events the ERP flow reads, and the two it is the author of.

Every event is an ``outbox`` document: ``topic``, ``order_id``, ``invoice_id``, ``at`` (ISO
time; events are read oldest first) and ``done`` (every ERP connection has it). Per ERP
connection, ``sinks`` says how far that connection got (``done``, ``skipped``, ``waiting``,
``failed``).

* ``order.invoiced``: the sales invoice reached the integrator (written by the invoice step,
  :func:`invoiced_event`);
* ``order.settled``: the marketplace paid the order out (:func:`settled_event`);
* ``order.reverse``: the sale is undone, once its fiscal document really is cancelled
  (:func:`kervan.engine.fiscal_items.reversal_event`);
* ``claim.returned``: a return with its document (:mod:`kervan.claims.fiscal`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..roles import Settlement

INVOICED = "order.invoiced"
SETTLED = "order.settled"
REVERSE = "order.reverse"
RETURNED = "claim.returned"
TOPICS = (INVOICED, SETTLED, REVERSE, RETURNED)


def invoiced_event(order_id: str, invoice_id: str, now: datetime) -> tuple[str, dict[str, Any]]:
    """``(key, body)`` of the event that posts ``order_id``'s sale to the ERP."""
    body = {
        "topic": INVOICED,
        "order_id": order_id,
        "invoice_id": invoice_id,
        "done": False,
        "at": now.isoformat(),
    }
    return f"invoiced:{order_id}", body


def settled_event(
    order_id: str, invoice_id: str | None, settlement: Settlement, now: datetime
) -> tuple[str, dict[str, Any]]:
    """``(key, body)`` of the event that closes ``order_id``'s payment; one per payout."""
    body = {
        "topic": SETTLED,
        "order_id": order_id,
        "invoice_id": invoice_id,
        "amount": str(settlement.amount),
        "paid_on": settlement.paid_on.isoformat(),
        "reference": settlement.reference,
        "deductions": {k: str(v) for k, v in settlement.deductions.items()},
        "done": False,
        "at": now.isoformat(),
    }
    return f"settled:{order_id}:{settlement.reference}", body
