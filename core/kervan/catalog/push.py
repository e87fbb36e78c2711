"""Stock and price pushes: every due product to every listing, coalesced and batched per channel.

A movement that changes what a product can sell marks it ``stock_due`` (in the movement's own
transaction, :func:`kervan.engine.stock.mark_due`). :func:`push_due` takes the due marks,
works out each listing's figure from the ledger at that moment, and sends one
``push_stock`` call per channel with every listing that changed (the connector batches within
its remote's limits, e.g. 1,000 items a call for Trendyol, and reads the per-item results
back). However many times a product moved since the last run, a channel gets its latest figure
once.

What a listing is sent: ``min(max(available − buffer, 0), cap)``, where available = on hand −
reserved − safety (never below zero) and the buffer and cap are the listing's own or its
channel's (:class:`ChannelPolicy`). Its price is the channel's pricing rule's quote, unless the
tenant turned price pushes off. Each listing keeps what it was last sent, when, from which
ledger figures, with which buffer and cap, and the remote's answer (``last_push``), so the API
can say why a channel shows a number.

A listing whose item failed keeps its product due: it is retried with a growing delay (30 s
doubling to 15 minutes; Trendyol refuses an identical request repeated within 15 minutes). A
listing that failed :data:`FLAG_AFTER` times in a row is flagged for an operator and still
retried. A mark is removed only when every listing of its product holds its figure and the
product did not move again while the push was out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .. import lease as leases
from ..connections import CONNECTION
from ..domain import ProductCard, StockUpdate, StockUpdateResult
from ..engine.context import StepContext
from ..engine.records import CHANNEL_POLICY, LISTING, PRODUCT, STOCK, STOCK_DUE, sortable
from ..engine.stock import Figures, figures
from ..errors import KervanError, NotFoundError
from ..pricing import BasePrices, PricingRule, Quote, quote
from ..roles import OrderSource
from ..store.port import Doc, Query, TenantStore, declare_kind

log = logging.getLogger("kervan.catalog.push")

#: consecutive failures after which a listing is flagged for an operator
FLAG_AFTER = 5
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(minutes=15)
#: products taken per run (a run is cheap to repeat; the rest go next run)
RUN_LIMIT = 20_000
_IN_CHUNK = 500
#: one document per tenant: the push run under way
LEASE, PUSH_LEASE = "lease", "stock-push"
#: how long a lease holds unrenewed: a run that died blocks the tenant's pushes this long
LEASE_FOR = timedelta(minutes=5)
#: how often a live run renews its lease, in real seconds (a run waiting minutes for
#: Trendyol's batch results must not lose it to a second run that would send it all again)
RENEW_EVERY_S = 60.0
declare_kind(LEASE, ())


class ChannelPolicy(BaseModel):
    """How one channel (connection) is fed from the catalog."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    push_stock: bool = Field(default=True, description="send stock figures to this channel")
    buffer: int = Field(
        default=0,
        ge=0,
        description="units held back from this channel (shown = available − buffer)",
    )
    cap: int | None = Field(
        default=None, ge=0, description="show at most this many on the channel ('at most 5')"
    )
    pricing: PricingRule | None = Field(
        default=None, description="this channel's pricing rule; none: prices are not sent"
    )


def policy_of(store: TenantStore, connection_id: str) -> ChannelPolicy:
    doc = store.get(CHANNEL_POLICY, connection_id)
    return ChannelPolicy() if doc is None else ChannelPolicy.model_validate(doc.body)


def base_prices(card: ProductCard | None) -> BasePrices:
    if card is None:
        return BasePrices()
    return BasePrices(erp=card.erp_price, list=card.list_price, sale=card.sale_price)


def shown(held: Figures, buffer: int, cap: int | None) -> int:
    """The figure a channel is sent: available − buffer, not below zero, at most the cap."""
    value = max(held.available - buffer, 0)
    return value if cap is None else min(value, cap)


@dataclass
class Planned:
    """One listing's figure and price for this run, and what they came from."""

    key: str
    product_id: str
    update: StockUpdate
    record: dict[str, Any]


