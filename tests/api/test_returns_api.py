"""The returns desk's routes (/v1/returns) against a Trendyol sandbox in process: the queue,
scan, photos, receive, approve and reject (the marketplace call made in the request), a
return with no request, a document recorded by hand, the voucher PDF, sync, who may call
them, and the 4xx each route promises."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from kervan.api.app import create_app
from kervan.api.claim_photos import MAX_PHOTO_BYTES, MAX_PHOTOS_BODY, SIGNATURES
from kervan.claims import ClaimState
from kervan.claims.commit import ClaimChange, commit
from kervan.claims.evidence import record_pack_scan
from kervan.claims.fiscal import voucher_pdf_key
from kervan.claims.record import ClaimRecord, Document, Inspection, Receipt
from kervan.domain import (
    Claim,
    ClaimLine,
    ClaimLineStatus,
    ClaimReason,
    Role,
    Tenant,
    TenantSettings,
    User,
)
from kervan.engine.records import ORDER, OrderRecord
from kervan.runtime import Runtime
from kervan.store import open_store
from kervan_trendyol.sandbox import TrendyolSandbox

from .conftest import SELLER, make_order

JPEG = SIGNATURES["image/jpeg"] + b"\xe0fake-jpeg-body"
PNG = SIGNATURES["image/png"] + b"fake-png-body"
DESK_ROLES = (Role.TENANT_ADMIN, Role.RETURNS_CLERK)
OTHERS = (Role.OPERATOR, Role.PICKER, Role.PACKER)


@dataclass
class World:
    """One Kervan and one Trendyol sandbox for the module (building them costs seconds)."""

    rt: Runtime
    client: TestClient
    sb: TrendyolSandbox
    keys: dict[Role, str]
    packages: Iterator[int]


@dataclass
class Desk:
    """A test's view: its own delivered order (package), so tests never share a claim."""

    world: World
    package: str

    @property
    def rt(self) -> Runtime:
        return self.world.rt

    @property
    def sb(self) -> TrendyolSandbox:
        return self.world.sb

    @property
    def client(self) -> TestClient:
        return self.world.client

    @property
    def order_id(self) -> str:
        return f"ty:{self.package}"

    def line(self, n: int) -> str:
        return f"{self.package}0{n}"

    def h(self, role: Role = Role.RETURNS_CLERK) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.world.keys[role]}"}

    def get(self, path: str, role: Role = Role.RETURNS_CLERK, **kw: Any) -> Any:
        return self.client.get(f"/v1{path}", headers=self.h(role), **kw)

    def post(self, path: str, body: Any = None, role: Role = Role.RETURNS_CLERK, **kw: Any) -> Any:
        return self.client.post(f"/v1{path}", headers=self.h(role), json=body, **kw)

    @property
    def store(self) -> Any:
        return self.rt.store.tenant("t1")

    def queue(self) -> list[dict[str, Any]]:
        r = self.get("/returns/queue")
        assert r.status_code == 200, r.text
        return [row for row in r.json() if row["order_id"] == self.order_id]

    def claim(self) -> str:
        """The buyer asks to return every unit, the parcel arrives at the seller, and a sync
        brings the claim in: its id in Kervan."""
        claim_id = self.sb.open_customer_claim(int(self.package), note="beden olmadı")
        self.sb.claim_arrives(claim_id)
        r = self.post("/returns/sync?connection_id=ty", role=Role.TENANT_ADMIN)
        assert r.status_code == 200, r.text
        return f"ty:{claim_id}"

    def received(self, key: str, condition: str = "sellable", **line: Any) -> dict[str, Any]:
        claim = self.get(f"/returns/{key}").json()
        lines = [{"line_id": ln["id"], "condition": condition, **line} for ln in claim["lines"]]
        r = self.post(f"/returns/{key}/receive", {"scanned": "RET-1", "lines": lines})
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home = tmp_path_factory.mktemp("returns-api")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KERVAN_HOME", str(home))
        sb = TrendyolSandbox(seed=7)
        rt = Runtime.create(
            store=open_store(f"sqlite:///{home}/k.db"), clock=sb.clock.now, mode="sandbox"
        )
        rt.tenancy.create_tenant(
            Tenant(id="t1", name="t1", seller=SELLER, settings=TenantSettings(auto_approve=False))
        )
        keys = {}
        for role in (*DESK_ROLES, *OTHERS):
            user = rt.tenancy.create_user(
                User(id=f"u-{role.value}", tenant_id="t1", name=role.value, roles=[role])
            )
            keys[role], _ = rt.tenancy.create_api_key(user)
        rt.connections.create("t1", "trendyol", "ty", sb.demo_settings("http://trendyol.sandbox"))
        rt.connectors.overrides["ty"] = {
            "transport": sb.transport(),
            "clock": sb.clock.now,
            "sleep": sb.clock.sleep,
        }
        client = TestClient(create_app(rt), raise_server_exceptions=False)
        yield World(rt, client, sb, keys, itertools.count(7001))
        rt.close()


