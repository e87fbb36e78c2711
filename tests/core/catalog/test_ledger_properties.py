"""The stock ledger under random interleavings of orders, cancellations, pickups, returns,
counts, receipts, ERP syncs, safety-stock changes and pushes (some failing), on both store
adapters:

- available to sell is never negative, and a reservation never takes more than the shelf has;
- every figure is the sum of its movements (per warehouse too), and a movement replayed with
  its key moves nothing;
- each push sends every listing ``min(max(available − buffer, 0), cap)`` as the ledger stood
  when it was sent, and once the pushes settle every channel shows the current figure.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kervan import ConnectorContext, ConnectorSettings, OrderSource
from kervan.catalog import Catalog, ChannelPolicy
from kervan.domain import ProductCard, StockUpdate, StockUpdateResult, Tenant, TenantSettings
from kervan.engine import Engine
from kervan.engine.change import Movement, StockShortage
from kervan.engine.records import LISTING, STOCK, STOCK_DUE, STOCK_MOVE
from kervan.engine.stock import MAIN, apply_movements, figures
from kervan.store import Query, open_store

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PRODUCTS = ("p1", "p2")
WAREHOUSES = (MAIN, "depo-2")
#: channel → (buffer, cap)
CHANNELS = {"ty": (0, None), "n11": (2, 5)}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class Channel(OrderSource):
    """A channel that shows what it was last sent per barcode, and refuses items on demand."""

    key = "fake-channel"
    display_name = "Fake channel"

    def __init__(self, context: ConnectorContext, world: World) -> None:
        super().__init__(ConnectorSettings(), context)
        self.world = world

    async def fetch_orders(self, since: datetime, until: datetime | None = None) -> Any:
        return
        yield

    async def push_stock(self, updates: list[StockUpdate]) -> list[StockUpdateResult]:
        out = []
        conn = self.context.connection_id
        for u in updates:
            self.world.sent.append(
                (conn, u.barcode, u.quantity, self.world.expected(conn, u.barcode))
            )
            if self.world.failing:
                out.append(StockUpdateResult(barcode=u.barcode, ok=False, errors=["busy"]))
                continue
            self.world.shows[conn, u.barcode] = u.quantity
            out.append(StockUpdateResult(barcode=u.barcode, ok=True))
        return out


class World:
    def __init__(self, store: Any) -> None:
        self.store = store
        self.failing = False
        self.shows: dict[tuple[str, str], int] = {}
        #: (channel, barcode, quantity sent, quantity the ledger said at that moment)
        self.sent: list[tuple[str, str, int, int]] = []

    def expected(self, conn: str, barcode: str) -> int:
        pid = "p1" if barcode.endswith("1") else "p2"
        doc = self.store.tenant("t1").get(STOCK, pid)
        return expected_shown(doc.body if doc else {}, *CHANNELS[conn])


def expected_shown(body: dict[str, Any], buffer: int, cap: int | None) -> int:
    """What a channel should show, worked out apart from the code under test."""
    free = body.get("on_hand", 0) - body.get("reserved", 0) - body.get("safety", 0) - buffer
    free = max(free, 0)
    return free if cap is None else min(free, cap)


class Provider:
    def __init__(self, world: World, clock: Clock) -> None:
        self.conns = {
            cid: Channel(ConnectorContext(tenant_id="t1", connection_id=cid, clock=clock), world)
            for cid in CHANNELS
        }

    def get(self, tenant_id: str, connection_id: str) -> Channel:
        return self.conns[connection_id]


class Tenants:
    tenant = Tenant(id="t1", name="Seller", settings=TenantSettings())

    def get(self, tenant_id: str) -> Tenant:
        return self.tenant


def barcode(pid: str, conn: str) -> str:
    return f"{conn}-{pid[-1]}"


@st.composite
def operations(draw: Any) -> list[tuple[Any, ...]]:
    ops: list[tuple[Any, ...]] = []
    for _ in range(draw(st.integers(1, 30))):
        kind = draw(
            st.sampled_from(
                [
                    "order",
                    "cancel",
                    "pickup",
                    "return",
                    "count",
                    "receive",
                    "erp",
                    "safety",
                    "push",
                    "push_failing",
                    "replay",
                ]
            )
        )
        ops.append(
            (
                kind,
                draw(st.sampled_from(PRODUCTS)),
                draw(st.integers(0, 12)),
                draw(st.sampled_from(WAREHOUSES)),
            )
        )
    return ops


def setup(store: Any) -> tuple[Engine, Catalog, World, Clock]:
    clock = Clock()
    world = World(store)
    engine = Engine(store=store, connectors=Provider(world, clock), tenants=Tenants(), clock=clock)
    catalog = Catalog(engine)
    ts = store.tenant("t1")
    for pid in PRODUCTS:
        card = ProductCard(
            id=pid,
            tenant_id="t1",
            sku=pid.upper(),
            name=pid,
            barcodes=[barcode(pid, c) for c in CHANNELS],
        )
        catalog.save_card("t1", card, actor="test")
        for conn in CHANNELS:
            ts.upsert(
                LISTING,
                f"{conn}:{barcode(pid, conn)}",
                {
                    "connection_id": conn,
                    "barcode": barcode(pid, conn),
                    "product_id": pid,
                    "failures": 0,
                    "flagged": False,
                },
            )
    for conn, (buffer, cap) in CHANNELS.items():
        catalog.set_policy("t1", conn, ChannelPolicy(buffer=buffer, cap=cap))
    return engine, catalog, world, clock


async def run(store: Any, ops: list[tuple[Any, ...]]) -> None:
    _, catalog, world, clock = setup(store)
    ts = store.tenant("t1")
    orders: dict[str, tuple[str, int]] = {}  # open order → (product, units reserved)
    picked: list[tuple[str, int]] = []
    applied: list[Movement] = []
    short_allowed = False

    def move(moves: list[Movement]) -> None:
        with ts.transaction() as tx:
            apply_movements(tx, moves, clock())
        applied.extend(moves)

    for kind, pid, qty, wh in ops:
        clock.now += timedelta(seconds=7)
        if kind == "order" and qty:
            oid = uuid.uuid4().hex
            before = figures(ts.get(STOCK, pid).body)
            try:
                move([Movement(pid, "reserve", reserved=qty, must_fit=True, ref=oid)])
                orders[oid] = (pid, qty)
                assert before.on_hand - before.reserved >= qty
            except StockShortage:
                assert before.on_hand - before.reserved < qty
        elif kind == "cancel" and orders:
            oid, (p, q) = orders.popitem()
            move([Movement(p, "release", reserved=-q, ref=oid)])
        elif kind == "pickup" and orders:
            oid, (p, q) = orders.popitem()
            move([Movement(p, "pickup", on_hand=-q, reserved=-q, ref=oid)])
            picked.append((p, q))
        elif kind == "return" and picked:
            p, q = picked.pop()
            catalog.receive("t1", p, q, actor="clerk", reason="returned")
        elif kind == "count":
            catalog.count("t1", pid, qty, actor="counter", warehouse=wh)
            short_allowed = True
        elif kind == "receive" and qty:
            catalog.receive("t1", pid, qty, actor="clerk", warehouse=wh)
        elif kind == "erp":
            with ts.transaction() as tx:
                from kervan.engine.stock import set_on_hand

                set_on_hand(tx, pid, qty, [], clock(), warehouse=wh, reason="erp_sync")
            short_allowed = True
        elif kind == "safety":
            catalog.set_safety("t1", pid, qty % 4, actor="planner")
        elif kind in ("push", "push_failing"):
            world.failing = kind == "push_failing"
            await catalog.push("t1")
            world.failing = False
        elif kind == "replay" and applied:
            before = {p: ts.get(STOCK, p).body for p in PRODUCTS}
            move([applied[qty % len(applied)]])
            assert {p: ts.get(STOCK, p).body for p in PRODUCTS} == before

        for p in PRODUCTS:
            held = figures(ts.get(STOCK, p).body)
            # never negative, never more reserved than orders hold
            assert held.available >= 0 and held.reserved >= 0
            assert held.reserved == sum(q for (pp, q) in orders.values() if pp == p)
            if not short_allowed:
                assert held.on_hand - held.reserved >= 0
            # every movement accounted for, per warehouse too
            entries = [d.body for d in ts.query(Query(STOCK_MOVE, {"product_id": p}))]
            assert sum(e["on_hand"] for e in entries) == held.on_hand
            assert sum(e["reserved"] for e in entries) == held.reserved
            assert sum(e.get("safety", 0) for e in entries) == held.safety
            per_wh: dict[str, int] = defaultdict(int)
            for e in entries:
                for w, d in (e.get("warehouses") or {}).items():
                    per_wh[w] += d
            assert {w: q for w, q in per_wh.items() if q} == {
                w: q for w, q in held.warehouses.items() if q
            }
            assert sum(held.warehouses.values()) == held.on_hand

    # every value sent was the ledger's figure (less buffer, capped) at that moment
    assert all(sent == expected for _, _, sent, expected in world.sent)
    # once pushes settle, each channel shows the current figure
    for _ in range(12):
        clock.now += timedelta(minutes=16)
        await catalog.push("t1")
    assert ts.count(Query(STOCK_DUE, {})) == 0
    for p in PRODUCTS:
        body = ts.get(STOCK, p).body
        for conn, (buffer, cap) in CHANNELS.items():
            want = expected_shown(body, buffer, cap)
            assert world.shows.get((conn, barcode(p, conn)), want) == want


@pytest.fixture(params=["sqlite", "couchbase-fake"])
def make_store(request, tmp_path):
    made = []

    def make():
        if request.param == "sqlite":
            s = open_store(f"sqlite:///{tmp_path}/{uuid.uuid4().hex}.db")
        else:
            from couchbase_fake import FakeCluster
            from kervan.store.couchbase import CouchbaseStore

            s = CouchbaseStore(FakeCluster(), "kervan", "kervan")
        made.append(s)
        return s

    yield make
    for s in made:
        s.close()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=operations())
async def test_ledger_invariants_hold_under_random_interleavings(make_store, ops):
    await run(make_store(), ops)