@dataclass
class PushReport:
    products: int = 0
    listings: int = 0
    sent: int = 0
    ok: int = 0
    failed: int = 0
    flagged: list[str] = field(default_factory=list)
    by_channel: dict[str, int] = field(default_factory=dict)
    #: another run held the tenant's push; this one did nothing
    busy: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "products": self.products,
            "listings": self.listings,
            "sent": self.sent,
            "ok": self.ok,
            "failed": self.failed,
            "flagged": list(self.flagged),
            "by_channel": dict(self.by_channel),
            "busy": self.busy,
        }


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def plan_listing(
    key: str,
    listing: dict[str, Any],
    held: Figures,
    policy: ChannelPolicy,
    card: ProductCard | None,
    push_prices: bool,
) -> Planned | None:
    """The update a listing is due (``None``: it already holds exactly that)."""
    own_buffer = listing.get("buffer")
    buffer = int(own_buffer) if own_buffer is not None else policy.buffer
    cap_value = listing.get("cap") if listing.get("cap") is not None else policy.cap
    cap = None if cap_value is None else int(cap_value)
    quantity = shown(held, buffer, cap)
    priced: Quote | None = None
    if push_prices and policy.pricing is not None:
        priced = quote(policy.pricing, base_prices(card))
    sale = priced.sale_price if priced is not None else None
    listed = priced.list_price if priced is not None and sale is not None else None
    record: dict[str, Any] = {
        "quantity": quantity,
        "sale_price": _money(sale),
        "list_price": _money(listed),
        "figures": held.as_dict(),
        "buffer": buffer,
        "cap": cap,
    }
    if priced is not None:
        record["price_steps"] = list(priced.steps)
        if priced.reason:
            record["price_reason"] = priced.reason
    held_now = listing.get("pushed") or {}
    if (
        held_now.get("quantity") == quantity
        and held_now.get("sale_price") == record["sale_price"]
        and held_now.get("list_price") == record["list_price"]
    ):
        return None
    update = StockUpdate(
        barcode=str(listing["barcode"]), quantity=quantity, sale_price=sale, list_price=listed
    )
    return Planned(key, str(listing["product_id"]), update, record)


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i : i + _IN_CHUNK] for i in range(0, len(items), _IN_CHUNK)]


def _listings_of(store: TenantStore, product_ids: list[str]) -> list[Doc]:
    out: list[Doc] = []
    for chunk in _chunks(product_ids):
        out.extend(store.query(Query(LISTING, {"product_id": chunk})))
    return out


def _retry_at(now: datetime, attempts: int) -> datetime:
    delay = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return now + min(delay, LAST_RETRY)


async def push_due(
    ctx: StepContext, *, limit: int = RUN_LIMIT, product_ids: list[str] | None = None
) -> PushReport:
    """One run: send every due product's figure to every listing that does not hold it. A run
    that finds another one under way for the tenant does nothing (``busy``)."""
    async with one_run_at_a_time(ctx.store, ctx.clock) as mine:
        if not mine:
            return PushReport(busy=True)
        return await _push_due(ctx, limit, product_ids)


async def _push_due(ctx: StepContext, limit: int, product_ids: list[str] | None) -> PushReport:
    store = ctx.store
    now = ctx.clock()
    if product_ids is None:
        due = store.query(
            Query(
                STOCK_DUE, range=("next_at", None, sortable(now)), order_by="next_at", limit=limit
            )
        )
    else:
        due = list(store.get_many(STOCK_DUE, product_ids).values())
    report = PushReport(products=len(due))
    if not due:
        return report
    marks = {d.key: d for d in due}
    pids = list(marks)
    stocks = store.get_many(STOCK, pids)
    merged = {k: str(d.body["merged_into"]) for k, d in stocks.items() if d.body.get("merged_into")}
    if merged:  # a listing imported while its card was merged away: the merged card's figure
        stocks.update(
            (src, doc)
            for src, target in merged.items()
            if (doc := store.get(STOCK, target)) is not None
        )
    listings = _listings_of(store, pids)
    report.listings = len(listings)
    policies: dict[str, ChannelPolicy] = {}
    push_prices = ctx.tenant.settings.push_prices
    cards: dict[str, ProductCard] = {}
    if push_prices:
        cards = {
            key: ProductCard.model_validate(doc.body)
            for key, doc in store.get_many(PRODUCT, pids).items()
        }
    plans: dict[str, list[Planned]] = defaultdict(list)
    for doc in listings:
        conn = str(doc.body["connection_id"])
        policy = policies.get(conn)
        if policy is None:
            policy = policies[conn] = policy_of(store, conn)
            if policy.push_stock and not _takes_stock(ctx, conn):
                policy = policies[conn] = policy.model_copy(update={"push_stock": False})
        if not policy.push_stock:
            continue
        pid = str(doc.body["product_id"])
        stock_doc = stocks.get(pid)
        planned = plan_listing(
            doc.key,
            doc.body,
            figures(stock_doc.body if stock_doc else None),
            policy,
            cards.get(pid),
            push_prices,
        )
        if planned is not None:
            plans[conn].append(planned)
    failed_products: dict[str, int] = {}
    # every channel at once: one slow channel (or one waiting for its batch results) must not
    # hold the others' figures back
    channels = list(plans.items())
    answers = await asyncio.gather(*(_send(ctx, conn, items) for conn, items in channels))
    for (conn, items), results in zip(channels, answers, strict=True):
        _record(store, items, results, now, report)
        report.by_channel[conn] = len(items)
        for item in items:
            if not results[item.update.barcode].ok:
                failed_products[item.product_id] = failed_products.get(item.product_id, 0) + 1
    _settle_marks(store, marks, failed_products, now)
    return report


