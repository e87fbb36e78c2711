"""The order lifecycle as pure functions of the stored record.

:func:`due_steps` says which steps are due for an order now; the shell (``steps.py``) runs
them one at a time and plans again after each, so a crash between two steps only means the
plan is made again from what the store holds.

=================  =============================================  ==========================
state              due step                                       next state
=================  =============================================  ==========================
received           split by the tenant's rules (when it has any)  (replaced by new packages)
received           reserve stock                                  stock_reserved | on_hold
on_hold (stock)    reserve stock, when due                        stock_reserved | on_hold
stock_reserved     classify (lookup + tax decision)               classified | on_hold
on_hold (classify) classify, when due                             classified | on_hold
classified         issue invoice (draft, validated, no number)    invoiced
invoiced           accept at marketplace (tenant auto-approve)    accepted
accepted           create package                                 packaged
packaged           book carrier (quote, label)                    booked
booked…            carrier tracking moves it                      shipped → delivered
shipped…           tell the marketplace the tracking number       (same state)
booked… (the       follow the marketplace's carrier status        shipped → delivered
marketplace's
carrier)
any (cancelled at  cancel: void/cancel invoice, release stock,    cancelled
the source)        cancel shipment, ERP reversal event
=================  =============================================  ==========================

Invoice side-steps run beside the main line: an e-Arşiv or export invoice is numbered and
submitted as soon as its draft is made; an e-Fatura only once the carrier has picked the
parcel up. A numbered invoice always leaves (a cancellation waits for it). Once submitted, the
invoice goes to the marketplace (link or PDF).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from ..domain import DocumentKind, DocumentStatus, OrderState, TrackingStatus
from .records import OrderRecord


class Step(StrEnum):
    SPLIT = "split"
    RESERVE = "reserve"
    CLASSIFY = "classify"
    INVOICE = "invoice"
    SUBMIT_INVOICE = "submit_invoice"
    SEND_INVOICE = "send_invoice"
    ACCEPT = "accept"
    PACKAGE = "package"
    BOOK = "book"
    FOLLOW_SOURCE = "follow_source"
    SEND_TRACKING = "send_tracking"
    CANCEL = "cancel"


_HOLDABLE = frozenset({Step.RESERVE.value, Step.CLASSIFY.value, Step.INVOICE.value})
_FINAL = frozenset({OrderState.CANCELLED, OrderState.FAILED})
_INVOICED_OR_LATER = frozenset(
    {
        OrderState.INVOICED,
        OrderState.ACCEPTED,
        OrderState.PACKAGED,
        OrderState.BOOKED,
        OrderState.PACKED,
        OrderState.SHIPPED,
        OrderState.DELIVERED,
    }
)
_SUBMITTED = frozenset({DocumentStatus.QUEUED, DocumentStatus.ACCEPTED})


def due_steps(
    rec: OrderRecord, *, now: datetime, auto_approve: bool, split_rules: bool = False
) -> list[Step]:
    """The steps due for ``rec`` at ``now``, in the order they should run. ``split_rules``:
    the tenant has split rules, so a new package is checked against them first."""
    state = rec.order.state
    if state in _FINAL:
        return []
    if rec.order.source_cancelled or rec.order.superseded:
        if state is OrderState.DELIVERED:
            return []
        # a numbered invoice leaves before anything is withdrawn: its number is GİB's to see
        return [Step.SUBMIT_INVOICE] if must_leave(rec) else [Step.CANCEL]
    if rec.flags.split_requested:
        return []  # the source is replacing this package; nothing more happens to it
    if state is OrderState.ON_HOLD:
        if rec.due_at is not None and rec.due_at > now:
            return []
        held = rec.hold_step if rec.hold_step in _HOLDABLE else Step.CLASSIFY
        return [Step(held)]
    main = _MAIN_LINE.get(state)
    if main is Step.RESERVE and split_rules and not rec.flags.split_checked:
        main = Step.SPLIT
    steps = _invoice_side_steps(rec) if state in _INVOICED_OR_LATER else []
    if main is Step.ACCEPT and not (auto_approve or rec.flags.approved):
        main = None  # waits for a person (POST /v1/orders/{id}/approve)
    if main is not None:
        steps.append(main)
    if state in _SHIPPING and source_tracking_due(rec):
        steps.append(Step.FOLLOW_SOURCE)
    if tracking_due(rec):
        steps.append(Step.SEND_TRACKING)
    return steps


def tracking_due(rec: OrderRecord) -> bool:
    """Our carrier has the parcel and the marketplace has not been told its tracking
    number. It is told at pickup, not at booking: Trendyol's alternative delivery marks the
    package shipped the moment it hears, and a parcel still on our shelf is not shipped."""
    return (
        rec.flags.picked_up
        and not rec.flags.tracking_sent
        and not rec.flags.marketplace_shipment
        and rec.shipment_id is not None
        and rec.order.state in (OrderState.SHIPPED, OrderState.DELIVERED)
    )


_SHIPPING = frozenset({OrderState.BOOKED, OrderState.PACKED, OrderState.SHIPPED})
_PICKED = frozenset(
    {
        TrackingStatus.PICKED_UP,
        TrackingStatus.IN_TRANSIT,
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.DELIVERED,
    }
)


def source_tracking_due(rec: OrderRecord) -> bool:
    """The marketplace booked the carrier and reports progress the order has not taken yet."""
    if not rec.flags.marketplace_shipment:
        return False
    status = rec.order.carrier_status
    if status in _PICKED and not rec.flags.picked_up:
        return True
    return status is TrackingStatus.DELIVERED and rec.order.state is not OrderState.DELIVERED


_MAIN_LINE: dict[OrderState, Step] = {
    OrderState.RECEIVED: Step.RESERVE,
    OrderState.STOCK_RESERVED: Step.CLASSIFY,
    OrderState.CLASSIFIED: Step.INVOICE,
    OrderState.INVOICED: Step.ACCEPT,
    OrderState.ACCEPTED: Step.PACKAGE,
    OrderState.PACKAGED: Step.BOOK,
}


def must_leave(rec: OrderRecord) -> bool:
    """The invoice has a number but has not got through yet: it is submitted (again) before
    anything else happens to it, so every number taken reaches GİB."""
    status = rec.invoice_status
    if status is DocumentStatus.REJECTED:
        return True
    return status is DocumentStatus.ISSUED and not rec.flags.invoice_submitted


def _invoice_side_steps(rec: OrderRecord) -> list[Step]:
    status = rec.invoice_status
    if status is None:
        return []
    if status is DocumentStatus.REJECTED:
        return [Step.SUBMIT_INVOICE]  # sent again, same number, once a person fixed the cause
    if status in (DocumentStatus.DRAFT, DocumentStatus.ISSUED) and not rec.flags.invoice_submitted:
        # an e-Arşiv leaves at once; an e-Fatura once the carrier has the parcel (an e-Fatura
        # numbered before numbers waited for pickup still waits for it, unless cancelled)
        if rec.invoice_kind is not DocumentKind.EFATURA or rec.flags.picked_up:
            return [Step.SUBMIT_INVOICE]
        return []
    if status in _SUBMITTED and not rec.flags.invoice_sent:
        return [Step.SEND_INVOICE]
    return []


SPLITTABLE = frozenset(
    {OrderState.RECEIVED, OrderState.ON_HOLD, OrderState.STOCK_RESERVED, OrderState.CLASSIFIED}
)


def split_problem(rec: OrderRecord, groups: list[list[str]]) -> str | None:
    """Why the order cannot be split into ``groups`` of line ids now (None: it can).

    Only before invoicing: once a document carries the lines, splitting would need the
    document withdrawn first (cancel the order instead).
    """
    lines = [ln.line_id for ln in rec.order.lines]
    flat = [line for group in groups for line in group]
    if len(groups) < 2 or any(not g for g in groups):
        return "give at least two non-empty groups of line ids"
    if sorted(flat) != sorted(lines):
        return "the groups must name every line of the order exactly once"
    return None


def parcel_problem(rec: OrderRecord, parcels: list[dict[str, int]]) -> str | None:
    """Why the order cannot be split into ``parcels`` of ``{line id: quantity}`` now (None:
    it can). Each line's quantities across the parcels must add up to its own."""
    if len(parcels) < 2 or any(not parcel for parcel in parcels):
        return "give at least two non-empty parcels"
    wanted = {ln.line_id: ln.quantity for ln in rec.order.lines}
    given: dict[str, int] = {}
    for parcel in parcels:
        for line_id, quantity in parcel.items():
            if line_id not in wanted:
                return f"line {line_id} is not in the order"
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
                return f"line {line_id}: a quantity must be a whole number of at least 1"
            given[line_id] = given.get(line_id, 0) + quantity
    short = [f"{k} ({given.get(k, 0)} of {q})" for k, q in wanted.items() if given.get(k, 0) != q]
    if short:
        return "each line's quantities must add up to its own: " + ", ".join(short)
    return None


