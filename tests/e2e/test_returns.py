"""Returns end to end: Trendyol claims → the returns desk → Trendyol, Nilvera and the ledger,
all over HTTP against the sandboxes."""

from __future__ import annotations

import pytest
from kervan.claims import ClaimState, Inspection
from kervan.claims.evidence import record_pack_scan
from kervan.claims.fiscal import voucher_pdf_key
from kervan.engine.records import STOCK_MOVE
from kervan.engine.stock import figures
from kervan.store import Query

from .conftest import PERSON, make_order

TENANT = "demo"


def shipped(flow, package: str, **kw) -> None:
    """An order for ``package`` invoiced, picked up and delivered to the buyer."""
    flow.seed([make_order(package, PERSON, **kw)])
    flow.poll()
    flow.pickup()
    flow.trendyol.deliver(package)


def returns(flow):
    return flow.rt.returns


def run(flow, coro):
    return flow.jobs.loop.run(coro)


def sync(flow):
    return run(flow, returns(flow).sync(TENANT, "trendyol"))


def on_hand(flow, product: str) -> int:
    return figures(flow.rt.store.tenant(TENANT).get("stock", product).body).on_hand


def sellable(rec) -> list[Inspection]:
    return [Inspection(line_id=ln.id, condition="sellable") for ln in rec.claim.lines]


def test_request_receive_approve_gives_a_gider_pusulasi_and_stock_back(flow):
    shipped(flow, "7001")
    before = on_hand(flow, "p-tisort")
    claim_id = flow.trendyol.open_customer_claim(7001, note="beden olmadı")
    result = sync(flow)
    [key] = result.new
    rec = returns(flow).get(TENANT, key)
    assert rec.state is ClaimState.REQUESTED
    assert rec.order_id == "trendyol:7001"
    assert [r.key for r in returns(flow).queue(TENANT)] == [key]

    flow.trendyol.claim_arrives(claim_id)
    sync(flow)
    scanned = returns(flow).scan(TENANT, rec.claim.cargo_tracking_number)
    assert scanned.claim is not None and scanned.claim.key == key
    returns(flow).receive(TENANT, key, by="clerk-1", scanned="x", lines=sellable(rec))
    returns(flow).decide(TENANT, key, "approve", by="clerk-1")
    done = run(flow, returns(flow).advance(TENANT, key))
    assert done.state is ClaimState.RETURNED, done.timeline[-3:]
    statuses = {i["claimItemStatus"]["name"] for i in _items(flow, claim_id)}
    assert statuses <= {"Accepted", "WaitingFraudCheck"}
    assert on_hand(flow, "p-tisort") == before + 1
    assert done.document is not None and done.document.route == "expense_voucher"
    assert done.document.number and done.document.number.startswith("KRG")
    pdf = flow.rt.store.tenant(TENANT).get_blob(voucher_pdf_key(key))
    assert pdf is not None and pdf[0].startswith(b"%PDF")

    # replays change nothing: one movement, one document, one outbox event
    again = run(flow, returns(flow).advance(TENANT, key))
    sync(flow)
    assert again.document == done.document
    moves = flow.rt.store.tenant(TENANT).query(Query(STOCK_MOVE, {"ref": key}))
    assert len(moves) == 1
    assert on_hand(flow, "p-tisort") == before + 1


def test_request_receive_reject_sends_photos_and_packing_evidence(flow):
    shipped(flow, "7002")
    ts = flow.rt.store.tenant(TENANT)
    record_pack_scan(
        ts,
        "trendyol:7002",
        scan_id="s1",
        barcode="8680000000011",
        packer="packer-7",
        station="st-1",
        at=flow.clock(),
        order_number="97002",
    )
    claim_id = flow.trendyol.open_customer_claim(7002)
    flow.trendyol.claim_arrives(claim_id)
    [key] = sync(flow).new
    rec = returns(flow).get(TENANT, key)
    ts.put_blob(f"claim-photo:{key}:1", b"\xff\xd8\xff\xe0fakejpeg", "image/jpeg")
    lines = [
        Inspection(line_id=ln.id, condition="damaged", photos=[f"claim-photo:{key}:1"])
        for ln in rec.claim.lines
    ]
    returns(flow).receive(TENANT, key, by="clerk-2", scanned="x", lines=lines)
    returns(flow).decide(
        TENANT, key, "reject", by="clerk-2", reason_code="51", description="ürün kullanılmış"
    )
    done = run(flow, returns(flow).advance(TENANT, key))
    assert done.state is ClaimState.DISPUTED
    files = flow.trendyol.claim_attachments(claim_id)
    kinds = sorted(ct for _, ct, _ in files)
    assert kinds == ["application/pdf", "image/jpeg"]
    assert any(data.startswith(b"%PDF") for _, _, data in files)
    assert {i["claimItemStatus"]["name"] for i in _items(flow, claim_id)} == {"Unresolved"}


