"""The ERP flow end to end: Trendyol → Kervan → Nilvera, then the sale into Nebim V3 and into
Paraşüt (each on its sandbox): customer card, sales invoice, payment closing at the
marketplace's settlement, the reversal once the e-Arşiv is really cancelled. Each document
is in the ERP exactly once, through an expired session, a crash between the ERP's answer and
our record, and the same event delivered twice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from kervan import Settlement
from kervan.domain import OrderState
from kervan.engine.records import ORDER, OUTBOX
from kervan.erp import ErpFlow
from kervan.erp import flow as flow_mod
from kervan.erp.flow import ERP_POSTING, FINAL, posting_counts
from kervan.store import Query
from kervan_demo import wiring
from kervan_nebim.sandbox import NebimSandbox
from kervan_parasut.sandbox import ParasutSandbox

from .conftest import PERSON, make_order

ERPS = {"nebim": NebimSandbox, "parasut": ParasutSandbox}


class ErpWorld:
    """The e2e flow plus one ERP connection on its sandbox: the demo's own Nebim (served on
    loopback), or a Paraşüt added in-process on its simulated clock."""

    def __init__(self, flow: Any, key: str) -> None:
        self.flow, self.key = flow, key
        self.sandbox = flow.demo.sandboxes.get(key) or ERPS[key]()
        self.erp = ErpFlow(flow.rt.engine)

    def connect(self) -> None:
        if self.key in self.flow.demo.sandboxes:
            return  # the demo connected it when it started
        assert self.flow.demo.scenario is not None
        self.sandbox.seed_scenario(self.flow.demo.scenario)
        wiring.connect(
            self.flow.rt,
            "demo",
            self.key,
            self.sandbox,
            f"http://{self.key}.sandbox",
            in_process=True,
        )

    def post(self) -> None:
        """The erp_post job for this connection, through the job runner."""
        self.flow.jobs.send("erp_post", "demo", self.key)
        self.flow.demo.drain()
        assert self.flow.rt.store.tenant("demo").query(Query("dead_letter")) == []

    def run(self) -> dict[str, int]:
        return dict(self.flow.jobs.loop.run(self.erp.run("demo", self.key)))

    def settle(self, package: str, reference: str = "PO-77") -> None:
        rec = self.flow.record(package)
        total = Decimal(self.flow.invoices()[0]["totals"]["payable"])
        commission = (total * Decimal("0.15")).quantize(Decimal("0.01"))
        item = Settlement(
            order_number=rec.order.order_number,
            package_id=package,
            amount=total - commission,
            paid_on=date(2026, 12, 9),
            reference=reference,
            deductions={"commission": commission},
        )
        got = self.erp.record_settlements("demo", "trendyol", [item])
        assert got["new"] + got["known"] == 1

    def postings(self, reference: str) -> dict[str, int]:
        return {k: v for k, v in self.sandbox.erp_postings(reference).items() if v}

    def undone(self) -> list[str]:
        """Events this connection has not finished (the demo's Nebim may still owe others)."""
        store = self.flow.rt.store.tenant("demo")
        return [
            d.key
            for d in store.query(Query(OUTBOX, {"done": False}))
            if (d.body.get("sinks") or {}).get(self.key, {}).get("status") not in FINAL
        ]


@pytest.fixture(params=sorted(ERPS))
def erp(flow, request) -> ErpWorld:
    world = ErpWorld(flow, request.param)
    return world


def expire(erp: ErpWorld) -> None:
    """The ERP forgets every session or token (IIS recycled, a token timed out)."""
    if isinstance(erp.sandbox, NebimSandbox):
        erp.sandbox.expire_sessions()
    else:
        erp.sandbox.expire_tokens()


def test_order_to_erp_invoice_payment_and_reversal(erp: ErpWorld) -> None:
    flow = erp.flow
    flow.seed([make_order("7101", PERSON)], cancelled={"7101"})
    erp.connect()
    flow.poll()
    invoice = flow.invoices()[0]
    assert invoice["number"], "the e-Arşiv left at once"
    erp.post()
    rec = flow.record("7101")
    assert set(rec.erp[erp.key]) == {"customer", "invoice"}
    assert erp.postings(invoice["uuid"]) == {"invoice": 1}
    assert any(
        e.step == "erp" and "invoice posted" in (e.message or "") for e in rec.order.timeline
    )
    expire(erp)  # the session ends between the invoice and the payment: reconnected
    # Trendyol pays the order out; its finance API says so, read twice: one payment closing
    flow.trendyol.pay_out(7101, 555)
    for _ in range(2):
        flow.jobs.send("fetch_settlements", "demo", "trendyol")
        flow.demo.drain()
    erp.post()
    assert erp.postings("TY-555") == {"payment": 1}
    assert flow.record("7101").erp[erp.key]["payment:TY-555"]
    # the buyer cancels: the e-Arşiv is cancelled at Nilvera, then the ERP reverses the sale
    flow.poll()
    assert flow.record("7101").order.state is OrderState.CANCELLED
    erp.post()
    assert "reversal" in flow.record("7101").erp[erp.key]
    assert erp.postings(invoice["uuid"]) == {}, "the sale still stands in the ERP"
    assert erp.postings("TY-555") == {}, "the payment still stands in the ERP"
    assert erp.undone() == []
    store = flow.rt.store.tenant("demo")
    counts = posting_counts(store)
    assert {k: v for k, v in counts.items() if v} == {
        "customer": 1,
        "invoice": 1,
        "payment": 1,
        "reversal": 1,
    }
    if erp.key != "nebim":
        # the demo's Nebim receives postings too: an event is done once both have it
        event = store.get(OUTBOX, "invoiced:trendyol:7101")
        assert event is not None and event.body["done"] is False
        flow.jobs.send("erp_post", "demo", "nebim")
        flow.demo.drain()
        assert store.query(Query(OUTBOX, {"done": False})) == []
        assert posting_counts(store)["reversal"] == 2


def test_crash_redelivery_and_waiting_payment_each_post_once(
    erp: ErpWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    flow = erp.flow
    flow.seed([make_order("7102", PERSON)])
    flow.poll()  # invoiced, and settled, before the ERP is asked (or even connected)
    erp.settle("7102", "PO-1")
    store = flow.rt.store.tenant("demo")
    invoiced = store.get(OUTBOX, "invoiced:trendyol:7102")
    assert invoiced is not None and invoiced.body["done"] is False
    erp.connect()
    uuid = flow.invoices()[0]["uuid"]
    # the worker dies after the ERP took the invoice, before Kervan recorded it
    real = flow_mod.record_posting
    crashed: list[str] = []

    def crash_once(*args: Any, **kw: Any) -> None:
        if args[4].kind == "invoice" and not crashed:
            crashed.append("invoice")
            raise RuntimeError("worker killed after the ERP answered")
        real(*args, **kw)

    monkeypatch.setattr(flow_mod, "record_posting", crash_once)
    with pytest.raises(RuntimeError):
        erp.run()
    assert erp.postings(uuid) == {"invoice": 1}
    assert "invoice" not in flow.record("7102").erp.get(erp.key, {})
    expire(erp)  # and the session is gone by the time the job runs again
    assert erp.run() == {"done": 2}  # the invoice (found, not posted again), then the payment
    assert erp.postings(uuid) == {"invoice": 1}
    assert erp.postings("PO-1") == {"payment": 1}
    rec = flow.record("7102")
    assert list(rec.erp[erp.key]) == ["customer", "invoice", "payment:PO-1"]
    doc = store.get(ERP_POSTING, f"{erp.key}|trendyol:7102|invoice")
    assert doc is not None and doc.body["already_done"] is True
    # the same events delivered again: our record says they are posted, nothing is asked
    for key in ("invoiced:trendyol:7102", "settled:trendyol:7102:PO-1"):
        event = store.get(OUTBOX, key)
        assert event is not None
        store.upsert(OUTBOX, key, {**event.body, "done": False, "sinks": {}})
    assert erp.run() == {"done": 2}
    # and again with our record lost too: the ERP finds each document and answers with it
    order = store.get(ORDER, "trendyol:7102")
    assert order is not None
    store.upsert(ORDER, order.key, {**order.body, "erp": {}})
    for key in ("invoiced:trendyol:7102", "settled:trendyol:7102:PO-1"):
        event = store.get(OUTBOX, key)
        assert event is not None
        store.upsert(OUTBOX, key, {**event.body, "done": False, "sinks": {}})
    assert erp.run() == {"done": 2}
    assert erp.postings(uuid) == {"invoice": 1}
    assert erp.postings("PO-1") == {"payment": 1}
    assert erp.undone() == []