def cancel_plan(rec: OrderRecord) -> list[str]:
    """What cancelling this order must undo, in order; each is done once (flags.cancel_done)."""
    plan: list[str] = []
    if rec.invoice_id is not None:
        plan.append("invoice")
    if rec.shipment_id is not None or booking_in_flight(rec):
        plan.append("shipment")
    if rec.reserved and not rec.flags.stock_consumed:
        plan.append("stock")
    return [p for p in plan if p not in rec.flags.cancel_done]


def booking_in_flight(rec: OrderRecord) -> bool:
    """The book step may have reached our carrier without its commit landing (a crash or a
    concurrent write in between): packaged, no shipment recorded, and not the marketplace's
    own booking. A cancellation must then settle it at the carrier."""
    return (
        rec.order.state is OrderState.PACKAGED
        and rec.shipment_id is None
        and rec.flags.booking_started
    )


def invoice_cancel_action(profile: str | None, status: DocumentStatus | None) -> str:
    """How to withdraw the sales invoice on cancellation.

    a draft (never numbered, never left) → ``void``; numbered but not through yet →
    ``leave_first`` (it is submitted before it is withdrawn); an e-Arşiv submitted →
    ``cancel`` at the integrator; anything on the e-Fatura channel (TEMELFATURA,
    TICARIFATURA, IHRACAT) submitted → ``return_document``: an e-Fatura is never deleted, so
    it stays valid until the buyer's IADE invoice or a GİB cancellation is recorded, and
    only then do the books reverse the sale; already withdrawn → ``none``.
    """
    if status in (None, DocumentStatus.CANCELLED, DocumentStatus.VOIDED):
        return "none"
    if status is DocumentStatus.DRAFT:
        return "void"
    if status in (DocumentStatus.ISSUED, DocumentStatus.REJECTED):
        return "leave_first"
    if profile == "EARSIVFATURA":
        return "cancel"
    return "return_document"