def test_return_with_no_request_opens_a_claim_matched_later(flow):
    shipped(flow, "7003")
    before = on_hand(flow, "p-tisort")
    rec = run(
        flow,
        returns(flow).open_return(TENANT, "trendyol:7003", by="clerk-3", scanned="97003"),
    )
    assert rec.done.remote_created and rec.claim.external_id
    again = run(
        flow,
        returns(flow).open_return(TENANT, "trendyol:7003", by="clerk-3", scanned="97003"),
    )
    assert again.key == rec.key
    result = sync(flow)
    assert result.new == []
    matched = returns(flow).get(TENANT, rec.key)
    assert not matched.claim.lines[0].id.startswith("local-")
    assert matched.state is ClaimState.APPROVING  # approved, waiting for Trendyol to register it
    # Trendyol registers the parcel at the seller (WaitingInAction); the approval then goes
    flow.trendyol.claim_arrives(rec.claim.external_id)
    sync(flow)
    final = returns(flow).get(TENANT, rec.key)
    claims = flow.rt.store.tenant(TENANT).query(Query("claim"))
    assert len(claims) == 1
    assert final.state is ClaimState.RETURNED, final.timeline[-4:]
    assert on_hand(flow, "p-tisort") == before + 1


def _items(flow, claim_id):
    claim = flow.trendyol.claims[claim_id]
    return [ci for item in claim["items"] for ci in item["claimItems"]]


@pytest.fixture(autouse=True)
def _tenant_has_stock(flow):
    return flow


def _received_and_approved(flow, package: str) -> str:
    claim_id = flow.trendyol.open_customer_claim(int(package))
    flow.trendyol.claim_arrives(claim_id)
    [key] = sync(flow).new
    rec = returns(flow).get(TENANT, key)
    returns(flow).receive(TENANT, key, by="clerk-4", scanned="x", lines=sellable(rec))
    returns(flow).decide(TENANT, key, "approve", by="clerk-4")
    run(flow, returns(flow).advance(TENANT, key))
    return key


def test_a_registered_buyers_iade_arrives_through_incoming_documents(flow):
    import uuid as uuidlib

    import kervan_ubltr
    from kervan.domain import Invoice
    from kervan.engine.records import INVOICE
    from kervan.invoicing import return_invoice

    from .conftest import COMPANY

    flow.seed(
        [make_order("7004", COMPANY)],
        registered={COMPANY.tax_id: "urn:mail:defaultpk@ege.example"},
    )
    flow.poll()
    flow.pickup()
    flow.trendyol.deliver("7004")
    key = _received_and_approved(flow, "7004")
    rec = returns(flow).get(TENANT, key)
    assert rec.state is ClaimState.WAITING_DOCUMENT
    assert rec.document is not None and rec.document.route == "buyer_return_invoice"
    assert run(flow, returns(flow).find_return_invoices(TENANT)) == []  # nothing came yet

    ts = flow.rt.store.tenant(TENANT)
    [doc] = ts.query(Query(INVOICE, {"order_id": "trendyol:7004"}))
    sale = Invoice.model_validate(doc.body)
    iade = return_invoice(
        sale,
        {1: sale.lines[0].quantity},
        number="EGE2026000000042",
        uuid=str(uuidlib.uuid4()),
        issued_at=flow.clock(),  # not later: the list is read up to now
    )
    flow.nilvera.receive_incoming(kervan_ubltr.build_invoice(iade))
    assert run(flow, returns(flow).find_return_invoices(TENANT)) == [key]
    done = returns(flow).get(TENANT, key)
    assert done.state is ClaimState.RETURNED
    assert done.document is not None and done.document.reference == "EGE2026000000042"
    # the same IADE seen again closes nothing else
    assert run(flow, returns(flow).find_return_invoices(TENANT)) == []


