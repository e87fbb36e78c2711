"""Jobs in embedded mode: the same lifecycle driven through dramatiq with an in-process worker."""

from __future__ import annotations

import pytest
from kervan.domain import OrderState
from kervan.engine.records import ORDER, OrderRecord
from kervan.jobs import EngineLoop, Jobs
from kervan.jobs.deadletters import list_dead, replay
from kervan.store import Query

from .fakes import order


@pytest.fixture
def jobs(engine):
    loop = EngineLoop()
    j = Jobs(engine, loop)
    j.start_worker(threads=4)
    yield j
    j.stop()
    loop.stop()


def test_polled_orders_flow_to_booked_through_the_queue(jobs, world, store):
    for i in range(20):
        world.packages[f"j{i}"] = order(f"j{i}")
    assert jobs.send("poll_source", "t1", "ty")
    jobs.join()
    states = {d.body["state"] for d in store.tenant("t1").query(Query(ORDER))}
    assert states == {OrderState.BOOKED.value}


def test_identity_key_drops_a_duplicate_waiting_job(engine):
    loop = EngineLoop()
    j = Jobs(engine, loop)  # no worker: messages wait in the queue
    try:
        assert j.enqueue_order("t1", "ty:x")
        assert not j.enqueue_order("t1", "ty:x")
        assert j.broker.queues["kervan"].qsize() == 1
    finally:
        j.stop()
        loop.stop()


def test_failed_work_lands_in_dead_letters_and_can_be_replayed(jobs, world, store, engine):
    world.packages["d1"] = order("d1")
    # no such connection: the invoice (which names the carrier) and booking cannot go on
    engine.connectors.conns.pop("cargo")
    jobs.send("poll_source", "t1", "ty")
    jobs.join()
    dead = list_dead(store, "t1")
    assert [d["actor"] for d in dead] == ["process_order"]
    assert "KeyError" in dead[0]["error"]
    rec = OrderRecord.from_body(store.tenant("t1").get(ORDER, "ty:d1").body)
    assert rec.order.state is OrderState.CLASSIFIED
    from .fakes import FakeCarrier, World  # noqa: F401

    engine.connectors.conns["cargo"] = FakeCarrier(
        engine.connectors.conns["ty"].settings, engine.connectors.conns["ty"].context, world
    )
    assert replay(store, jobs, "t2", dead[0]["id"]) is None  # another tenant: nothing
    assert list_dead(store, "t1")  # and the letter is still there
    assert replay(store, jobs, "t1", dead[0]["id"])["actor"] == "process_order"
    jobs.join()
    rec = OrderRecord.from_body(store.tenant("t1").get(ORDER, "ty:d1").body)
    assert rec.order.state is OrderState.BOOKED
    assert list_dead(store, "t1") == []