@pytest.fixture
def desk(world: World) -> Iterator[Desk]:
    """A delivered order of its own: 2 + 1 units on two lines, at Trendyol and in Kervan."""
    package = str(next(world.packages))
    order = make_order(package)
    order.connection_id = "ty"
    order.id = f"ty:{package}"
    order.lines = [
        ln.model_copy(update={"line_id": f"{package}0{n}"}) for n, ln in enumerate(order.lines, 1)
    ]
    world.sb.seed_orders([order])
    world.sb.deliver(package)
    world.rt.store.tenant("t1").upsert(ORDER, order.id, OrderRecord(order=order).to_body())
    yield Desk(world, package)
    world.sb.faults.clear()


def _error(r: Any) -> dict[str, Any]:
    body: dict[str, Any] = r.json()["error"]
    return body


def _statuses(desk: Desk, claim_id: str) -> set[str]:
    claim = desk.sb.claims[claim_id.split(":", 1)[1]]
    return {ci["claimItemStatus"]["name"] for item in claim["items"] for ci in item["claimItems"]}


# -- the flows -------------------------------------------------------------------------------


def test_a_claim_is_scanned_received_and_approved_at_the_marketplace(desk: Desk) -> None:
    key = desk.claim()
    [row] = desk.queue()
    assert row["id"] == key and row["state"] == "requested"
    assert row["order_id"] == desk.order_id and row["respond_by"] is not None
    assert {ln["customer_note"] for ln in row["lines"]} == {"beden olmadı"}
    assert len(row["lines"]) == 3  # one per unit: 2 + 1

    tracking = row["cargo_tracking_number"]
    scanned = desk.post("/returns/scan", {"code": tracking}).json()
    assert scanned["found"] == "claim" and scanned["claim"]["id"] == key

    got = desk.received(key)
    assert got["state"] == "received"
    assert got["receipt"]["by"] == "user:u-returns_clerk"
    r = desk.post(f"/returns/{key}/approve", {})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["error"] is None
    assert out["claim"]["state"] == ClaimState.RETURNED.value, out["claim"]["timeline"][-3:]
    assert _statuses(desk, key) <= {"Accepted", "WaitingFraudCheck"}
    steps = [(e["step"], e["actor"]) for e in out["claim"]["timeline"]]
    assert ("approve", "user:u-returns_clerk") in steps
    assert ("approve_claim", "trendyol") in steps
    # sent again: the same claim, no second decision
    again = desk.post(f"/returns/{key}/approve", {}).json()
    assert len(again["claim"]["decisions"]) == 1
    assert desk.queue() == []


def test_a_rejection_sends_the_photos_and_the_packing_evidence(desk: Desk) -> None:
    key = desk.claim()
    record_pack_scan(
        desk.store,
        desk.order_id,
        scan_id="s1",
        barcode="8690000000011",
        packer="packer-7",
        station="st-1",
        at=desk.sb.clock.now(),
        order_number=f"9{desk.package}",
    )
    up = desk.client.post(
        f"/v1/returns/{key}/photos",
        headers=desk.h(),
        files=[("files", ("a.jpg", JPEG, "image/jpeg")), ("files", ("b.png", PNG, "image/png"))],
    )
    assert up.status_code == 201, up.text
    photos = up.json()["photos"]
    assert photos == [f"claim-photo:{key}:1", f"claim-photo:{key}:2"]
    assert desk.store.get_blob(photos[1]) == (PNG, "image/png")
    desk.received(key, condition="damaged", photos=photos[:1])
    r = desk.post(
        f"/returns/{key}/reject",
        {"reason_code": "51", "description": "ürün kullanılmış"},
        role=Role.TENANT_ADMIN,
    )
    assert r.status_code == 200, r.text
    assert r.json()["claim"]["state"] == "disputed"
    files = desk.sb.claim_attachments(key.split(":", 1)[1])
    kinds = sorted(ct for _, ct, _ in files)
    assert kinds.count("application/pdf") == 1 and "image/jpeg" in kinds
    assert any(data == JPEG for _, _, data in files)