def one_run_at_a_time(
    store: TenantStore, clock: Callable[[], datetime]
) -> AbstractAsyncContextManager[bool]:
    """A lease on the tenant's push (:func:`kervan.lease.held`): ``True`` when this run holds
    it. Two runs at once would send the same figures twice (Trendyol refuses an identical
    request within 15 minutes, and both would count the other's work as failed). A live run
    renews its lease every :data:`RENEW_EVERY_S` for another :data:`LEASE_FOR`, however long
    it waits on its channels; a run that died keeps it only until :data:`LEASE_FOR` has
    passed."""
    return leases.held(
        store,
        LEASE,
        PUSH_LEASE,
        length=LEASE_FOR,
        clock=clock,
        renew_every_s=RENEW_EVERY_S,
        what="stock push",
    )


def _takes_stock(ctx: StepContext, connection_id: str) -> bool:
    """Whether the channel is sent stock at all: not when its connection is disabled or
    gone, nor when its connector has no stock API (an order source without one); such a
    channel's listings are left alone rather than failed forever. A connection that exists
    but cannot be built counts as taking stock: the push then says why it failed."""
    conn = ctx.store.get(CONNECTION, connection_id)
    if conn is not None and not conn.body.get("enabled", True):
        return False
    try:
        source = ctx.connector(connection_id, OrderSource, "order source")
    except NotFoundError:
        return False
    except KervanError:
        return True
    return type(source).push_stock is not OrderSource.push_stock


async def _send(
    ctx: StepContext, connection_id: str, planned: list[Planned]
) -> dict[str, StockUpdateResult]:
    """One call per channel; a channel that cannot be reached fails each item with why."""
    updates = [p.update for p in planned]
    try:
        source = ctx.connector(connection_id, OrderSource, "order source")
        answers = await source.push_stock(updates)
        by_barcode = {a.barcode: a for a in answers}
    except KervanError as exc:
        log.warning("stock push to %s failed: %s", connection_id, exc.message)
        with contextlib.suppress(KervanError):  # the connection may be gone meanwhile
            ctx.health.failure(ctx.tenant.id, connection_id, f"stock push: {exc.message}")
        by_barcode = {}
        reason = exc.message
    else:
        reason = "the channel did not report this item"
    return {
        u.barcode: by_barcode.get(u.barcode)
        or StockUpdateResult(barcode=u.barcode, ok=False, errors=[reason])
        for u in updates
    }


def _record(
    store: TenantStore,
    planned: list[Planned],
    results: dict[str, StockUpdateResult],
    now: datetime,
    report: PushReport,
) -> None:
    """Each listing's push, as sent and as answered, in one transaction per channel."""
    with store.transaction() as tx:
        for item in planned:
            result = results[item.update.barcode]
            doc = tx.get(LISTING, item.key)
            if doc is None:
                continue
            body = dict(doc.body)
            attempt = {
                **item.record,
                "at": now.isoformat(),
                "ok": result.ok,
                "answer": list(result.errors) if result.errors else ["accepted"],
            }
            body["last_push"] = attempt
            report.sent += 1
            if result.ok:
                report.ok += 1
                body["pushed"] = attempt
                body["failures"] = 0
                body["flagged"] = False
            else:
                report.failed += 1
                body["failures"] = int(body.get("failures") or 0) + 1
                if body["failures"] >= FLAG_AFTER and not body.get("flagged"):
                    body["flagged"] = True
                    report.flagged.append(item.key)
            tx.replace(LISTING, item.key, body)


def _settle_marks(
    store: TenantStore, marks: dict[str, Doc], failed: dict[str, int], now: datetime
) -> None:
    """Remove the marks of products every listing now holds (unless they moved meanwhile);
    push back the rest with a growing delay."""
    with store.transaction() as tx:
        for pid, seen in marks.items():
            current = tx.get(STOCK_DUE, pid)
            if current is None:
                continue
            if current.body.get("change") != seen.body.get("change"):
                continue  # moved while the push was out: the next run sends the new figure
            if pid not in failed:
                tx.remove(STOCK_DUE, pid)
                continue
            attempts = int(current.body.get("attempts") or 0) + 1
            tx.replace(
                STOCK_DUE,
                pid,
                {
                    **current.body,
                    "attempts": attempts,
                    "next_at": sortable(_retry_at(now, attempts)),
                },
            )


def due_count(store: TenantStore, now: datetime) -> int:
    """How many products wait for a push that is due now."""
    return store.count(Query(STOCK_DUE, range=("next_at", None, sortable(now))))


__all__ = ["ChannelPolicy", "PushReport", "due_count", "plan_listing", "push_due", "shown"]
