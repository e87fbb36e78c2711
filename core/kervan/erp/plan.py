"""What one outbox event asks of one ERP connection, given what that connection already has
for the order: a pure function, so the order of postings is easy to test exhaustively.

The rules (issue 21):

* an invoiced order gets its customer card, then its sales invoice;
* a settlement closes the payment, once per payout, and only after the invoice is posted and
  while the sale stands (a reversed sale takes no payment);
* a cancellation reverses the sale, only if it was posted (nothing to undo otherwise);
* a return posts the gider pusulası (``expense_voucher`` route) or the return against the
  posted invoice; an e-Arşiv cancelled because all came back is the sale's reversal; a
  return with no fiscal document posts nothing.

Keys name a posting within the order (``customer``, ``invoice``, ``payment:<payout>``,
``reversal``, ``return:<claim>``, ``expense_voucher:<claim>``); the flow keeps them on the
order with the ERP's reference for each.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from .events import INVOICED, RETURNED, REVERSE, SETTLED

KINDS = ("customer", "invoice", "payment", "reversal", "return", "expense_voucher")


@dataclass(frozen=True)
class Posting:
    kind: str
    key: str


@dataclass(frozen=True)
class Plan:
    """The postings still to make, in order; or why the event waits or posts nothing."""

    postings: tuple[Posting, ...] = ()
    wait: str | None = None
    skip: str | None = None


CUSTOMER, INVOICE, REVERSAL = (
    Posting("customer", "customer"),
    Posting("invoice", "invoice"),
    Posting("reversal", "reversal"),
)


def _todo(wanted: list[Posting], posted: Collection[str]) -> Plan:
    return Plan(tuple(p for p in wanted if p.key not in posted))


def plan(event: Mapping[str, Any], posted: Collection[str]) -> Plan:
    """The plan for ``event`` on a connection that has the postings ``posted`` (keys)."""
    topic = event.get("topic")
    invoiced = INVOICE.key in posted
    if topic == INVOICED:
        if REVERSAL.key in posted:
            return Plan(skip="the sale was already reversed")
        return _todo([CUSTOMER, INVOICE], posted)
    if topic == SETTLED:
        if REVERSAL.key in posted:
            return Plan(skip="the sale was reversed: no payment is closed against it")
        if not invoiced:
            return Plan(wait="the sales invoice is not posted yet")
        return _todo([Posting("payment", f"payment:{event['reference']}")], posted)
    if topic == REVERSE:
        if not invoiced:
            return Plan(skip="nothing was posted, so nothing is reversed")
        return _todo([REVERSAL], posted)
    if topic == RETURNED:
        return _returned(event, posted, invoiced)
    return Plan(skip=f"not an ERP event ({topic})")


def _returned(event: Mapping[str, Any], posted: Collection[str], invoiced: bool) -> Plan:
    route, claim = event.get("route"), event.get("claim_id")
    if route == "none":
        return Plan(skip="the return has no fiscal document")
    if not invoiced:
        return Plan(wait="the sales invoice is not posted yet")
    if route == "earsiv_cancelled":
        return _todo([REVERSAL], posted)
    if REVERSAL.key in posted:
        return Plan(skip="the sale was already reversed")
    if route == "expense_voucher":
        return _todo([Posting("expense_voucher", f"expense_voucher:{claim}")], posted)
    return _todo([Posting("return", f"return:{claim}")], posted)