def test_receive_sent_twice_is_one_receipt_and_a_decided_one_cannot_change(desk: Desk) -> None:
    key = desk.claim()
    first = desk.received(key)
    second = desk.received(key)
    assert second["receipt"] == first["receipt"]
    assert len([e for e in second["timeline"] if e["step"] == "receive"]) == 1
    assert desk.post(f"/returns/{key}/approve", {}).status_code == 200
    lines = [{"line_id": ln["id"], "condition": "damaged"} for ln in first["lines"]]
    r = desk.post(f"/returns/{key}/receive", {"scanned": "RET-1", "lines": lines})
    assert r.status_code == 409 and _error(r)["code"] == "claim_state"
    assert _error(r)["detail"]["claim_id"] == key


def test_deciding_before_receiving_is_409_and_nothing_is_sent(desk: Desk) -> None:
    key = desk.claim()
    r = desk.post(f"/returns/{key}/approve", {})
    assert r.status_code == 409 and "receive the parcel" in _error(r)["message"]
    assert _statuses(desk, key) == {"WaitingInAction"}


def test_a_marketplace_failure_after_the_decision_is_reported_and_the_decision_stays(
    desk: Desk,
) -> None:
    key = desk.claim()
    desk.received(key)
    desk.sb.faults.add(kind="status", status=401, method="PUT", path="*/items/approve", times=5)
    r = desk.post(f"/returns/{key}/approve", {})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["error"] is not None and out["error"]["retryable"] is False
    assert out["error"]["code"] == "auth" and out["error"]["message"]
    assert len(out["claim"]["decisions"]) == 1  # the decision stays
    assert out["claim"]["state"] == "approving" and out["claim"]["last_error"]
    assert _statuses(desk, key) == {"WaitingInAction"}
    # the fault is gone: the approval goes through on the next try, the decision is not doubled
    desk.sb.faults.clear()
    again = desk.post(f"/returns/{key}/approve", {}).json()
    assert again["error"] is None and again["claim"]["state"] == "returned"
    assert len(again["claim"]["decisions"]) == 1


def test_a_return_with_no_request_is_received_whole_and_opened_at_the_marketplace(
    desk: Desk,
) -> None:
    scanned = desk.post("/returns/scan", {"code": f"9{desk.package}"}).json()
    assert scanned["found"] == "order" and scanned["claim"] is None
    assert scanned["order"]["id"] == desk.order_id
    body = {"order_id": desk.order_id, "scanned": f"9{desk.package}", "lines": {desk.line(1): 1}}
    r = desk.post("/returns/unrequested", body)
    assert r.status_code == 201, r.text
    claim = r.json()["claim"]
    assert claim["opened_by"] == "seller" and len(claim["lines"]) == 1
    assert claim["receipt"]["by"] == "user:u-returns_clerk"
    again = desk.post("/returns/unrequested", body)
    assert again.json()["claim"]["id"] == claim["id"]
    mine = [c for c in desk.sb.claims.values() if c["orderNumber"] == f"9{desk.package}"]
    assert len(mine) == 1  # one claim at the marketplace
    r = desk.post("/returns/unrequested", {**body, "lines": {"nope": 1}})
    assert r.status_code == 422 and "nope" in _error(r)["message"]
    r = desk.post("/returns/unrequested", {**body, "order_id": "ty:404"})
    assert r.status_code == 404


def test_a_return_with_no_request_is_kept_when_the_marketplace_fails_and_opened_on_resend(
    desk: Desk,
) -> None:
    desk.sb.faults.add(kind="status", status=401, method="POST", path="*/claims/create", times=3)
    body = {"order_id": desk.order_id, "scanned": f"LBL-{desk.package}", "station": "desk-2"}
    r = desk.post("/returns/unrequested", body)
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["error"]["code"] == "auth"
    assert first["claim"]["opened_by"] == "seller" and len(first["claim"]["lines"]) == 3
    assert first["claim"]["receipt"]["station"] == "desk-2"
    assert _marketplace_claims(desk) == 0
    desk.sb.faults.clear()
    again = desk.post("/returns/unrequested", body).json()
    assert again["error"] is None and again["claim"]["id"] == first["claim"]["id"]
    assert _marketplace_claims(desk) == 1


def _marketplace_claims(desk: Desk) -> int:
    return sum(c["orderNumber"] == f"9{desk.package}" for c in desk.sb.claims.values())


def test_retry_resumes_a_failed_claim_and_refuses_one_that_has_not_failed(desk: Desk) -> None:
    key = _written_claim(desk, ClaimLineStatus.ACCEPTED, failed=True)
    r = desk.post(f"/returns/{key}/retry")
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["error"] is None and out["claim"]["state"] == "returned"
    assert ("retry", "user:u-returns_clerk") in [
        (e["step"], e["actor"]) for e in out["claim"]["timeline"]
    ]
    again = desk.post(f"/returns/{key}/retry")
    assert again.status_code == 409 and _error(again)["code"] == "claim_state"


