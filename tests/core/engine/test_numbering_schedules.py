"""The numbers the integrator receives are exactly 1..n in every series, whatever happens.

Hypothesis draws a few orders of every channel (e-Arşiv, e-Fatura, IHRACAT, micro export) and,
at every commit the engine makes, one of: nothing, a crash before the commit (nothing of it is
applied), a crash right after it (the process dies before going on), the marketplace
cancelling the order, or the integrator starting or stopping to reject what it is sent. Between
rounds the carrier picks parcels up, GİB answers, and an operator retries failed orders once
the integrator accepts again. After settling, for each series:

* the numbers the integrator received are exactly 1..n, n being what the series' counter gave
  (no gap GİB could see, no number taken without its document leaving);
* no number belongs to two different orders, and a document sent again after a rejection or a
  crash keeps its number;
* a draft that never left has no number.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections import defaultdict
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kervan import numbering
from kervan.domain import OrderLine, OrderState
from kervan.engine import Engine
from kervan.engine.context import StepContext
from kervan.engine.records import INVOICE, ORDER, OrderRecord
from kervan.store import Query, open_store

from .fakes import Clock, Provider, Tenants, World, company, order, person


class Crash(BaseException):
    """The process dies (not an Exception: nothing in Kervan may catch it)."""


KINDS = st.sampled_from(["earsiv", "efatura", "export", "micro"])
EVENTS = st.sampled_from(
    [None, None, None, None, "crash_before", "crash_after", "cancel", "reject", "accept"]
)
SERIES = {
    "KRA": numbering.Channel.EARSIV,
    "KRM": numbering.Channel.EARSIV,
    "KRV": numbering.Channel.EFATURA,
    "KRE": numbering.Channel.EFATURA,
}
TAX_IDS = ["3297552117", "1234567890", "8113264470", "7260523481", "4540536920"]


def _package(i: int, kind: str):
    line = OrderLine(
        line_id=f"n{i}-1",
        barcode="8690000000011",
        name="Ürün",
        quantity=1,
        unit_price="100.00",
        vat_rate=20,
        hs_code="610910000000" if kind in ("export", "micro") else None,
    )
    if kind == "efatura":
        return order(f"n{i}", company(TAX_IDS[i % len(TAX_IDS)]), lines=[line])
    if kind == "earsiv":
        return order(f"n{i}", person(), lines=[line])
    pkg = order(f"n{i}", person(), country="DE", lines=[line])
    return pkg.model_copy(update={"micro_export": kind == "micro"})


async def _scenario(store, kinds: list[str], data) -> None:
    world, clock = World(), Clock()
    for i, kind in enumerate(kinds):
        if kind == "efatura":
            world.registered[TAX_IDS[i % len(TAX_IDS)]] = f"urn:mail:pk{i}@example.com"
        world.packages[f"n{i}"] = _package(i, kind)

    def new_engine() -> Engine:  # a restart after a crash
        return Engine(
            store=store, connectors=Provider(world, clock), tenants=Tenants(), clock=clock
        )

    engine = new_engine()
    real_commit = StepContext.commit
    settling = False

    def scheduled_commit(self: StepContext, change) -> None:
        what = None if settling else data.draw(EVENTS, label="at a commit")
        if what == "crash_before":
            raise Crash
        if what == "cancel":
            world.packages[change.rec.order.package_id].source_cancelled = True
        elif what == "reject":
            world.reject_submit = "Şema hatası: alıcı adresi eksik"
        elif what == "accept":
            world.reject_submit = None
        real_commit(self, change)
        if what == "crash_after":
            raise Crash

    async def guarded(call) -> None:
        nonlocal engine
        try:
            await call(engine)
        except Crash:
            engine = new_engine()
        except Exception:
            pass

    async def round_() -> None:
        await guarded(lambda e: e.ingest("t1", "ty"))
        for oid in engine.due_orders("t1"):
            await guarded(lambda e, oid=oid: e.advance("t1", oid))
        world.picked_up.update(world.shipments)
        await guarded(lambda e: e.track("t1", "cargo"))
        await guarded(lambda e: e.poll_documents("t1"))
        if world.reject_submit is None:  # an operator retries what failed
            for doc in store.tenant("t1").query(Query(ORDER, {"state": "failed"})):
                await guarded(lambda e, key=doc.key: e.retry("t1", key, "user:ayse"))

    StepContext.commit = scheduled_commit  # type: ignore[method-assign]
    try:
        for _ in range(8):
            await round_()
        settling = True  # the integrator accepts again, and nothing more goes wrong
        world.reject_submit = None
        for _ in range(6):
            await round_()
    finally:
        StepContext.commit = real_commit  # type: ignore[method-assign]
    _check(store, world)


def _check(store, world: World) -> None:
    ts = store.tenant("t1")
    invoices = [d.body for d in ts.query(Query(INVOICE))]
    records = {d.key: OrderRecord.from_body(d.body) for d in ts.query(Query(ORDER))}
    received: dict[str, set[int]] = defaultdict(set)
    for number in world.submitted.values():
        received[number[:3]].add(int(number[7:]))
    for series, channel in SERIES.items():
        taken = ts.counter(numbering.counter_name(series, 2026, channel), delta=0)
        assert received[series] == set(range(1, taken + 1)), (series, taken, received[series])
    owners: dict[str, str] = {}
    for inv in invoices:
        if inv["number"] is None:
            assert inv["status"] in ("draft", "voided"), inv["status"]
            continue
        assert owners.setdefault(inv["number"], inv["order_id"]) == inv["order_id"]
        assert inv["number"] in world.submitted.values(), f"{inv['number']} never left"
    for rec in records.values():  # settled: nothing is left failed once the cause is gone
        assert rec.order.state is not OrderState.FAILED, (rec.order.id, rec.last_error)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(kinds=st.lists(KINDS, min_size=1, max_size=5), data=st.data())
def test_each_series_reaches_the_integrator_as_1_to_n(kinds, data):
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{Path(tmp)}/kervan.db")
        try:
            asyncio.run(_scenario(store, kinds, data))
        finally:
            store.close()
