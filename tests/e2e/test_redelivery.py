"""The marketplace delivers every order three times, across overlapping and repeated pages:
still exactly one invoice per order, numbers without gap."""

from __future__ import annotations

from kervan.domain import OrderState
from kervan.engine.records import ORDER
from kervan.store import Query

from .conftest import COMPANY, PERSON, make_order


def test_triple_delivery_over_overlapping_pages_makes_one_invoice_per_order(flow):
    people = [make_order(f"61{i:02d}", PERSON) for i in range(20)]
    firms = [make_order(f"62{i:02d}", COMPANY) for i in range(5)]
    flow.seed(people + firms, registered={COMPANY.tax_id: "urn:mail:defaultpk@ege.example"})
    settings = dict(flow.rt.connections.get("demo", "trendyol").settings)
    flow.rt.connections.update("demo", "trendyol", {**settings, "page_size": 7})
    for _ in range(3):
        flow.trendyol.faults.add(kind="overlap_page", times=2)
        flow.trendyol.faults.add(kind="duplicate_page", times=1)
        flow.poll()
    assert len(flow.trendyol.faults.fired) >= 6  # the faults really happened
    ts = flow.rt.store.tenant("demo")
    states = {d.body["state"] for d in ts.iter_query(Query(ORDER))}
    assert states == {OrderState.BOOKED.value}
    invoices = flow.invoices()
    assert len(invoices) == 25 and len({i["order_id"] for i in invoices}) == 25
    by_series: dict[str, list[int]] = {}
    for inv in invoices:
        if inv["number"] is None:  # an e-Fatura draft waits for pickup without a number
            assert inv["kind"] == "efatura" and inv["status"] == "draft"
            continue
        by_series.setdefault(inv["number"][:3], []).append(int(inv["number"][7:]))
    assert {s: sorted(n) for s, n in by_series.items()} == {"KRA": list(range(1, 21))}
    assert sum(inv["number"] is None for inv in invoices) == 5