def test_a_return_waiting_for_the_buyers_invoice_is_closed_by_hand(desk: Desk) -> None:
    key = _waiting_claim(desk)
    body = {"reference": "IAD2026000000007", "how": "paper_invoice", "note": "kargo ile geldi"}
    r = desk.post(f"/returns/{key}/document", body)
    assert r.status_code == 200, r.text
    doc = r.json()["document"]
    assert doc["status"] == "done" and doc["reference"] == "IAD2026000000007"
    assert desk.post(f"/returns/{key}/document", body).status_code == 200  # the same again
    other = desk.post(f"/returns/{key}/document", {**body, "reference": "IAD2"})
    assert other.status_code == 409 and _error(other)["code"] == "claim_state"


def _waiting_claim(desk: Desk) -> str:
    """A claim record written directly: approved, restocked, waiting for an IADE."""
    return _written_claim(desk, ClaimLineStatus.ACCEPTED, waiting=True)


def _written_claim(
    desk: Desk, status: ClaimLineStatus, *, waiting: bool = False, failed: bool = False
) -> str:
    """A claim of one unit written straight to the store: received sellable, its line as the
    marketplace reports it (``status``); waiting for the buyer's IADE, or failed."""
    now = desk.sb.clock.now()
    line = ClaimLine(
        id="ci-1",
        order_line_id=desk.line(1),
        barcode="8690000000011",
        name="Pamuklu Tişört",
        unit_price="299.90",
        reason=ClaimReason(code="401", name="Vazgeçtim"),
        status=status,
    )
    name = f"c-{'waiting' if waiting else 'failed' if failed else 'open'}-{desk.package}"
    claim = Claim(
        id=f"ty:{name}",
        tenant_id="t1",
        connection_id="ty",
        external_id=name,
        order_number=f"9{desk.package}",
        order_id=desk.order_id,
        claimed_at=now - timedelta(days=1),
        lines=[line],
    )
    rec = ClaimRecord(key=claim.id, claim=claim, order_id=desk.order_id)
    rec.receipt = Receipt(
        at=now, by="user:u-x", scanned="X", lines=[Inspection(line_id="ci-1", condition="sellable")]
    )
    if waiting:
        rec.done.restocked = True
        rec.document = Document(route="buyer_return_invoice", status="waiting", at=now)
    commit(desk.store, ClaimChange(rec), None, now)
    if failed:  # the planner keeps a failed claim failed; only a retry moves it
        doc = desk.store.get("claim", claim.id)
        body = doc.body | {"state": ClaimState.FAILED.value, "last_error": "restock: boom"}
        desk.store.replace("claim", claim.id, body, cas=doc.cas)
    return claim.id


def test_the_voucher_pdf_is_served_when_there_is_one(desk: Desk) -> None:
    key = _waiting_claim(desk)
    r = desk.get(f"/returns/{key}/voucher.pdf")
    assert r.status_code == 404 and "buyer_return_invoice" in _error(r)["message"]
    desk.store.put_blob(voucher_pdf_key(key), b"%PDF-1.4 voucher", "application/pdf")
    r = desk.get(f"/returns/{key}/voucher.pdf")
    assert r.status_code == 200 and r.content == b"%PDF-1.4 voucher"
    assert r.headers["content-type"] == "application/pdf"


# -- photos ----------------------------------------------------------------------------------


def _upload(desk: Desk, key: str, *files: tuple[str, bytes, str]) -> Any:
    parts = [("files", f) for f in files]
    return desk.client.post(f"/v1/returns/{key}/photos", headers=desk.h(), files=parts)


def test_photos_of_another_type_or_over_10_mb_are_refused_by_name(desk: Desk) -> None:
    key = desk.claim()
    r = _upload(desk, key, ("a.gif", b"GIF89a....", "image/gif"))
    assert r.status_code == 422 and "a.gif" in _error(r)["message"]
    assert _error(r)["detail"]["errors"][0]["loc"] == ["body", "files", "0"]
    r = _upload(desk, key, ("ok.jpg", JPEG, "image/jpeg"), ("fake.png", JPEG, "image/png"))
    assert r.status_code == 422 and "photo 2 (fake.png)" in _error(r)["message"]
    big = SIGNATURES["image/jpeg"] + b"\0" * MAX_PHOTO_BYTES
    r = _upload(desk, key, ("big.jpg", big, "image/jpeg"))
    assert r.status_code == 422 and "larger than 10 MB" in _error(r)["message"]
    assert desk.store.get_blob(f"claim-photo:{key}:1") is None  # nothing kept of a refusal
    r = _upload(desk, "ty:nope", ("ok.jpg", JPEG, "image/jpeg"))
    assert r.status_code == 404


