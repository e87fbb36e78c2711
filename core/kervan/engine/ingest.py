"""Pull orders from an order source: dedupe by (connection, package id), update changed ones.

A package the source could not map arrives as a :class:`~kervan.RecordProblem`: it is kept in
quarantine (:mod:`.quarantine`) and the rest of the fetch goes on, cursor included."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..domain import Order, OrderState, TimelineEntry
from ..problems import RecordKind, RecordProblem
from ..roles import OrderSource
from ..store.port import DocumentExists, TenantStore
from . import quarantine
from .records import CURSOR, ORDER, OrderRecord

# The polling window is the core's alone (a connector reads exactly the range it is given):
#: each poll re-reads this much before the cursor (late writes at the remote)
OVERLAP = timedelta(minutes=10)
#: how far back a connection's first poll looks (Trendyol's widest range: one request)
FIRST_LOOKBACK = timedelta(days=14)
# what a later poll may change once we have invoiced: status only, never lines or amounts
_STATUS_FIELDS = (
    "remote_status",
    "source_cancelled",
    "superseded",
    "cargo_provider",
    "cargo_tracking_number",
    "carrier_status",
    "remote_updated_at",
)


@dataclass
class IngestResult:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    #: ids of the records kept in quarantine by this fetch (see :mod:`.quarantine`)
    problems: list[str] = field(default_factory=list)
    #: the connection's open problems after this fetch (for its health)
    open_problems: int = 0


def _cursor(store: TenantStore, connection_id: str, now: datetime) -> datetime:
    doc = store.get(CURSOR, connection_id)
    if doc is None:
        return now - FIRST_LOOKBACK
    return datetime.fromisoformat(doc.body["since"]) - OVERLAP


def _merge(rec: OrderRecord, incoming: Order, now: datetime) -> bool:
    """Fold a re-delivered package into ours. True if anything changed."""
    current = rec.order
    if current.state in (OrderState.RECEIVED, OrderState.ON_HOLD) and not rec.reserved:
        fields = [
            f
            for f in Order.model_fields
            if f
            not in (
                "id",
                "tenant_id",
                "state",
                "hold_reason",
                "created_at",
                "updated_at",
                "timeline",
            )
        ]
    else:
        fields = list(_STATUS_FIELDS)
    changed = [f for f in fields if getattr(current, f) != getattr(incoming, f)]
    for name in changed:
        setattr(current, name, getattr(incoming, name))
    if changed:
        current.timeline.append(
            TimelineEntry(
                at=now,
                step="ingest",
                outcome="info",
                actor=current.source,
                message="updated from source: " + ", ".join(changed),
            )
        )
    return bool(changed)


def _store_one(store: TenantStore, order: Order, now: datetime, result: IngestResult) -> None:
    order.tenant_id = store.tenant_id
    order.state, order.created_at, order.updated_at = OrderState.RECEIVED, now, now
    order.timeline = [
        TimelineEntry(
            at=now,
            step="ingest",
            outcome="ok",
            actor=order.source,
            message=f"package {order.package_id} received",
        )
    ]
    rec = OrderRecord(order=order, due_at=now)
    try:
        store.insert(ORDER, order.id, rec.to_body())
        result.new.append(order.id)
        return
    except DocumentExists:
        pass

    merged = [False]  # what the last (winning) attempt of the CAS loop decided

    def change(body: dict) -> dict | None:
        existing = OrderRecord.from_body(body)
        merged[0] = _merge(existing, order, now)
        if not merged[0]:
            return None
        existing.due_at = now
        return existing.to_body()

    store.update(ORDER, order.id, change)
    if merged[0]:
        result.updated.append(order.id)
    else:
        result.unchanged += 1


def take(
    sifter: quarantine.Sifter, item: Order | RecordProblem, now: datetime, result: IngestResult
) -> None:
    """One item of a fetch or a webhook payload: a package is stored, a problem quarantined."""
    if isinstance(item, RecordProblem):
        result.problems.append(sifter.problem(item))
        return
    _store_one(sifter.store, item, now, result)
    sifter.good(item)


#: items of a fetch stored in one transaction (one commit for the run, not one per package)
RUN = 100


def _take_run(
    sifter: quarantine.Sifter,
    items: list[Order | RecordProblem],
    now: datetime,
    result: IngestResult,
) -> None:
    """Store a run of a fetch's items in one transaction. It is synchronous (no await inside),
    so no other coroutine's write can join it; if it fails, none of the run is kept and the
    cursor stays where it was, so the next poll brings the run again."""
    if not items:
        return
    with sifter.store.transaction():
        for item in items:
            take(sifter, item, now, result)


async def ingest(
    store: TenantStore, source: OrderSource, connection_id: str, now: datetime
) -> IngestResult:
    """Fetch everything changed in [cursor − overlap, now] and store it; a package
    that could not be mapped is quarantined and costs none of the others."""
    # the window's ends and the cursor are read on the clock the source was given: the
    # engine's in production, a sandbox's when the demo runs the remote's time ahead
    until = source.context.clock()
    since = _cursor(store, connection_id, until)
    result = IngestResult()
    sifter = quarantine.Sifter(store, connection_id, RecordKind.ORDER, now, via="poll")
    run: list[Order | RecordProblem] = []
    async for item in source.fetch_orders(since, until):
        # a package seen twice (overlapping pages) merges as "unchanged"; a newer version of
        # it later in the same fetch still updates ours
        run.append(item)
        if len(run) >= RUN:
            _take_run(sifter, run, now, result)
            run = []
    _take_run(sifter, run, now, result)
    store.upsert(CURSOR, connection_id, {"since": until.isoformat()})
    result.open_problems = quarantine.count_open(store, connection_id)
    return result
