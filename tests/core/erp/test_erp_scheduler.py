"""The scheduler's ERP tick: an ``erp_post`` per enabled ERP connection while the outbox holds
unfinished events, and a settlement read per order source at most hourly, only for a tenant
that has an ERP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from kervan.engine import Engine
from kervan.engine.records import OUTBOX
from kervan.erp.events import invoiced_event
from kervan.jobs.scheduler import PRODUCTS_EVERY, SETTLEMENTS_EVERY, Scheduler
from kervan.store import open_store

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ROLES = {"trendyol": ["order_source"], "nebim": ["erp_sink"], "yurtici": ["carrier"]}


class Jobs:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sent: list[tuple[Any, ...]] = []

    def send(self, *args: Any) -> bool:
        self.sent.append(args)
        return True


class Connections:
    def __init__(self) -> None:
        self.conns = [
            SimpleNamespace(id="ty", connector="trendyol", enabled=True),
            SimpleNamespace(id="yk", connector="yurtici", enabled=True),
        ]

    def list(self, tenant_id: str) -> list[Any]:
        return self.conns


@pytest.fixture
def world(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/k.db")
    engine = Engine(store=store, connectors=None, tenants=None)  # type: ignore[arg-type]
    jobs, conns = Jobs(engine), Connections()
    scheduler = Scheduler(jobs, conns, lambda key: ROLES[key])  # type: ignore[arg-type]
    yield scheduler, jobs, conns, store.tenant("t1")
    store.close()


def test_no_erp_no_erp_work(world) -> None:
    scheduler, jobs, _conns, ts = world
    ts.upsert(OUTBOX, *invoiced_event("o1", "sale:o1", T0))
    assert scheduler._erp("t1", T0) == 0 and jobs.sent == []


def test_erp_posts_while_events_wait_and_settlements_are_read_hourly(world) -> None:
    scheduler, jobs, conns, ts = world
    conns.conns.append(SimpleNamespace(id="nb", connector="nebim", enabled=True))
    conns.conns.append(SimpleNamespace(id="nb-off", connector="nebim", enabled=False))
    # nothing to post yet; the ERP's products are pulled and the settlements read
    assert scheduler._erp("t1", T0) == 2
    assert jobs.sent == [("pull_products", "t1", "nb"), ("fetch_settlements", "t1", "ty")]
    key, body = invoiced_event("o1", "sale:o1", T0)
    ts.upsert(OUTBOX, key, body)
    jobs.sent.clear()
    assert scheduler._erp("t1", T0 + timedelta(minutes=5)) == 1
    assert jobs.sent == [("erp_post", "t1", "nb")]  # not the disabled one; no second read
    jobs.sent.clear()
    ts.upsert(OUTBOX, key, {**body, "done": True})
    assert scheduler._erp("t1", T0 + PRODUCTS_EVERY) == 1
    assert jobs.sent == [("pull_products", "t1", "nb")]
    jobs.sent.clear()
    assert scheduler._erp("t1", T0 + SETTLEMENTS_EVERY) == 2
    assert jobs.sent == [("pull_products", "t1", "nb"), ("fetch_settlements", "t1", "ty")]
