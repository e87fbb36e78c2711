"""The real pipeline in engine processes: ``start_jobs(processes=2)`` against the first-party
sandboxes served over loopback HTTP. The poll and every ``process_order`` run in the children
(this process's engine refuses to), and each order ends invoiced with one validated draft."""

from __future__ import annotations

from datetime import UTC, datetime

from kervan.domain import OrderState
from kervan.engine.records import INVOICE, ORDER
from kervan.runtime import Runtime
from kervan.scenario import Scenario
from kervan.store import Query, open_store
from kervan_demo import scenario_data as sd
from kervan_demo import wiring
from kervan_demo.run import SANDBOXES, sandbox_for

N = 8


def _not_here(*_args, **_kwargs):
    raise AssertionError("engine work ran in the serving process, not in an engine process")


def test_orders_are_invoiced_by_engine_processes_over_loopback_http(tmp_path, monkeypatch):
    monkeypatch.setenv("KERVAN_HOME", str(tmp_path))
    monkeypatch.delenv("KERVAN_BROKER_URL", raising=False)
    monkeypatch.delenv("KERVAN_STORE_URL", raising=False)
    # the sandboxes listen on loopback: the children's destination policy must allow it too
    rt = Runtime.create(store=open_store(f"sqlite:///{tmp_path}/k.db"), mode="sandbox")
    orders, registered = sd.bulk_orders(
        N,
        tenant_id="procs",
        now=datetime.now(UTC),
        first_package=61000000,
        company_every=1,
        register_every=1,
        max_lines=1,
    )
    scenario = Scenario(
        seller=sd.SELLER,
        orders=orders,
        registered=registered,
        products=sd.PRODUCTS,
        seller_aliases=("urn:mail:defaultgb@procs.example", "urn:mail:defaultpk@procs.example"),
    )
    wiring.create_tenant(rt, "procs", "Processes", scenario, auto_approve=False)
    sandboxes = []
    try:
        for key in SANDBOXES[:3]:
            sandbox = sandbox_for(rt, key)  # on the wall clock, as the children's connections
            sandbox.seed_scenario(scenario)
            wiring.connect(rt, "procs", key, sandbox, sandbox.serve("127.0.0.1", 0))
            sandboxes.append(sandbox)
        wiring.stock_catalog(rt, "procs", scenario, {p.id: 10 * N for p in sd.PRODUCTS})
        # wiring reads the sandbox's clock; nothing moves it here, so the wall clock agrees
        rt.connectors.overrides.clear()
        jobs = rt.start_jobs(scheduler=False, processes=2)
        monkeypatch.setattr(rt.engine, "advance", _not_here)
        monkeypatch.setattr(rt.engine, "ingest", _not_here)
        assert jobs.send("poll_source", "procs", "trendyol")
        for _ in range(10):
            jobs.join()
            if not sum(jobs.enqueue_order("procs", o) for o in rt.engine.due_orders("procs")):
                break
        store = rt.store.tenant("procs")
        states = [d.body["state"] for d in store.iter_query(Query(ORDER))]
        assert states == [OrderState.INVOICED.value] * N, states
        invoices = [d.body for d in store.iter_query(Query(INVOICE))]
        assert len({i["order_id"] for i in invoices}) == N
        assert {(i["kind"], i["status"]) for i in invoices} == {("efatura", "draft")}
    finally:
        rt.close()
        for sandbox in sandboxes:
            sandbox.stop()
