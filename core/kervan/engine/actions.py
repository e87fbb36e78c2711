"""Which of a person's actions apply to an order in the state it is in.

One pure rule for every caller: ``Engine.cancel`` / ``approve`` / ``retry`` / ``split`` ask
:func:`check_action` before they change anything, so the API answers 409 (``state_conflict``)
with the state and the reason instead of answering 200 and doing nothing, and a CLI or a
panel can ask :func:`action_problem` to grey a button out.

==========  ===================================================================================
action      applies when
==========  ===================================================================================
cancel      the parcel has not left with the carrier: not delivered or shipped (a return is
            needed then), not already cancelled, not replaced by a split. A failed order can
            be cancelled; one whose numbered invoice was rejected sends that invoice again
            first (every number taken reaches GİB), then withdraws it. Cancelling an order
            whose cancellation is under way runs the rest of it again.
approve     the tenant does not auto-approve and the order has not been approved or accepted at
            the marketplace yet: it waits for approval (``invoiced``) or will (before that).
retry       the order failed. One whose invoice was rejected builds it again from the order,
            with the same number and a new UUID, and sends it.
split       before invoicing (the lines are not on a document yet), once: not while the
            marketplace is making the packages of an earlier split.
resolve-    the order failed at the amounts check (its lines and what the marketplace says the
amounts     buyer paid differ) and no one has decided yet (``engine.amounts``).
==========  ===================================================================================

Whether a split *plan* fits the order's lines is another question (``lifecycle.split_problem``,
an invalid request: 422); this module only says whether the order is where the action needs it.
"""

from __future__ import annotations

from enum import StrEnum

from ..domain import OrderState
from ..errors import StateConflictError
from .lifecycle import SPLITTABLE
from .records import OrderRecord


class Action(StrEnum):
    CANCEL = "cancel"
    APPROVE = "approve"
    RETRY = "retry"
    SPLIT = "split"
    RESOLVE_AMOUNTS = "resolve-amounts"


_GONE_WITH_CARRIER = frozenset({OrderState.SHIPPED, OrderState.DELIVERED})
_BEFORE_ACCEPT = frozenset(
    {
        OrderState.RECEIVED,
        OrderState.ON_HOLD,
        OrderState.STOCK_RESERVED,
        OrderState.CLASSIFIED,
        OrderState.INVOICED,
    }
)


def action_problem(rec: OrderRecord, action: Action, *, auto_approve: bool = False) -> str | None:
    """Why ``action`` does not apply to ``rec`` now (None: it does). ``auto_approve``: the
    tenant's setting (with it on, there is nothing for a person to approve)."""
    return _RULES[action](rec, auto_approve)


def check_action(rec: OrderRecord, action: Action, *, auto_approve: bool = False) -> None:
    """Raise :class:`StateConflictError` when ``action`` does not apply to ``rec`` now."""
    problem = action_problem(rec, action, auto_approve=auto_approve)
    if problem is not None:
        raise StateConflictError(
            f"cannot {action} order {rec.order.id}: {problem}",
            order_id=rec.order.id,
            action=action.value,
            state=rec.order.state.value,
        )


def _closed(rec: OrderRecord) -> str | None:
    """The order is finished or going away: nothing but its cancellation applies."""
    if rec.order.state is OrderState.CANCELLED:
        return "it is cancelled"
    if rec.order.superseded:
        return "the packages of a split replaced it"
    if rec.order.source_cancelled:
        return "it is being cancelled"
    return None


def _cancel(rec: OrderRecord, _auto_approve: bool) -> str | None:
    order = rec.order
    if order.state is OrderState.CANCELLED:
        return "it is already cancelled"
    if order.superseded:
        return "the packages of a split replaced it; cancel those instead"
    # a failed order is judged by where it stopped
    where = rec.failed_from if order.state is OrderState.FAILED and rec.failed_from else order.state
    if where is OrderState.DELIVERED:
        return "it was delivered; take it back with a return instead"
    if where in _GONE_WITH_CARRIER or rec.flags.picked_up:
        return "the carrier has the parcel; once it is delivered or comes back, use a return"
    return None


def _approve(rec: OrderRecord, auto_approve: bool) -> str | None:
    closed = _closed(rec)
    if closed:
        return closed
    state = rec.order.state
    if state is OrderState.FAILED:
        return "it failed; retry it once the cause is fixed"
    if auto_approve:
        return "this tenant approves orders automatically"
    if rec.flags.approved:
        return "it is already approved"
    if rec.flags.split_requested:
        return "it waits for the packages of a split, which are approved on their own"
    if state not in _BEFORE_ACCEPT:
        return f"it is past approval ({state})"
    return None


def _retry(rec: OrderRecord, _auto_approve: bool) -> str | None:
    if rec.order.state is not OrderState.FAILED or rec.failed_from is None:
        return f"it has not failed (it is {rec.order.state})"
    return None


def _split(rec: OrderRecord, _auto_approve: bool) -> str | None:
    closed = _closed(rec)
    if closed:
        return closed
    if rec.flags.split_requested:
        return "a split was already asked for; its packages come with the next poll"
    if rec.order.state not in SPLITTABLE:
        return f"it is {rec.order.state}; a package can be split only before invoicing"
    return None


def _resolve_amounts(rec: OrderRecord, _auto_approve: bool) -> str | None:
    held = (rec.resolutions.get("amounts") or {}).get("status") == "held"
    if rec.order.state is not OrderState.FAILED or rec.failed_from is None:
        return f"it is not held for its amounts (it is {rec.order.state})"
    if not held:
        return "it failed for another reason (see last_error); retry it once that is fixed"
    return None


_RULES = {
    Action.CANCEL: _cancel,
    Action.APPROVE: _approve,
    Action.RETRY: _retry,
    Action.SPLIT: _split,
    Action.RESOLVE_AMOUNTS: _resolve_amounts,
}
