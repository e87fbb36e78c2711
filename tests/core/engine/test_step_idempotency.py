"""Every step may run twice: a worker that dies after a step's remote call but before its save
leaves work that the next run repeats. The repeat must not duplicate anything."""

from __future__ import annotations

import pytest
from kervan.domain import OrderState
from kervan.engine import due_steps
from kervan.engine.context import StepContext
from kervan.engine.lifecycle import Step
from kervan.engine.records import INVOICE, ORDER, OrderRecord
from kervan.store import Query

from .fakes import company, order

RUN = [
    Step.RESERVE,
    Step.CLASSIFY,
    Step.INVOICE,
    Step.SUBMIT_INVOICE,
    Step.SEND_INVOICE,
    Step.ACCEPT,
    Step.PACKAGE,
    Step.BOOK,
]


class Crash(BaseException):
    """A worker killed mid-step: nothing after it runs, not even the failure record."""

    pass


def _record(store, oid):
    return OrderRecord.from_body(store.tenant("t1").get(ORDER, oid).body)


async def _advance_until(engine, store, oid, step):
    for _ in range(20):
        rec = _record(store, oid)
        due = due_steps(rec, now=engine.clock(), auto_approve=True)
        if not due or due[0] is step:
            return
        ctx = engine.context("t1")
        from kervan.engine.engine import STEPS
        from kervan.engine.shipping import load_record

        rec = load_record(ctx, oid)
        ctx.commit(await STEPS[due[0]](ctx, rec))


@pytest.mark.parametrize("step", RUN)
async def test_a_step_interrupted_before_its_save_runs_again_without_duplicates(
    step, engine, world, store, monkeypatch
):
    world.packages["i1"] = order("i1")
    await engine.ingest("t1", "ty")
    await _advance_until(engine, store, "ty:i1", step)
    assert due_steps(_record(store, "ty:i1"), now=engine.clock(), auto_approve=True)[0] is step

    real_commit = StepContext.commit
    crashed = []

    def crash_once(self, change):
        if not crashed:
            crashed.append(True)
            raise Crash(f"worker died during {step}")
        return real_commit(self, change)

    monkeypatch.setattr(StepContext, "commit", crash_once)
    with pytest.raises(Crash):
        await engine.advance("t1", "ty:i1")
    monkeypatch.setattr(StepContext, "commit", real_commit)
    await engine.advance("t1", "ty:i1")

    rec = _record(store, "ty:i1")
    assert rec.order.state is OrderState.BOOKED
    invoices = store.tenant("t1").query(Query(INVOICE))
    assert [d.body["number"] for d in invoices] == ["KRA2026000000001"]
    assert set(world.submitted) == {invoices[0].body["uuid"]}  # one document at the integrator
    assert len(world.shipments) == 1  # one shipment at the carrier


async def test_the_same_order_advanced_by_two_workers_at_once_is_invoiced_once(
    engine, world, store
):
    import asyncio

    world.registered["3297552117"] = "urn:mail:x@y"
    for i in range(5):
        world.packages[f"c{i}"] = order(f"c{i}", company())
    await engine.ingest("t1", "ty")
    await asyncio.gather(*(engine.advance("t1", f"ty:c{i}") for i in range(5) for _ in range(3)))
    invoices = store.tenant("t1").query(Query(INVOICE))
    # e-Fatura drafts wait for pickup without a number
    assert len({d.body["order_id"] for d in invoices}) == 5 == len(invoices)
    assert all(d.body["number"] is None for d in invoices)
    world.picked_up.update(world.shipments)
    await engine.track("t1", "cargo")
    await asyncio.gather(*(engine.advance("t1", f"ty:c{i}") for i in range(5) for _ in range(3)))
    invoices = store.tenant("t1").query(Query(INVOICE))
    assert sorted(d.body["number"] for d in invoices) == [f"KRV2026{n:09d}" for n in range(1, 6)]
    assert sorted(world.submitted.values()) == [f"KRV2026{n:09d}" for n in range(1, 6)]
