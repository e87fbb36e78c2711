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