def test_exchange_sends_a_transport_only_e_irsaliye_with_a_label(flow):
    from kervan.claims.parts import DESPATCH

    shipped(flow, "7005")
    key = _received_and_approved(flow, "7005")
    before = on_hand(flow, "p-tisort")
    order = flow.record("7005").order
    line = order.lines[0].line_id
    part = run(
        flow,
        returns(flow).parts.ship(
            TENANT,
            order.id,
            kind="exchange",
            lines={line: 1},
            request_id="ex-1",
            by="clerk-5",
            claim_id=key,
        ),
    )
    assert part.status == "shipped" and part.tracking_number and part.despatch_number
    assert part.despatch_number.startswith("KRI")
    again = run(
        flow,
        returns(flow).parts.ship(
            TENANT, order.id, kind="exchange", lines={line: 1}, request_id="ex-1", by="clerk-5"
        ),
    )
    assert again.key == part.key and again.despatch_number == part.despatch_number
    assert on_hand(flow, "p-tisort") == before - 1
    ts = flow.rt.store.tenant(TENANT)
    [despatch] = ts.query(Query(DESPATCH, {"order_id": order.id}))
    assert any("faturalandırılmayacaktır" in n for n in despatch.body["notes"])
    assert flow.nilvera.document_count(despatch.body["uuid"]) == 1
    assert ts.get_blob(f"label:{part.key}:zpl") or ts.get_blob(f"label:{part.key}:pdf")


def test_missing_part_is_shipped_without_a_claim(flow):
    shipped(flow, "7006")
    order = flow.record("7006").order
    part = run(
        flow,
        returns(flow).parts.ship(
            TENANT,
            order.id,
            kind="missing_part",
            lines={order.lines[0].line_id: 1},
            request_id="mp-1",
            by="clerk-6",
            note="düğme eksik",
        ),
    )
    assert part.status == "shipped" and part.claim_id is None
    assert [p.key for p in returns(flow).parts.for_order(TENANT, order.id)] == [part.key]


def test_claims_delivered_three_times_across_overlapping_pages_are_one_return(flow):
    shipped(flow, "7007")
    before = on_hand(flow, "p-tisort")
    claim_id = flow.trendyol.open_customer_claim(7007)
    flow.trendyol.claim_arrives(claim_id)
    for kind in ("overlap_page", "duplicate_page", "overlap_page"):
        flow.trendyol.faults.add(kind=kind, path="*/claims", times=2)
        sync(flow)
    docs = flow.rt.store.tenant(TENANT).query(Query("claim"))
    assert len(docs) == 1
    key = docs[0].key
    rec = returns(flow).get(TENANT, key)
    for _ in range(2):  # a handheld's retry
        returns(flow).receive(TENANT, key, by="clerk-7", scanned="x", lines=sellable(rec))
        returns(flow).decide(TENANT, key, "approve", by="clerk-7")
    for _ in range(3):
        run(flow, returns(flow).advance(TENANT, key))
        sync(flow)
    final = returns(flow).get(TENANT, key)
    assert final.state is ClaimState.RETURNED
    assert len(final.decisions) == 1
    ts = flow.rt.store.tenant(TENANT)
    assert len(ts.query(Query(STOCK_MOVE, {"ref": key}))) == 1
    assert on_hand(flow, "p-tisort") == before + 1
    assert len(ts.query(Query("expense_voucher"))) == 1


def test_a_yurtici_return_code_is_tracked_inbound_and_found_by_scan(flow):
    shipped(flow, "7008")
    claim_id = flow.trendyol.open_customer_claim(7008)
    [key] = sync(flow).new
    rec = run(flow, returns(flow).book_return_code(TENANT, key, by="clerk-8"))
    assert rec.return_code is not None
    code = rec.return_code["code"]
    again = run(flow, returns(flow).book_return_code(TENANT, key, by="clerk-8"))
    assert again.return_code is not None and again.return_code["code"] == code
    assert run(flow, returns(flow).track_inbound(TENANT)) == []  # not handed in yet
    flow.yurtici.hand_in_return(code)
    flow.demo.advance(("yurtici",), 6 * 3600)
    assert run(flow, returns(flow).track_inbound(TENANT)) == [key]
    moved = returns(flow).get(TENANT, key)
    assert moved.return_code is not None and moved.return_code.get("inbound")
    assert returns(flow).scan(TENANT, code).claim.key == key
    assert claim_id


def _choose(flow, choice: str) -> None:
    tenant = flow.rt.tenancy.get_tenant(TENANT)
    tenant.settings.returns_earsiv = choice
    flow.rt.tenancy.update_tenant(tenant)