class Waiting(StrEnum):
    """What an order with no due step waits for, outside Kervan."""

    APPROVAL = "approval"  # a person approves it (tenants that do not auto-approve)
    SPLIT = "split"  # the marketplace's replacement packages of a requested split
    INTEGRATOR = "integrator"  # GİB's answer on a submitted invoice (polled)
    PICKUP = "pickup"  # the carrier picks the parcel up (then a held e-Fatura leaves)
    DELIVERY = "delivery"  # the carrier delivers it
    OPERATOR = "operator"  # the order failed: a person fixes the cause and retries


def waiting_for(rec: OrderRecord, *, auto_approve: bool) -> Waiting | None:
    """Why nothing is due for ``rec``: what it waits for outside, or None when it is final
    (cancelled, delivered) or on hold (its ``due_at`` and ``hold_reason`` say when and why)."""
    state = rec.order.state
    if state is OrderState.FAILED:
        return Waiting.OPERATOR
    if state in (OrderState.CANCELLED, OrderState.ON_HOLD):
        return None
    if rec.flags.split_requested:
        return Waiting.SPLIT
    if rec.invoice_status is DocumentStatus.QUEUED and not rec.flags.invoice_sent:
        return Waiting.INTEGRATOR
    if state is OrderState.INVOICED and not (auto_approve or rec.flags.approved):
        return Waiting.APPROVAL
    if state in (OrderState.BOOKED, OrderState.PACKED):
        return Waiting.PICKUP
    if state is OrderState.SHIPPED:
        return Waiting.DELIVERY
    return None


def schedule(rec: OrderRecord, *, now: datetime, auto_approve: bool, split_rules: bool) -> None:
    """Set ``due_at`` and ``waiting_for`` from the plan, so due work is always findable: an
    order with a due step is due now (or at its hold's retry time); one with none has no due
    time and says what it waits for. Called on every commit of a step."""
    if rec.order.state is OrderState.ON_HOLD:
        rec.waiting_for = None
        if rec.due_at is None:  # a hold always has a retry time
            rec.due_at = now
        return
    if due_steps(rec, now=now, auto_approve=auto_approve, split_rules=split_rules):
        rec.due_at, rec.waiting_for = now, None
        return
    rec.due_at = None
    waiting = waiting_for(rec, auto_approve=auto_approve)
    rec.waiting_for = waiting.value if waiting else None
