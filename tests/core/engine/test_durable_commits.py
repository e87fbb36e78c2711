"""Which of an order's commits wait for the disk (SQLite syncs only those: see
``kervan.store.sqlite``): the one that numbers the invoice, before the number leaves for GİB,
and the one that notes a carrier booking is about to start, before the carrier is asked."""

from __future__ import annotations

import os

from kervan.engine import Engine
from kervan.engine.context import StepContext
from kervan.store.sqlite import SqliteStore

from .fakes import FakeCarrier, FakeEInvoice, Provider, Tenants, order


async def test_the_numbering_and_booking_commits_are_synced_before_their_remote_calls(
    world, clock, tmp_path, monkeypatch
):
    # SQLite only: the Couchbase adapter is durable on every commit, nothing to observe
    store = SqliteStore(str(tmp_path / "kervan.db"))
    engine = Engine(store=store, connectors=Provider(world, clock), tenants=Tenants(), clock=clock)
    events: list[str] = []
    real_fsync, real_commit = os.fsync, StepContext.commit

    def fsync(fd: int) -> None:
        events.append("sync")
        real_fsync(fd)

    def commit(self, change):
        events.append("commit:" + ("durable" if change.durable or change.invoice else "plain"))
        return real_commit(self, change)

    monkeypatch.setattr("kervan.store.sqlite.os.fsync", fsync)
    monkeypatch.setattr(StepContext, "commit", commit)
    real_submit, real_book = FakeEInvoice.submit, FakeCarrier.create_shipment

    async def submit(self, *args, **kwargs):
        events.append("remote:submit")
        return await real_submit(self, *args, **kwargs)

    async def book(self, *args, **kwargs):
        events.append("remote:book")
        return await real_book(self, *args, **kwargs)

    monkeypatch.setattr(FakeEInvoice, "submit", submit)
    monkeypatch.setattr(FakeCarrier, "create_shipment", book)
    world.packages["d1"] = order("d1")
    await engine.ingest("t1", "ty")
    await engine.advance("t1", "ty:d1")

    durable = [i for i, e in enumerate(events) if e == "commit:durable"]
    assert len(durable) == 2  # the number, and "about to book"
    for i in durable:
        assert events[i + 1] == "sync"  # synced as it commits, before anything else
    assert events.count("sync") == 2  # and no other commit waited for the disk
    assert events.index("remote:submit") > durable[0] + 1
    assert events.index("remote:book") > durable[1] + 1
    store.close()