def test_an_upload_may_be_larger_than_other_bodies_up_to_its_own_limit(desk: Desk) -> None:
    key = desk.claim()
    at_most = SIGNATURES["image/jpeg"] + b"\0" * (MAX_PHOTO_BYTES - 3)
    r = _upload(desk, key, ("max.jpg", at_most, "image/jpeg"))
    assert r.status_code == 201, r.text
    assert desk.store.get_blob(r.json()["photos"][0])[0] == at_most
    nine = SIGNATURES["image/jpeg"] + b"\0" * (9 * 1024 * 1024)
    r = _upload(desk, key, *[(f"{n}.jpg", nine, "image/jpeg") for n in range(3)])
    assert r.status_code == 413 and str(MAX_PHOTOS_BODY) in _error(r)["message"]
    # every other route keeps the server's limit (1 MiB by default)
    r = desk.post("/returns/scan", {"code": "x" * 10, "pad": "y" * (2 * 1024 * 1024)})
    assert r.status_code == 413


def test_a_receipt_may_name_only_this_claims_uploaded_photos(desk: Desk) -> None:
    key = desk.claim()
    claim = desk.get(f"/returns/{key}").json()
    line = {"line_id": claim["lines"][0]["id"], "condition": "damaged"}
    for photo in (f"claim-photo:{key}:9", "claim-photo:ty:other:1"):
        lines = [{**line, "photos": [photo]}] + [
            {"line_id": ln["id"], "condition": "sellable"} for ln in claim["lines"][1:]
        ]
        r = desk.post(f"/returns/{key}/receive", {"scanned": "X", "lines": lines})
        assert r.status_code == 422, r.text
        assert _error(r)["detail"]["errors"][0]["loc"] == ["body", "lines", "0", "photos", "0"]


# -- who and what ----------------------------------------------------------------------------


def test_only_the_returns_clerk_and_the_tenant_admin_work_the_desk(desk: Desk) -> None:
    key = desk.claim()
    for role in OTHERS:
        assert desk.get("/returns/queue", role).status_code == 403, role
        assert desk.get(f"/returns/{key}", role).status_code == 403, role
        assert desk.post("/returns/scan", {"code": "x"}, role).status_code == 403, role
    for role in DESK_ROLES:
        assert desk.get("/returns/queue", role).status_code == 200, role
        assert desk.get(f"/returns/{key}", role).status_code == 200, role
    sync = "/returns/sync?connection_id=ty"
    assert desk.post(sync, role=Role.RETURNS_CLERK).status_code == 403
    assert desk.post(sync, role=Role.TENANT_ADMIN).status_code == 200


def test_unknown_claims_codes_and_connections_are_404_in_the_envelope(desk: Desk) -> None:
    for r in (
        desk.get("/returns/ty:nope"),
        desk.post(
            "/returns/ty:nope/receive",
            {"scanned": "x", "lines": [{"line_id": "a", "condition": "sellable"}]},
        ),
        desk.post("/returns/ty:nope/approve", {}),
        desk.post("/returns/ty:nope/retry"),
        desk.get("/returns/ty:nope/voucher.pdf"),
        desk.post("/returns/scan", {"code": "NOTHING-HERE"}),
        desk.post("/returns/sync?connection_id=nope", role=Role.TENANT_ADMIN),
    ):
        assert r.status_code == 404, r.text
        assert _error(r)["code"] == "not_found"
    r = desk.post("/returns/scan", {"code": "NOTHING-HERE"})
    assert "nothing matches" in _error(r)["message"]


def test_bodies_refuse_fields_they_do_not_know(desk: Desk) -> None:
    r = desk.post("/returns/scan", {"code": "x", "extra": 1})
    assert r.status_code == 422
    r = desk.post("/returns/ty:x/reject", {"reason_code": "51"})
    assert r.status_code == 422  # a rejection needs a description
    assert ["body", "description"] in [e["loc"] for e in _error(r)["detail"]["errors"]]


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(code=st.text(min_size=1, max_size=60).filter(lambda s: s.strip() == s and " " not in s))
def test_any_scanned_code_is_found_refused_or_not_found_never_a_500(desk: Desk, code: str) -> None:
    r = desk.post("/returns/scan", {"code": code})
    assert r.status_code in (200, 404, 422), r.text
    assert "error" in r.json() or r.json()["code"] == code
