"""A person splits a package before invoicing: the marketplace makes new packages, Kervan
closes the original and carries the new ones through to their own invoices and labels."""

from __future__ import annotations

from decimal import Decimal

import pytest
from kervan.domain import OrderState, SplitRules
from kervan.engine.records import ORDER, OrderRecord
from kervan.errors import StateConflictError
from kervan.store import Query
from kervan_demo import scenario_data as sd

from .conftest import PERSON, make_order


def _two_line_order(package: str, second: str = "p-kazak"):
    o = make_order(package, PERSON, "p-tisort")
    card = next(p for p in sd.PRODUCTS if p.id == second)
    o.lines.append(sd.line_of(card, f"{package}02"))
    return o


def _rules(flow, **rules) -> None:
    tenant = flow.rt.tenancy.get_tenant("demo")
    tenant.settings.split_rules = SplitRules(**rules)
    flow.rt.tenancy.update_tenant(tenant)


def _parts(flow, original: str) -> list:
    """The packages that replaced ``original`` (Trendyol gives them new package ids)."""
    ts = flow.rt.store.tenant("demo")
    docs = ts.query(Query(ORDER, {"order_number": flow.record(original).order.order_number}))
    return [OrderRecord.from_body(d.body) for d in docs if d.key != f"trendyol:{original}"]


def test_a_split_package_is_replaced_by_its_parts_and_each_part_is_invoiced(flow):
    flow.nilvera.outage(True, lookup_only=True)  # keep the order before invoicing
    flow.seed([_two_line_order("8001")])
    flow.poll()
    original = flow.record("8001")
    assert (
        original.order.state is OrderState.STOCK_RESERVED
        or original.order.state is OrderState.ON_HOLD
    )
    lines = [[ln.line_id] for ln in original.order.lines]
    flow.rt.loop.run(flow.rt.engine.split("demo", "trendyol:8001", lines, "user:ayse"))
    flow.nilvera.outage(False, lookup_only=True)
    flow.clock.skip_within_the_day(120)
    flow.split_carried_out()
    original = flow.record("8001")
    assert original.order.state is OrderState.CANCELLED and original.order.superseded
    assert original.invoice_id is None and original.reserved == {}
    parts = [i for i in flow.invoices()]
    assert len(parts) == 2 and {i["order_id"] for i in parts} != {"trendyol:8001"}
    assert sorted(len(i["lines"]) for i in parts) == [1, 1]
    stock = flow.rt.store.tenant("demo")
    assert stock.get("stock", "p-tisort").body["reserved"] == 1
    assert stock.get("stock", "p-kazak").body["reserved"] == 1


def test_an_invoiced_order_cannot_be_split(flow):
    flow.seed([_two_line_order("8002")])
    flow.poll()
    rec = flow.record("8002")
    assert rec.order.state is OrderState.BOOKED
    with pytest.raises(StateConflictError, match="only before invoicing"):
        flow.rt.loop.run(
            flow.rt.engine.split("demo", "trendyol:8002", [["800201"], ["800202"]], "user:ayse")
        )


def test_a_package_over_the_parcel_limit_is_split_by_the_rules_before_anything_is_reserved(flow):
    # T-shirt 1 desi, sweater 3 desi (30×25×3 and 35×30×8 cm): 4 desi will not go as one
    # 3-desi parcel, so Kervan asks Trendyol for two packages and invoices each on its own
    flow.seed([_two_line_order("8101")])
    _rules(flow, max_parcel_desi=Decimal(3))
    flow.poll()
    original = flow.record("8101")
    assert original.flags.split_requested and original.reserved == {}
    assert [e.step for e in original.order.timeline][-1] == "split"
    flow.split_carried_out()
    original = flow.record("8101")
    assert original.order.state is OrderState.CANCELLED and original.order.superseded
    assert original.invoice_id is None
    parts = _parts(flow, "8101")
    assert sorted(len(p.order.lines) for p in parts) == [1, 1]

    assert all(p.flags.split_checked and not p.flags.split_requested for p in parts)
    assert sorted(len(i["lines"]) for i in flow.invoices()) == [1, 1]
    stock = flow.rt.store.tenant("demo")
    assert stock.get("stock", "p-tisort").body["reserved"] == 1
    assert stock.get("stock", "p-kazak").body["reserved"] == 1


def test_a_line_over_the_parcel_limit_is_divided_by_quantity(flow):
    # four 3-desi sweaters with a 20.00 TRY seller discount: 12 desi against a 7-desi limit.
    # By line this would be one 12-desi parcel; Trendyol's split-packages makes two of two.
    o = make_order("8104", PERSON, "p-kazak")
    card = next(p for p in sd.PRODUCTS if p.id == "p-kazak")
    o.lines = [sd.line_of(card, "810401", 4, Decimal("20.00"))]
    flow.seed([o])
    _rules(flow, max_parcel_desi=Decimal(7))
    flow.poll()
    note = [e for e in flow.record("8104").order.timeline if e.step == "split"][-1]
    assert note.data["parcels"] == [{"810401": 2}, {"810401": 2}]
    flow.split_carried_out()
    assert flow.record("8104").order.superseded
    parts = _parts(flow, "8104")
    assert [[int(ln.quantity) for ln in p.order.lines] for p in parts] == [[2], [2]]

    assert flow.rt.store.tenant("demo").get("stock", "p-kazak").body["reserved"] == 4
    invoices = flow.invoices()
    assert len(invoices) == 2
    # the discount went with its units: the two invoices ask what the one package asked
    payable = sum(Decimal(i["totals"]["payable"]) for i in invoices)
    assert payable == o.lines[0].payable
    desi = [flow.rt.store.tenant("demo").get("package", f"{p.order.id}:1").body for p in parts]
    assert [Decimal(d["desi"]) for d in desi] == [Decimal(6), Decimal(6)]