def test_a_whole_e_arsiv_return_within_the_window_cancels_the_invoice_when_chosen(flow):
    from kervan.domain import DocumentStatus

    shipped(flow, "7009")
    _choose(flow, "cancel_invoice")
    key = _received_and_approved(flow, "7009")
    done = returns(flow).get(TENANT, key)
    assert done.state is ClaimState.RETURNED
    assert done.document is not None and done.document.route == "earsiv_cancelled"
    invoice = next(i for i in flow.invoices() if i["order_id"] == "trendyol:7009")
    assert invoice["status"] == DocumentStatus.CANCELLED
    assert flow.record("7009").invoice_status is DocumentStatus.CANCELLED
    assert flow.rt.store.tenant(TENANT).query(Query("expense_voucher")) == []


def test_past_the_window_the_same_choice_falls_back_to_a_gider_pusulasi(flow):
    shipped(flow, "7010")
    _choose(flow, "cancel_invoice")
    flow.clock.skip(9 * 24 * 3600)  # more than 7 days after the invoice
    key = _received_and_approved(flow, "7010")
    done = returns(flow).get(TENANT, key)
    assert done.document is not None and done.document.route == "expense_voucher"
    assert "not cancelled" in (done.document.note or "")


def test_the_api_ships_a_part_serves_its_label_and_e_irsaliye_and_books_a_return_code(flow):
    from fastapi.testclient import TestClient
    from kervan.api.app import create_app
    from kervan.domain import Role, User

    shipped(flow, "7011")
    claim_id = flow.trendyol.open_customer_claim(7011)
    [key] = sync(flow).new
    order = flow.record("7011").order
    tenancy = flow.rt.tenancy
    picker = tenancy.create_user(User(id="p1", tenant_id=TENANT, name="P", roles=[Role.PICKER]))
    picker_key, _ = tenancy.create_api_key(picker)
    admin = {"Authorization": f"Bearer {flow.demo.api_key}"}
    body = {
        "order_id": order.id,
        "kind": "exchange",
        "lines": {order.lines[0].line_id: 1},
        "request_id": "ex-api-1",
        "claim_id": key,
    }
    with TestClient(create_app(flow.rt)) as client:
        denied = client.post(
            "/v1/part-shipments", json=body, headers={"Authorization": f"Bearer {picker_key}"}
        )
        assert denied.status_code == 403
        r = client.post("/v1/part-shipments", json=body, headers=admin)
        assert r.status_code == 201, r.text
        part = r.json()["shipment"]
        assert part["status"] == "shipped" and r.json()["error"] is None
        again = client.post("/v1/part-shipments", json=body, headers=admin).json()["shipment"]
        assert again["despatch_number"] == part["despatch_number"]
        base = f"/v1/orders/{order.id}/part-shipments"
        assert [p["key"] for p in client.get(base, headers=admin).json()] == [part["key"]]
        zpl = client.get(f"{base}/ex-api-1/label.zpl", headers=admin)
        assert zpl.status_code == 200 and zpl.content.startswith(b"^XA")
        # its PDF is drawn by the carrier when first asked for, then kept
        assert flow.rt.store.tenant("demo").get_blob(f"label:{part['key']}:pdf") is None
        label = client.get(f"{base}/ex-api-1/label.pdf", headers=admin)
        assert label.status_code == 200 and label.content.startswith(b"%PDF")
        assert label.headers["content-type"] == "application/pdf"
        kept = flow.rt.store.tenant("demo").get_blob(f"label:{part['key']}:pdf")
        assert kept is not None and kept[0] == label.content
        xml = client.get(f"{base}/ex-api-1/despatch.xml", headers=admin)
        assert xml.status_code == 200 and b"DespatchAdvice" in xml.content
        pdf = client.get(f"{base}/ex-api-1/despatch.pdf", headers=admin)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        bad = client.post("/v1/part-shipments", json={**body, "lines": {"nope": 1}}, headers=admin)
        assert bad.status_code == 422, bad.text
        fresh = {**body, "request_id": "ex-api-2", "lines": {"nope": 1}}
        assert client.post("/v1/part-shipments", json=fresh, headers=admin).status_code == 422
        code = client.post(f"/v1/returns/{key}/return-code", json={}, headers=admin)
        assert code.status_code == 200, code.text
        assert code.json()["return_code"]["code"]
    assert claim_id
