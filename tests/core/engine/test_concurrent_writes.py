"""A concurrent write to the order at any step's commit point never breaks an invariant.

Hypothesis draws a few orders (people, registered and unregistered companies, quantities,
some cancelled by the buyer) and, at every commit the engine makes, whether another writer
changes the order just before it: another actor's note, the marketplace reporting a
cancellation, or the carrier's pickup arriving. The commit then meets a CAS conflict and the
engine plans again from the store. Whatever the interleaving, on both store adapters:

* every order ends final or explained (no step due, and a reason when it waits);
* one sales invoice per order at most, numbers 1..n per series, no number at the integrator
  twice and no submitted document without its number;
* one shipment per order at the carrier;
* stock is conserved: on hand + consumed = the start, reserved = what live orders hold, and
  the stock_move ledger adds up to the figures with no (order, step, product) twice.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kervan.domain import OrderLine, OrderState
from kervan.engine import Engine
from kervan.engine.context import StepContext
from kervan.engine.lifecycle import due_steps
from kervan.engine.records import (
    INVOICE,
    ORDER,
    SHIPMENT,
    STOCK,
    STOCK_MOVE,
    OrderRecord,
    sortable,
)
from kervan.store import Query, open_store

from .fakes import Clock, Provider, Tenants, World, company, order, person

PRODUCTS = {"p1": "8690000000011", "p2": "8690000000028"}
START = {"p1": 6, "p2": 4}


def _open(adapter: str, tmp: Path):
    if adapter == "sqlite":
        return open_store(f"sqlite:///{tmp}/kervan.db")
    from couchbase_fake import FakeCluster
    from kervan.store.couchbase import CouchbaseStore

    return CouchbaseStore(FakeCluster(), "kervan", "kervan")


ORDERS = st.lists(
    st.tuples(
        st.sampled_from(["person", "registered", "company"]),
        st.sampled_from(list(PRODUCTS)),
        st.integers(1, 3),
        st.booleans(),  # the buyer cancels it
    ),
    min_size=1,
    max_size=4,
)
#: what another writer does at a commit point (None: nothing)
INTERFERENCE = st.sampled_from([None, None, "note", "cancel", "pickup"])


def _buyer(kind: str, i: int):
    if kind == "person":
        return person()
    return company(["3297552117", "1234567890", "8113264470", "7260523481"][i])


async def _run(adapter: str, spec, data) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = _open(adapter, Path(tmp))
        try:
            await _scenario(store, spec, data)
        finally:
            store.close()


async def _scenario(store, spec, data) -> None:
    world, clock = World(), Clock()
    engine = Engine(store=store, connectors=Provider(world, clock), tenants=Tenants(), clock=clock)
    ts = store.tenant("t1")
    for pid, barcode in PRODUCTS.items():
        engine.set_stock("t1", pid, START[pid], [barcode])
    for i, (kind, pid, qty, _cancels) in enumerate(spec):
        if kind == "registered":
            world.registered[_buyer(kind, i).tax_id] = f"urn:mail:pk{i}@example.com"
        line = OrderLine(
            line_id=f"o{i}-1",
            barcode=PRODUCTS[pid],
            sku=pid,
            name="Ürün",
            quantity=qty,
            unit_price="100.00",
            vat_rate=20,
        )
        world.packages[f"o{i}"] = order(f"o{i}", _buyer(kind, i), lines=[line])

    real_commit = StepContext.commit
    interfered = Counter()

    def interfering_commit(self: StepContext, change) -> None:
        what = data.draw(INTERFERENCE, label="interference")
        oid = change.rec.order.id
        if what == "note":
            ts.update(ORDER, oid, lambda b: {**b, "last_error": "a panel user looked"})
        elif what == "cancel" and spec[int(oid.split(":o")[1])][3]:
            ts.update(
                ORDER,
                oid,
                lambda b: {
                    **b,
                    "order": {**b["order"], "source_cancelled": True},
                    "due_at": sortable(clock()),
                },
            )
        elif what == "pickup":
            world.picked_up.update(world.shipments)
        if what:
            interfered[what] += 1
        real_commit(self, change)

    StepContext.commit = interfering_commit  # type: ignore[method-assign]
    try:
        for _round in range(12):
            await engine.ingest("t1", "ty")
            for oid in engine.due_orders("t1"):
                try:
                    await engine.advance("t1", oid)
                except Exception as exc:  # a step failure is recorded on the order
                    assert getattr(exc, "retryable", True) or exc, exc
            world.picked_up.update(world.shipments)
            await engine.track("t1", "cargo")
            await engine.poll_documents("t1")
            if _round == 3:  # the buyers who cancel do so at the marketplace
                for i, (_k, _p, _q, cancels) in enumerate(spec):
                    if cancels:
                        world.packages[f"o{i}"].source_cancelled = True
    finally:
        StepContext.commit = real_commit  # type: ignore[method-assign]

    _check(ts, world, clock)


def _check(ts, world: World, clock: Clock) -> None:
    records = {d.key: OrderRecord.from_body(d.body) for d in ts.query(Query(ORDER))}
    invoices = [d.body for d in ts.query(Query(INVOICE))]
    # final or explained
    for oid, rec in records.items():
        due = due_steps(rec, now=clock(), auto_approve=True)
        assert not due, f"{oid} still has {due} due in {rec.order.state}"
        explained = (
            rec.order.state in (OrderState.CANCELLED, OrderState.DELIVERED)
            or rec.waiting_for
            or (rec.order.state is OrderState.ON_HOLD and rec.order.hold_reason)
        )
        assert explained, f"{oid} in {rec.order.state} with nothing said: {rec}"
    # one invoice per order, numbers 1..n per series, nothing at the integrator twice
    per_order = Counter(i["order_id"] for i in invoices)
    assert all(n == 1 for n in per_order.values()), per_order
    series: dict[str, list[int]] = defaultdict(list)
    for inv in invoices:
        if inv["number"] is None:  # a draft that has not left has no number
            assert inv["status"] in ("draft", "voided"), inv
            continue
        series[inv["number"][:3]].append(int(inv["number"][7:]))
    for name, numbers in series.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), (name, numbers)
    numbers_by_uuid = {i["uuid"]: i["number"] for i in invoices}
    assert set(world.submitted) <= set(numbers_by_uuid)
    assert all(numbers_by_uuid[u] == n for u, n in world.submitted.items())
    assert len(set(world.submitted.values())) == len(world.submitted)
    # one shipment per order at the carrier; none left booked for a cancelled order
    shipments = {d.body["cargo_key"]: d.body for d in ts.query(Query(SHIPMENT))}
    assert set(world.shipments) == set(shipments), "a booking the store does not know of"
    for key in set(world.shipments) - world.cancelled_shipments:
        rec = records[shipments[key]["order_id"]]
        assert rec.order.state is not OrderState.CANCELLED, f"{rec.order.id}: parcel left booked"
    # stock is conserved, and the ledger adds up to the figures
    consumed: Counter = Counter()
    held: Counter = Counter()
    for rec in records.values():
        for pid, qty in rec.reserved.items():
            (consumed if rec.flags.stock_consumed else held)[pid] += qty
    moves = [d.body for d in ts.query(Query(STOCK_MOVE))]
    assert len({(m["ref"], m["reason"], m["product_id"]) for m in moves}) == len(moves)
    for pid, start in START.items():
        figures = ts.get(STOCK, pid).body
        assert figures["on_hand"] + consumed[pid] == start, (pid, figures, consumed)
        assert figures["reserved"] == held[pid], (pid, figures, held)
        assert sum(m["on_hand"] for m in moves if m["product_id"] == pid) == figures["on_hand"]
        assert sum(m["reserved"] for m in moves if m["product_id"] == pid) == figures["reserved"]


@pytest.mark.parametrize("adapter", ["sqlite", "couchbase-fake"])
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(spec=ORDERS, data=st.data())
def test_a_concurrent_write_at_any_commit_point_breaks_no_invariant(adapter, spec, data):
    asyncio.run(_run(adapter, spec, data))
