"""Each order path end to end: Trendyol → Kervan → Nilvera → Yurtiçi, all over HTTP."""

from __future__ import annotations

from kervan.domain import DocumentKind, DocumentStatus, OrderState
from kervan.store import Query

from .conftest import COMPANY, FOREIGN, PERSON, make_order


def test_person_gets_an_e_arsiv_submitted_at_once(flow):
    flow.seed([make_order("5001", PERSON)])
    flow.poll()
    rec = flow.record("5001")
    assert rec.invoice_kind is DocumentKind.EARSIV
    assert rec.order.state is OrderState.BOOKED  # submitted before any pickup
    assert rec.flags.invoice_submitted and rec.flags.invoice_sent
    invoice = flow.invoices()[0]
    assert flow.nilvera.document_count(invoice["uuid"]) == 1
    link = flow.trendyol.packages[5001]["invoiceLink"]
    assert link and invoice["uuid"].lower() in link.lower()  # the marketplace has the document


def test_registered_company_gets_e_fatura_submitted_only_after_pickup(flow):
    flow.seed(
        [make_order("5002", COMPANY)], registered={COMPANY.tax_id: "urn:mail:defaultpk@ege.example"}
    )
    flow.poll()
    rec = flow.record("5002")
    invoice = flow.invoices()[0]
    assert rec.invoice_kind is DocumentKind.EFATURA and invoice["profile"] == "TEMELFATURA"
    assert invoice["receiver_alias"] == "urn:mail:defaultpk@ege.example"
    assert rec.order.state is OrderState.BOOKED
    # a validated draft without a number: the number is taken when it leaves, at pickup
    assert invoice["status"] == DocumentStatus.DRAFT and invoice["number"] is None
    assert flow.nilvera.document_count(invoice["uuid"]) == 0, "e-Fatura left before pickup"
    flow.pickup()
    rec = flow.record("5002")
    assert rec.order.state is OrderState.SHIPPED and rec.flags.invoice_submitted
    assert flow.nilvera.document_count(invoice["uuid"]) == 1
    assert flow.invoices()[0]["number"] == "KRV2026000000001"


def test_lookup_outage_holds_the_order_until_the_lookup_answers(flow):
    flow.nilvera.outage(True, lookup_only=True)
    flow.seed(
        [make_order("5003", COMPANY)], registered={COMPANY.tax_id: "urn:mail:defaultpk@ege.example"}
    )
    flow.poll()
    rec = flow.record("5003")
    assert rec.order.state is OrderState.ON_HOLD and rec.invoice_id is None
    assert flow.invoices() == []  # never guessed e-Arşiv
    flow.nilvera.outage(False, lookup_only=True)
    flow.clock.skip_within_the_day(120)
    flow.demo.drain()
    rec = flow.record("5003")
    assert rec.invoice_kind is DocumentKind.EFATURA and rec.order.state is OrderState.BOOKED


def test_foreign_buyer_gets_an_export_invoice(flow):
    flow.seed([make_order("5004", FOREIGN, "p-kazak")])
    flow.poll()
    rec = flow.record("5004")
    assert flow.invoices(), (rec.order.state, rec.order.hold_reason, rec.last_error)
    invoice = flow.invoices()[0]
    assert rec.invoice_kind is DocumentKind.EXPORT
    assert invoice["lines"][0]["vat_amount"] == "0.00"
    assert invoice["tax_subtotals"][0]["exemption_code"] == "301"
    assert rec.order.state is OrderState.BOOKED, rec.last_error
    assert flow.nilvera.document_count(invoice["uuid"]) == 1


def test_out_of_stock_holds_then_restock_releases(flow):
    flow.seed([make_order("5005", PERSON, "p-canta")], stock={"p-canta": 0})
    flow.poll()
    rec = flow.record("5005")
    assert rec.order.state is OrderState.ON_HOLD and "out of stock" in rec.order.hold_reason
    for oid in flow.rt.engine.set_stock("demo", "p-canta", 3):
        flow.jobs.enqueue_order("demo", oid)
    flow.demo.drain()
    rec = flow.record("5005")
    assert rec.order.state is OrderState.BOOKED and rec.reserved == {"p-canta": 1}


def test_cancel_before_invoicing_leaves_no_document(flow):
    flow.nilvera.outage(True, lookup_only=True)
    flow.seed([make_order("5006", COMPANY)], cancelled={"5006"})
    flow.poll()  # held on the lookup, no invoice
    flow.poll()  # the marketplace's cancellation arrives
    rec = flow.record("5006")
    assert rec.order.state is OrderState.CANCELLED and rec.invoice_id is None
    stock = flow.rt.store.tenant("demo").get("stock", "p-tisort").body
    assert stock["reserved"] == 0


def test_cancel_after_invoicing_cancels_invoice_and_shipment(flow):
    flow.seed([make_order("5007", PERSON)], cancelled={"5007"})
    flow.poll()
    first = flow.record("5007")
    assert first.order.state is OrderState.BOOKED
    flow.poll()
    rec = flow.record("5007")
    assert rec.order.state is OrderState.CANCELLED
    invoice = flow.invoices()[0]
    assert invoice["status"] == DocumentStatus.CANCELLED
    assert flow.nilvera.documents[invoice["uuid"].lower()].cancelled_at is not None
    shipments = flow.rt.store.tenant("demo").query(Query("shipment"))
    assert [s.body["status"] for s in shipments] == ["cancelled"]
    stock = flow.rt.store.tenant("demo").get("stock", "p-tisort").body
    assert stock["reserved"] == 0