def test_a_ship_alone_product_gets_its_own_package(flow):
    flow.seed([_two_line_order("8102", second="p-termos")])
    _rules(flow, ship_alone_skus=["TRM-500"])
    flow.poll()
    flow.split_carried_out()
    assert flow.record("8102").order.superseded
    parts = _parts(flow, "8102")
    assert sorted(p.order.lines[0].sku for p in parts) == ["TRM-500", "TSH-PAM-M"]


def test_a_package_within_the_rules_stays_whole(flow):
    flow.seed([_two_line_order("8103")])
    _rules(flow, max_parcel_desi=Decimal(10), ship_alone_skus=["TRM-500"])
    flow.poll()
    rec = flow.record("8103")
    assert rec.order.state is OrderState.BOOKED and rec.flags.split_checked
    assert not rec.flags.split_requested and "split" not in [e.step for e in rec.order.timeline]
    assert [len(i["lines"]) for i in flow.invoices()] == [2]


def test_a_split_step_interrupted_after_trendyol_took_it_is_not_split_twice(flow, monkeypatch):
    from kervan.engine.context import StepContext
    from kervan.errors import InternalError

    flow.seed([_two_line_order("8104")])
    _rules(flow, max_parcel_desi=Decimal(3))
    engine, loop = flow.rt.engine, flow.rt.loop
    loop.run(engine.ingest("demo", "trendyol"))
    real_commit = StepContext.commit

    def crash_after_the_remote_split(self, change):
        if change.rec.flags.split_requested:
            raise RuntimeError("worker died before saving the split")
        return real_commit(self, change)

    monkeypatch.setattr(StepContext, "commit", crash_after_the_remote_split)
    with pytest.raises(InternalError, match="worker died"):  # recorded on the order
        loop.run(engine.advance("demo", "trendyol:8104"))
    assert not flow.record("8104").flags.split_requested  # the save never happened
    monkeypatch.setattr(StepContext, "commit", real_commit)
    loop.run(engine.advance("demo", "trendyol:8104"))  # Trendyol says: already split
    assert flow.record("8104").flags.split_requested
    flow.split_carried_out()
    # Trendyol split it once: the original and its two parts (splits are asynchronous)
    children = [p for p in flow.trendyol.packages.values() if p["orderNumber"] == "98104"]
    assert len(children) == 3 and [p["status"] for p in children].count("UnPacked") == 1
    parts = _parts(flow, "8104")
    assert len(parts) == 2 and all(p.order.state is OrderState.BOOKED for p in parts)
    assert sorted(len(i["lines"]) for i in flow.invoices()) == [1, 1]


def test_a_person_divides_a_line_through_the_api(flow):
    from fastapi.testclient import TestClient
    from kervan.api.app import create_app

    flow.nilvera.outage(True, lookup_only=True)  # keep the order before invoicing
    o = make_order("8105", PERSON, "p-tisort", qty=3)
    flow.seed([o])
    flow.poll()
    client = TestClient(create_app(flow.rt), raise_server_exceptions=False)
    auth = {"Authorization": f"Bearer {flow.demo.api_key}"}
    url = "/v1/orders/trendyol:8105/split"
    for bad, why in [
        ({"parcels": [{"810501": 1}, {"810501": 1}]}, "add up to its own"),
        ({"parcels": [{"810501": 3}]}, "at least 2"),
        ({"groups": [["a"], ["b"]], "parcels": [{"810501": 1}, {"810501": 2}]}, "either"),
        ({}, "either"),
    ]:
        r = client.post(url, json=bad, headers=auth)
        assert r.status_code == 422 and why in r.text, (bad, r.text)
    r = client.post(url, json={"parcels": [{"810501": 1}, {"810501": 2}]}, headers=auth)
    assert r.status_code == 200 and r.json()["requested"] is True
    note = [e for e in flow.record("8105").order.timeline if e.step == "split"][-1]
    assert note.actor.startswith("user:") and note.data["parcels"] == [{"810501": 1}, {"810501": 2}]
    flow.nilvera.outage(False, lookup_only=True)
    flow.split_carried_out()
    parts = _parts(flow, "8105")
    assert sorted(int(p.order.lines[0].quantity) for p in parts) == [1, 2]

    assert all(p.order.state is OrderState.BOOKED for p in parts), [
        (p.order.state, p.order.hold_reason, p.last_error) for p in parts
    ]
