"""Due work is always findable, and an order with nothing due says what it waits for.

The embedded mode once lost orders for good after a crash: a step cleared ``due_at`` although
the next step was due at once, so the reconciler (which selects ``due_at <= now``) never saw
them again. Here a worker "dies" after every single commit, and only the reconciler's query
brings the orders back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from kervan.domain import OrderState
from kervan.engine.context import StepContext
from kervan.engine.records import ORDER, OrderRecord
from kervan.errors import InternalError
from kervan.store import Query

from .fakes import FakeCarrier, company, order


class Died(BaseException):
    """A SIGKILL between two steps: nothing after the commit runs."""


def _records(store):
    return {d.key: OrderRecord.from_body(d.body) for d in store.tenant("t1").query(Query(ORDER))}


async def test_a_worker_that_dies_after_every_commit_loses_no_order(engine, world, store):
    world.registered["3297552117"] = "urn:mail:pk@example.com"
    for i in range(4):
        world.packages[f"d{i}"] = order(f"d{i}", company() if i % 2 else None)
    await engine.ingest("t1", "ty")
    real_commit = StepContext.commit

    def commit_then_die(self, change):
        real_commit(self, change)
        raise Died

    StepContext.commit = commit_then_die  # type: ignore[method-assign]
    try:
        for _sweep in range(40):
            due = engine.due_orders("t1")
            if not due:
                break
            for oid in due:
                with pytest.raises(Died):
                    await engine.advance("t1", oid)
    finally:
        StepContext.commit = real_commit  # type: ignore[method-assign]
    records = _records(store)
    assert {r.order.state for r in records.values()} == {OrderState.BOOKED}
    assert {r.waiting_for for r in records.values()} == {"pickup"}
    assert all(r.due_at is None for r in records.values())


async def test_waiting_for_names_what_an_order_waits_on(engine, world, store):
    engine.tenants.tenant.settings.auto_approve = False
    world.packages["w1"] = order("w1")
    await engine.ingest("t1", "ty")
    await engine.advance("t1", "ty:w1")
    rec = _records(store)["ty:w1"]
    assert (rec.order.state, rec.waiting_for, rec.due_at) == (
        OrderState.INVOICED,
        "approval",
        None,
    )
    await engine.approve("t1", "ty:w1", "user:ayse")
    rec = _records(store)["ty:w1"]
    assert (rec.order.state, rec.waiting_for) == (OrderState.BOOKED, "pickup")


async def test_an_unexpected_exception_is_recorded_and_retried_on_the_backoff(
    engine, world, store, clock, monkeypatch
):
    async def broken_quote(self, package):
        raise RuntimeError("carrier mapping bug")

    monkeypatch.setattr(FakeCarrier, "quote", broken_quote)
    world.packages["x1"] = order("x1")
    await engine.ingest("t1", "ty")
    with pytest.raises(InternalError, match="RuntimeError: carrier mapping bug"):
        await engine.advance("t1", "ty:x1")
    rec = _records(store)["ty:x1"]
    assert rec.attempts == 1 and "internal error" in (rec.last_error or "")
    assert rec.due_at is not None and rec.due_at > clock()  # not retried on every sweep
    assert engine.due_orders("t1") == []
    for _ in range(7):  # after 8 failures a person looks at it
        clock.now = rec.due_at + timedelta(seconds=1)
        assert engine.due_orders("t1") == ["ty:x1"]
        with pytest.raises(InternalError):
            await engine.advance("t1", "ty:x1")
        rec = _records(store)["ty:x1"]
    assert rec.order.state is OrderState.FAILED and rec.waiting_for == "operator"
    assert rec.due_at is None and engine.due_orders("t1") == []
