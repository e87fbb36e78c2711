"""Reconciliation of the invoice with what the marketplace says the buyer paid.

An invoice states the price actually charged (VUK 230). Before a number is taken,
:func:`check` compares the invoice's payable (Σ ``OrderLine.payable``, exactly what
:func:`kervan.invoicing.invoice_from_order` makes ``PayableAmount``) with the source's
``Order.source_payable``, to the kuruş. When they differ the order fails for a person with both
figures, and ``rec.resolutions["amounts"]`` keeps them structured.

A person resolves the hold with :func:`resolve` (``POST /v1/orders/{id}/resolve-amounts``):

``paid``
    invoice what the marketplace says the buyer paid: the difference is spread over the lines
    as seller discount (in proportion to each line's payable, largest remainder to the kuruş;
    a smaller discount, when the source says more, comes off the lines' discounts in
    proportion to them), so Σ payable equals the source's figure exactly; lines that come
    back as the source sent them, for the same two figures, are spread again by the check;
``lines``
    the person confirms the lines: a later check passes for exactly the two figures the
    decision was made for, and holds again if either changes.

Each decision is recorded (who, when, what, the note and the figures) in the resolution and on
the timeline; the order goes back to where it failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ..domain import Order, OrderLine, OrderState, TimelineEntry
from ..domain.money import KURUS, ZERO
from ..errors import InvalidInputError
from .actions import Action, check_action
from .records import ORDER, OrderRecord

if TYPE_CHECKING:
    from datetime import datetime

    from .engine import Engine

TOPIC = "amounts"


class Choice(StrEnum):
    """What a person decides for an order whose amounts differ."""

    PAID = "paid"
    LINES = "lines"


def lines_payable(order: Order) -> Decimal:
    """The invoice's payable: Σ of the lines' VAT-inclusive payable amounts."""
    return sum((line.payable for line in order.lines), ZERO)


def figures(order: Order) -> dict[str, str] | None:
    """The two figures and their difference (lines − source), or None when the source does
    not say what the buyer pays."""
    if order.source_payable is None:
        return None
    lines = lines_payable(order)
    return {
        "lines": str(lines),
        "source": str(order.source_payable),
        "difference": str(lines - order.source_payable),
        "currency": order.currency,
    }


def _decided(rec: OrderRecord, found: dict[str, str]) -> str | None:
    """The choice a person made for exactly these figures, if any."""
    decided = rec.resolutions.get(TOPIC) or {}
    if decided.get("lines") == found["lines"] and decided.get("source") == found["source"]:
        return decided.get("choice")
    return None


def check(rec: OrderRecord) -> str | None:
    """Why ``rec``'s invoice may not be numbered (amounts differ), or None.

    On a difference the figures are kept in ``rec.resolutions["amounts"]`` (``status``
    ``held``); an earlier decision made for other figures moves to its ``history``."""
    order = rec.order
    found = figures(order)
    choice = None if found is None else _decided(rec, found)
    if choice == Choice.PAID and order.source_payable is not None:
        # the lines came back as the source sent them (a re-delivery before stock was held):
        # the decision made for these very figures applies again
        order.lines = spread(order.lines, order.source_payable)
        return None
    if found is None or found["lines"] == found["source"] or choice == Choice.LINES:
        if is_held(rec):  # the figures came to agree (a re-delivery): no decision is pending
            rec.resolutions[TOPIC]["status"] = "cleared"
        return None
    message = (
        f"amounts differ: the lines add up to {found['lines']} {order.currency}, "
        f"{order.source} says the buyer paid {found['source']} {order.currency} "
        f"(difference {found['difference']}); resolve it with resolve-amounts "
        "(invoice what was paid, or confirm the lines)"
    )
    before = rec.resolutions.get(TOPIC) or {}
    history = list(before.get("history", []))
    if before.get("choice"):
        history.append({k: v for k, v in before.items() if k != "history"})
    rec.resolutions[TOPIC] = {"status": "held", **found, "source_name": order.source}
    if history:
        rec.resolutions[TOPIC]["history"] = history
    return message


def is_held(rec: OrderRecord) -> bool:
    """The order stopped at the amounts check and no one has decided yet."""
    return (rec.resolutions.get(TOPIC) or {}).get("status") == "held"


# -- resolution -------------------------------------------------------------------------------


def _shares(total_kurus: int, weights: Sequence[Decimal]) -> list[int]:
    """``total_kurus`` split in proportion to ``weights`` by the largest remainder (ties: the
    earlier line), so the shares add up to it exactly."""
    whole = sum(weights, ZERO)
    exact = [Decimal(total_kurus) * w / whole for w in weights]
    floors = [int(x) for x in exact]  # non-negative: int() floors
    left = total_kurus - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: floors[i] - exact[i])
    for i in order[:left]:
        floors[i] += 1
    return floors


def spread(lines: Sequence[OrderLine], target: Decimal) -> list[OrderLine]:
    """``lines`` with their discounts changed so that Σ payable == ``target`` exactly.

    More discount is spread in proportion to the lines' payables; less discount comes off the
    lines' discounts in proportion to them. Raises :class:`InvalidInputError` when no line
    can take it (a line would be negative, or the lines carry too little discount)."""
    current = sum((line.payable for line in lines), ZERO)
    extra = current - target  # the discount to add (negative: to take back)
    if extra == 0:
        return list(lines)
    cents = int(abs(extra) / KURUS)
    if extra > 0:
        if target < 0 or current <= 0:
            raise InvalidInputError(
                f"cannot invoice {target}: the lines would have to be negative",
                errors=[{"loc": ["invoice"], "msg": "the paid amount is below zero"}],
            )
        weights = [line.payable for line in lines]
    else:
        carried = sum((line.discount for line in lines), ZERO)
        if carried < abs(extra):
            raise InvalidInputError(
                f"cannot invoice {target}: it is {abs(extra)} above the lines, which carry only "
                f"{carried} of discount to take back; confirm the lines or correct the order "
                "at the marketplace",
                errors=[{"loc": ["invoice"], "msg": "the paid amount is above the list price"}],
            )
        weights = [line.discount for line in lines]
    sign = 1 if extra > 0 else -1
    out = []
    for line, share in zip(lines, _shares(cents, weights), strict=True):
        discount = line.discount + sign * share * KURUS
        if discount < 0 or discount > line.gross:  # guarded above; never write a bad line
            raise InvalidInputError(f"line {line.line_id}: the discount would not fit the line")
        out.append(OrderLine.model_validate({**line.model_dump(), "discount": discount}))
    return out


def resolve(rec: OrderRecord, choice: Choice, note: str, actor: str, now: datetime) -> None:
    """Apply a person's decision to a held order (pure: the caller commits ``rec``).

    Raises :class:`~kervan.errors.StateConflictError` when the order is not held for its
    amounts and :class:`InvalidInputError` when ``paid`` cannot be spread over the lines."""
    check_action(rec, Action.RESOLVE_AMOUNTS)
    found = figures(rec.order)
    held = rec.resolutions.get(TOPIC) or {}
    if found is None:  # the source stopped saying (a re-delivery): nothing left to compare
        found = {k: held[k] for k in ("lines", "source", "difference", "currency") if k in held}
    if choice is Choice.PAID and rec.order.source_payable is not None:
        rec.order.lines = spread(rec.order.lines, rec.order.source_payable)
    decision: dict[str, Any] = {
        "status": "resolved",
        **found,
        "source_name": rec.order.source,
        "choice": choice.value,
        "note": note,
        "by": actor,
        "at": now.isoformat(),
        "invoiced": str(lines_payable(rec.order)),
    }
    if held.get("history"):
        decision["history"] = held["history"]
    rec.resolutions[TOPIC] = decision
    what = (
        f"invoice what {rec.order.source} says was paid ({found.get('source')}): "
        f"{found.get('difference')} spread over the lines as discount"
        if choice is Choice.PAID
        else f"the lines ({found.get('lines')}) confirmed against {found.get('source')}"
    )
    assert rec.failed_from is not None  # check_action: it failed
    rec.order.state, rec.failed_from = rec.failed_from, None
    rec.attempts, rec.due_at, rec.waiting_for = 0, now, None
    rec.log(
        TimelineEntry(
            at=now,
            step="resolve_amounts",
            outcome="ok",
            actor=actor,
            message=f"{what}; note: {note}",
            data={k: v for k, v in decision.items() if k != "history"},
        )
    )


async def resolve_order(
    engine: Engine, tenant_id: str, order_id: str, choice: Choice, note: str, actor: str
) -> OrderState | None:
    """Record a person's decision on a held order (CAS-safe), then advance it."""
    ctx = engine.context(tenant_id, actor)

    def change(body: dict[str, Any]) -> dict[str, Any]:
        rec = OrderRecord.from_body(body)
        resolve(rec, choice, note, actor, ctx.clock())
        return rec.to_body()

    ctx.store.update(ORDER, order_id, change)
    return await engine.advance(tenant_id, order_id)
