"""The order steps up to the invoice: reserve, classify; and accept at the marketplace.

(The invoice steps are in :mod:`kervan.engine.invoice`.)

Each step reads the record it is given, asks the remote, and returns the change: the order's
new state with every write it implies (:class:`~.change.Change`); the engine commits it in one
transaction with the order's CAS. Every step is safe to run again: it checks what is already
done first, and the remote calls it makes are idempotent at the connector.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .. import tax
from ..domain import OrderState
from ..errors import KervanError, UnsupportedOperationError
from ..roles import OrderSource, Registration, TaxClassifier
from . import registrations, stock
from .change import Change
from .context import StepContext
from .records import OrderRecord

HOLD_BASE = timedelta(seconds=30)
HOLD_MAX = timedelta(minutes=30)


def ctx_backoff(now: datetime, attempts: int) -> datetime:
    """When to try again after ``attempts`` failures: 30 s doubling, capped at 30 min."""
    return now + min(HOLD_MAX, HOLD_BASE * (2 ** min(max(attempts, 1) - 1, 10)))


def hold(ctx: StepContext, rec: OrderRecord, step: str, reason: str) -> None:
    """Put the order on hold for ``step`` with a backoff; the reconciler brings it back."""
    rec.attempts += 1
    now = ctx.clock()
    rec.due_at = ctx_backoff(now, rec.attempts)
    rec.order.state = OrderState.ON_HOLD
    rec.order.hold_reason = reason
    rec.hold_step = step
    ctx.note(rec, step, "held", reason, retry_in_s=int((rec.due_at - now).total_seconds()))


def clear_hold(rec: OrderRecord) -> None:
    """A held step went through (the commit plans the next due time)."""
    rec.order.hold_reason = None
    rec.hold_step = None


def source_of(ctx: StepContext, rec: OrderRecord) -> OrderSource:
    """The order source (marketplace) connector ``rec`` came from."""
    return ctx.connector(rec.order.connection_id, OrderSource, "order source")


async def reserve(ctx: StepContext, rec: OrderRecord) -> Change:
    shortages, unmanaged, need, moves = stock.reserve(ctx.store, rec)
    if shortages:
        hold(ctx, rec, "reserve", "out of stock: " + "; ".join(shortages))
        return Change(rec)
    clear_hold(rec)
    rec.reserved = need
    rec.order.state = OrderState.STOCK_RESERVED
    data: dict[str, Any] = {"reserved": rec.reserved}
    if unmanaged:
        data["not_stock_managed"] = unmanaged
    ctx.note(rec, "reserve", "ok", None, **data)
    return Change(rec, stock=moves)


async def classify(ctx: StepContext, rec: OrderRecord) -> Change:
    order = rec.order
    lookup: Registration | tax.LookupFailed | None = None
    kept = None  # a registry answer kept from an earlier order of this buyer
    if tax.needs_lookup(order):
        lookup = kept = registrations.cached(ctx, order.buyer.tax_id)
        if kept is None:
            lookup = await _ask_registry(ctx, order.buyer.tax_id)
    chosen = rec.resolutions.get("alias") or {}
    decision = tax.decide(
        order,
        lookup,
        commercial=ctx.tenant.settings.efatura_profile == tax.COMMERCIAL_PROFILE,
        chosen_alias=chosen.get("alias") if chosen.get("status") == "chosen" else None,
    )
    also: list[tuple[str, str, dict[str, Any]]] = []
    if decision.hold:
        hold(ctx, rec, "classify", decision.reason)
        if decision.reason.startswith(tax.SEVERAL_ALIASES):
            # an operator's queue (GET /v1/alias-choices), most urgent ship-by first
            rec.resolutions["alias"] = {
                "status": "needed",
                "choices": decision.evidence.get("choices", []),
                "ship_by": order.ship_by.isoformat() if order.ship_by else None,
                "since": chosen.get("since") or ctx.clock().isoformat(),
            }
    else:
        clear_hold(rec)
        rec.decision = decision.model_dump(mode="json")
        order.state = OrderState.CLASSIFIED
        if isinstance(lookup, Registration) and kept is None:
            doc = registrations.keep(ctx, lookup, decision.kind)
            also = [doc] if doc else []
        ctx.note(
            rec,
            "classify",
            "ok",
            decision.reason,
            kind=str(decision.kind),
            profile=decision.profile,
            receiver_alias=decision.receiver_alias,
            **({"registry": f"kept answer of {kept.checked_at.isoformat()}"} if kept else {}),
        )
    return Change(rec, docs=also)


async def _ask_registry(ctx: StepContext, tax_id: str) -> Registration | tax.LookupFailed:
    classifier = ctx.connector(
        ctx.tenant.settings.default_classifier_connection, TaxClassifier, "classifier"
    )
    try:
        return await classifier.lookup(tax_id)
    except KervanError as exc:  # an outage is not an answer: the order waits
        return tax.LookupFailed(reason=f"{type(exc).__name__}: {exc.message}", at=ctx.clock())


async def accept(ctx: StepContext, rec: OrderRecord) -> Change:
    source = source_of(ctx, rec)
    if not rec.flags.accepted_remote:
        try:
            ref = await source.accept(rec.order)
            ctx.note(
                rec,
                "accept",
                "ok",
                f"accepted at {source.key}",
                request_id=ref.request_id,
                actor=source.key,
            )
        except UnsupportedOperationError as exc:
            ctx.note(rec, "accept", "skipped", exc.message)
        rec.flags.accepted_remote = True
    rec.order.state = OrderState.ACCEPTED
    return Change(rec)
