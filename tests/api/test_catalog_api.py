"""The catalog routes (/v1/products, /v1/listings, channel policies, pushes) against a
Trendyol sandbox in process: import, cards, merge and split, the ledger, "why is this number
on that channel", pricing previews, pushes, the 4xx each route promises, and who may call it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from kervan.api.app import create_app
from kervan.catalog.cards import card_id_for
from kervan.domain import OrderState, Role, Tenant, TenantSettings, User
from kervan.engine.records import ORDER, OrderRecord
from kervan.runtime import Runtime
from kervan.store import open_store
from kervan_trendyol.sandbox import TrendyolSandbox
from kervan_trendyol.sandbox.products_api import add_product, shown_quantity

from .conftest import SELLER, make_order

BARCODES = ["8690000000011", "8690000000028", "8690000000035"]


@dataclass
class FakeJobs:
    """Records what a route queues (the process in these tests runs no worker)."""

    orders: list[tuple[str, str]] = field(default_factory=list)
    sent: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def enqueue_order(self, tenant_id: str, order_id: str) -> bool:
        self.orders.append((tenant_id, order_id))
        return True

    def send(self, actor: str, *args: Any) -> bool:
        self.sent.append((actor, args))
        return True


@dataclass
class Shop:
    rt: Runtime
    client: TestClient
    sb: TrendyolSandbox
    keys: dict[Role, str]

    def h(self, role: Role = Role.OPERATOR) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def get(self, path: str, role: Role = Role.OPERATOR, **kw: Any) -> Any:
        return self.client.get(f"/v1{path}", headers=self.h(role), **kw)

    def post(self, path: str, body: Any = None, role: Role = Role.OPERATOR) -> Any:
        return self.client.post(f"/v1{path}", headers=self.h(role), json=body)

    def put(self, path: str, body: Any, role: Role = Role.OPERATOR) -> Any:
        return self.client.put(f"/v1{path}", headers=self.h(role), json=body)

    def imported(self) -> dict[str, str]:
        """Import the sandbox's listings: barcode → card id."""
        r = self.post("/connections/ty/import-listings")
        assert r.status_code == 200, r.text
        cards = self.get("/products").json()
        return {row["card"]["barcodes"][0]: row["card"]["id"] for row in cards}


@pytest.fixture
def shop(tmp_path, monkeypatch) -> Iterator[Shop]:
    monkeypatch.setenv("KERVAN_HOME", str(tmp_path))
    sb = TrendyolSandbox(seed=7)
    for i, barcode in enumerate(BARCODES):
        add_product(
            sb,
            barcode=barcode,
            stock_code=f"SKU-{i}" if i < 2 else "SKU-0",  # the third shares a stock code
            title=f"Ürün {i}",
            sale_price=100.0,
            vat_rate=20,
            quantity=10,
        )
    rt = Runtime.create(
        store=open_store(f"sqlite:///{tmp_path}/k.db"), clock=sb.clock.now, mode="sandbox"
    )
    rt.tenancy.create_tenant(
        Tenant(id="t1", name="t1", seller=SELLER, settings=TenantSettings(auto_approve=False))
    )
    keys = {}
    for role in (Role.TENANT_ADMIN, Role.OPERATOR, Role.PICKER):
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
    yield Shop(rt, client, sb, keys)
    rt.close()


def _error(r: Any) -> dict[str, Any]:
    body: dict[str, Any] = r.json()["error"]
    return body


def _locs(r: Any) -> list[list[str]]:
    return [e["loc"] for e in _error(r)["detail"]["errors"]]


# -- import and cards ------------------------------------------------------------------------


def test_import_makes_a_card_per_barcode_with_the_channels_figure(shop: Shop) -> None:
    r = shop.post("/connections/ty/import-listings")
    assert r.status_code == 200, r.text
    assert r.json() == {
        "connection_id": "ty",
        "queued": False,
        "report": {"seen": 3, "new_cards": 3, "attached": 0, "updated": 0, "problems": 0},
    }
    rows = shop.get("/products", params={"limit": 2}).json()
    assert len(rows) == 2 and rows[0]["stock"]["on_hand"] == 10
    pid = rows[0]["card"]["id"]
    card = shop.get(f"/products/{pid}").json()
    assert card["card"]["id"] == pid and card["stock"]["available"] == 10
    [listing] = card["listings"]
    assert listing["key"] == f"ty:{card['card']['barcodes'][0]}"
    assert listing["pushed"]["quantity"] == 10 and listing["flagged"] is False
    assert shop.get("/products", params={"offset": 2}).json()[0]["card"]["id"] != pid
    again = shop.post("/connections/ty/import-listings").json()["report"]
    assert again["updated"] == 3 and again["new_cards"] == 0


def test_import_is_queued_when_the_process_runs_jobs(shop: Shop) -> None:
    jobs = FakeJobs()
    shop.rt.jobs = jobs
    r = shop.post("/connections/ty/import-listings")
    assert r.status_code == 200 and r.json()["queued"] is True and r.json()["report"] is None
    assert jobs.sent == [("import_listings", ("t1", "ty"))]
    assert shop.get("/products").json() == []
    shop.rt.jobs = None


def test_import_refuses_a_disabled_or_unknown_connection(shop: Shop) -> None:
    shop.rt.connections.update("t1", "ty", None, enabled=False)
    r = shop.post("/connections/ty/import-listings")
    assert r.status_code == 409, r.text
    assert _error(r)["code"] == "connection_disabled"
    assert _error(r)["detail"] == {"connection_id": "ty"}
    assert shop.post("/connections/nope/import-listings").status_code == 404


def test_a_missing_card_is_404_on_every_product_route(shop: Shop) -> None:
    for path in ("", "/stock", "/movements", "/audit"):
        r = shop.get(f"/products/p-none{path}")
        assert r.status_code == 404, (path, r.text)
        assert _error(r)["code"] == "not_found"
    assert shop.post("/products/p-none/count", {"on_hand": 1}).status_code == 404
    assert shop.post("/products/p-none/receipts", {"quantity": 1}).status_code == 404
    assert shop.put("/products/p-none/safety-stock", {"safety": 1}).status_code == 404
    r = shop.post("/products/p-none/merge", {"sources": ["p-other"]})
    assert r.status_code == 404
    r = shop.post("/products/p-none/split", {"barcodes": ["1"], "sku": "X"})
    assert r.status_code == 404


def test_put_creates_and_changes_a_card_keeping_what_the_erp_owns(shop: Shop) -> None:
    body = {
        "sku": "TERMOS-1",
        "name": "Çelik Termos",
        "barcodes": ["8691111111111"],
        "list_price": "349.90",
        "vat_rate": 20,
        "weight_kg": 0.6,
        "attributes": {"Renk": "Siyah"},
    }
    r = shop.put("/products/p-termos", body)
    assert r.status_code == 200, r.text
    made = r.json()
    assert made["card"]["list_price"] == "349.90" and made["card"]["tenant_id"] == "t1"
    assert made["stock"]["on_hand"] == 0 and made["listings"] == []
    store = shop.rt.store.tenant("t1")
    body_now = store.get("product", "p-termos").body
    store.upsert("product", "p-termos", {**body_now, "erp_price": "300.00"})
    shop.sb.clock.advance(1)  # audit entries are keyed by time, action and card
    changed = shop.put("/products/p-termos", {**body, "name": "Termos 1 L"}).json()
    assert changed["card"]["name"] == "Termos 1 L" and changed["card"]["erp_price"] == "300.00"
    trail = shop.get("/products/p-termos/audit").json()
    assert [e["action"] for e in trail] == ["saved", "saved"]
    assert trail[0]["actor"] == "user:u-operator"


def test_put_card_errors_name_the_field(shop: Shop) -> None:
    ids = shop.imported()
    body = {"sku": "X", "name": "X", "barcodes": ["8692222222222"]}
    r = shop.put("/products/p-x", {**body, "colour": "red"})
    assert r.status_code == 422 and _locs(r) == [["body", "colour"]]
    r = shop.put("/products/p-x", {**body, "list_price": "9.999"})
    assert r.status_code == 422 and _locs(r) == [["body", "list_price"]]
    r = shop.put("/products/p-x", {**body, "barcodes": ["86 9"]})
    assert r.status_code == 422 and _locs(r) == [["body", "barcodes", "0"]]
    r = shop.put("/products/bad id", body)
    assert r.status_code == 422 and _locs(r) == [["path", "product_id"]]
    taken = shop.put("/products/p-x", {**body, "barcodes": [BARCODES[0]]})
    assert taken.status_code == 422
    assert f"belongs to card {ids[BARCODES[0]]}" in _error(taken)["message"]


# -- merge and split -------------------------------------------------------------------------


def test_merge_candidates_then_merge_is_audited_and_moves_the_listings(shop: Shop) -> None:
    ids = shop.imported()
    [candidate] = shop.get("/products/merge-candidates").json()
    assert candidate["stock_code"] == "SKU-0"
    assert sorted(candidate["cards"]) == sorted([ids[BARCODES[0]], ids[BARCODES[2]]])
    target, source = ids[BARCODES[0]], ids[BARCODES[2]]
    r = shop.post(
        f"/products/{target}/merge", {"sources": [source], "stock": "sum", "reason": "one item"}
    )
    assert r.status_code == 200, r.text
    merged = r.json()
    assert sorted(merged["card"]["barcodes"]) == sorted([BARCODES[0], BARCODES[2]])
    assert {x["key"] for x in merged["listings"]} == {f"ty:{BARCODES[0]}", f"ty:{BARCODES[2]}"}
    assert merged["stock"]["on_hand"] == 20
    assert shop.get(f"/products/{source}").json()["card"]["merged_into"] == target
    [entry] = [e for e in shop.get(f"/products/{target}/audit").json() if e["action"] == "merged"]
    assert entry["actor"] == "user:u-operator"
    assert entry["detail"]["source"] == source and entry["detail"]["reason"] == "one item"
    assert shop.get("/products/merge-candidates").json() == []


def test_merge_conflicts_and_bad_bodies(shop: Shop) -> None:
    ids = shop.imported()
    a, b, c = (ids[x] for x in BARCODES)
    assert shop.post(f"/products/{a}/merge", {"sources": [c]}).status_code == 200
    again = shop.post(f"/products/{b}/merge", {"sources": [c]})
    assert again.status_code == 409, again.text
    assert _error(again)["code"] == "catalog_conflict"
    assert _error(again)["detail"] == {"product_id": c}
    into_tombstone = shop.post(f"/products/{c}/merge", {"sources": [b]})
    assert into_tombstone.status_code == 409
    itself = shop.post(f"/products/{a}/merge", {"sources": [a]})
    assert itself.status_code == 422 and "into itself" in _error(itself)["message"]
    r = shop.post(f"/products/{a}/merge", {"sources": [b], "stock": "add"})
    assert r.status_code == 422 and _locs(r) == [["body", "stock"]]
    r = shop.post(f"/products/{a}/merge", {"sources": [b, b]})
    assert r.status_code == 422 and _locs(r) == [["body", "sources"]]
    r = shop.post(f"/products/{a}/merge", {"source": [b]})
    assert r.status_code == 422 and ["body", "source"] in _locs(r)
    assert (
        shop.put(f"/products/{c}", {"sku": "Y", "name": "Y", "barcodes": ["1"]}).status_code == 409
    )


def test_split_makes_a_new_card_with_the_barcodes_listings_and_units(shop: Shop) -> None:
    ids = shop.imported()
    a, c = ids[BARCODES[0]], ids[BARCODES[2]]
    shop.post(f"/products/{a}/merge", {"sources": [c]})
    r = shop.post(
        f"/products/{a}/split",
        {"barcodes": [BARCODES[2]], "sku": "SKU-2", "name": "Ürün 2", "on_hand": 3},
    )
    assert r.status_code == 201, r.text
    new = r.json()
    assert new["card"]["sku"] == "SKU-2" and new["card"]["barcodes"] == [BARCODES[2]]
    assert [x["key"] for x in new["listings"]] == [f"ty:{BARCODES[2]}"]
    assert new["stock"]["on_hand"] == 3
    assert shop.get(f"/products/{a}/stock").json()["on_hand"] == 7
    unknown = shop.post(f"/products/{a}/split", {"barcodes": ["8699999999999"], "sku": "Z"})
    assert unknown.status_code == 422 and "8699999999999" in _error(unknown)["message"]
    last = shop.post(f"/products/{a}/split", {"barcodes": [BARCODES[0]], "sku": "Z"})
    assert last.status_code == 422 and "at least one barcode" in _error(last)["message"]
    r = shop.post(f"/products/{a}/split", {"barcodes": [BARCODES[0]], "sku": "Z", "on_hand": -1})
    assert r.status_code == 422 and _locs(r) == [["body", "on_hand"]]


def test_split_onto_a_card_that_exists_is_a_conflict(shop: Shop) -> None:
    ids = shop.imported()
    a, c = ids[BARCODES[0]], ids[BARCODES[2]]
    shop.post(f"/products/{a}/merge", {"sources": [c]})
    # a card that holds the id a split of BARCODES[2] onto stock code SKU-9 would take
    taken = card_id_for("SKU-9", BARCODES[2])
    made = shop.put(f"/products/{taken}", {"sku": "SKU-9", "name": "9", "barcodes": ["8693"]})
    assert made.status_code == 200, made.text
    r = shop.post(f"/products/{a}/split", {"barcodes": [BARCODES[2]], "sku": "SKU-9"})
    assert r.status_code == 409, r.text
    assert _error(r)["code"] == "catalog_conflict" and _error(r)["detail"] == {"product_id": taken}
    # splitting back what the merge brought in revives the merged card
    back = shop.post(f"/products/{a}/split", {"barcodes": [BARCODES[2]], "sku": "SKU-0"})
    assert back.status_code == 201 and back.json()["card"]["id"] == c
    assert back.json()["card"]["merged_into"] is None


# -- the ledger ------------------------------------------------------------------------------


def _held_order(shop: Shop) -> str:
    order = make_order("4401", OrderState.ON_HOLD)
    order.tenant_id = "t1"
    rec = OrderRecord(order=order, hold_step="reserve")
    shop.rt.store.tenant("t1").upsert(ORDER, order.id, rec.to_body())
    return order.id


def test_count_receive_safety_and_the_movements_they_leave(shop: Shop) -> None:
    pid = shop.imported()[BARCODES[0]]
    jobs = FakeJobs()
    shop.rt.jobs = jobs
    held = _held_order(shop)
    r = shop.post(f"/products/{pid}/count", {"on_hand": 4, "note": "shelf A"})
    assert r.status_code == 200, r.text
    assert r.json()["on_hand"] == 4 and r.json()["released_orders"] == [held]
    assert jobs.orders == [("t1", held)]
    r = shop.post(f"/products/{pid}/count", {"on_hand": 2, "warehouse": "depo-2"})
    assert r.json()["warehouses"] == {"main": 4, "depo-2": 2} and r.json()["on_hand"] == 6
    for _ in range(2):  # the same delivery twice moves stock once
        r = shop.post(f"/products/{pid}/receipts", {"quantity": 5, "ref": "irsaliye-77"})
        assert r.status_code == 200, r.text
    assert r.json()["on_hand"] == 11
    r = shop.put(f"/products/{pid}/safety-stock", {"safety": 3})
    assert r.status_code == 200 and r.json()["available"] == 8 and r.json()["safety"] == 3
    stock = shop.get(f"/products/{pid}/stock").json()
    assert stock == {
        "product_id": pid,
        "on_hand": 11,
        "reserved": 0,
        "safety": 3,
        "available": 8,
        "short": 0,
        "warehouses": {"main": 9, "depo-2": 2},
    }
    moves = shop.get(f"/products/{pid}/movements").json()
    reasons = sorted(m["reason"] for m in moves)
    assert reasons == ["count", "count", "import", "received", "safety"]
    received = next(m for m in moves if m["reason"] == "received")
    assert received["ref"] == "irsaliye-77" and received["on_hand"] == 5
    assert len(shop.get(f"/products/{pid}/movements", params={"limit": 2}).json()) == 2
    shop.rt.jobs = None


def test_ledger_bodies_are_checked_field_by_field(shop: Shop) -> None:
    pid = shop.imported()[BARCODES[0]]
    r = shop.post(f"/products/{pid}/count", {"on_hand": -1})
    assert r.status_code == 422 and _locs(r) == [["body", "on_hand"]]
    r = shop.post(f"/products/{pid}/count", {"on_hand": 1, "shelf": "A"})
    assert r.status_code == 422 and _locs(r) == [["body", "shelf"]]
    r = shop.post(f"/products/{pid}/count", {"on_hand": 1, "warehouse": "a b"})
    assert r.status_code == 422 and _locs(r) == [["body", "warehouse"]]
    r = shop.post(f"/products/{pid}/receipts", {"quantity": 0})
    assert r.status_code == 422 and _locs(r) == [["body", "quantity"]]
    r = shop.post(f"/products/{pid}/receipts", {"quantity": 1, "reason": "found"})
    assert r.status_code == 422 and _locs(r) == [["body", "reason"]]
    r = shop.put(f"/products/{pid}/safety-stock", {"safety": 1, "min": 2})
    assert r.status_code == 422 and _locs(r) == [["body", "min"]]


def test_put_stock_still_sets_the_figure(shop: Shop) -> None:
    pid = shop.imported()[BARCODES[0]]
    r = shop.put(f"/stock/{pid}", {"on_hand": 40})
    assert r.status_code == 200, r.text
    assert shop.get(f"/products/{pid}/stock").json()["on_hand"] == 40


# -- listings, pushes and why ---------------------------------------------------------------


def test_a_count_is_pushed_and_why_explains_the_number(shop: Shop) -> None:
    pid = shop.imported()[BARCODES[0]]
    key = f"ty:{BARCODES[0]}"
    # new cards open at the channel's figure: the first run finds nothing to send
    settled = shop.post("/stock/push").json()["report"]
    assert settled["sent"] == 0 and shop.get("/stock/push-status").json()["due"] == 0
    shop.put(f"/listings/{key}/limits", {"buffer": 1, "cap": 5})
    shop.post(f"/products/{pid}/count", {"on_hand": 9})
    status = shop.get("/stock/push-status").json()
    assert status == {"due": 1, "flagged": 0, "listings": 3}
    why = shop.get(f"/listings/{key}/why").json()
    assert why["in_step"] is False and why["pending"] is True
    assert why["now"]["quantity"] == 5 and why["now"]["buffer"] == 1 and why["now"]["cap"] == 5
    r = shop.post("/stock/push")
    assert r.status_code == 200, r.text
    report = r.json()["report"]
    assert r.json()["queued"] is False and report["sent"] == 1 and report["ok"] == 1
    assert report["by_channel"] == {"ty": 1}
    why = shop.get(f"/listings/{key}/why").json()
    assert why["in_step"] is True and why["pending"] is False
    shown = why["shown"]
    assert shown["quantity"] == 5 and shown["ok"] is True and shown["answer"] == ["accepted"]
    assert shown["figures"]["available"] == 9 and shown["buffer"] == 1 and shown["cap"] == 5
    assert why["listing"]["buffer"] == 1 and why["policy"]["buffer"] == 0
    assert shop.get("/stock/push-status").json()["due"] == 0
    assert shown_quantity(shop.sb, BARCODES[0]) == 5  # what Trendyol (the sandbox) shows


def test_push_is_queued_when_the_process_runs_jobs(shop: Shop) -> None:
    jobs = FakeJobs()
    shop.rt.jobs = jobs
    r = shop.post("/stock/push")
    assert r.json() == {"queued": True, "report": None}
    assert jobs.sent == [("push_stock", ("t1",))]
    shop.rt.jobs = None


def test_listings_filter_by_connection_and_flag(shop: Shop) -> None:
    shop.imported()
    store = shop.rt.store.tenant("t1")
    key = f"ty:{BARCODES[1]}"
    listing = store.get("listing", key).body
    store.upsert("listing", key, {**listing, "flagged": True})
    assert len(shop.get("/listings", params={"connection_id": "ty"}).json()) == 3
    assert shop.get("/listings", params={"connection_id": "other"}).json() == []
    flagged = shop.get("/listings", params={"flagged": "true"}).json()
    assert [x["key"] for x in flagged] == [key]
    assert len(shop.get("/listings", params={"flagged": "false"}).json()) == 2
    assert shop.get("/stock/push-status").json()["flagged"] == 1


def test_listing_routes_take_keys_with_a_colon_and_say_404(shop: Shop) -> None:
    shop.imported()
    r = shop.get("/listings/ty:0000000000000/why")
    assert r.status_code == 404 and "ty:0000000000000" in _error(r)["message"]
    r = shop.put("/listings/ty:0000000000000/limits", {"buffer": 1})
    assert r.status_code == 404
    r = shop.put(f"/listings/ty:{BARCODES[0]}/limits", {"buffer": -1})
    assert r.status_code == 422 and _locs(r) == [["body", "buffer"]]
    r = shop.put(f"/listings/ty:{BARCODES[0]}/limits", {"cap": 2})
    assert r.status_code == 200 and r.json()["cap"] == 2 and r.json()["buffer"] is None


# -- channel policy and prices ---------------------------------------------------------------

RULE = {"base": "list", "percent": 10, "rounding": {"kind": "ending", "ending": "0.90"}}


def test_channel_policy_round_trip_and_pricing_errors_name_the_field(shop: Shop) -> None:
    shop.imported()
    default = shop.get("/connections/ty/channel-policy").json()
    assert default == {"push_stock": True, "buffer": 0, "cap": None, "pricing": None}
    r = shop.put(
        "/connections/ty/channel-policy", {"buffer": 2, "pricing": RULE}, Role.TENANT_ADMIN
    )
    assert r.status_code == 200, r.text
    assert r.json()["queued_products"] == 3 and r.json()["policy"]["pricing"]["percent"] == "10"
    got = shop.get("/connections/ty/channel-policy").json()
    assert got["buffer"] == 2 and got["pricing"]["rounding"]["ending"] == "0.90"

    def refused(body: dict[str, Any]) -> list[list[str]]:
        r = shop.put("/connections/ty/channel-policy", body, Role.TENANT_ADMIN)
        assert r.status_code == 422, r.text
        return _locs(r)

    assert refused({"buffers": 2}) == [["body", "buffers"]]
    assert refused({"buffer": -1}) == [["body", "buffer"]]
    assert refused({"pricing": {**RULE, "margin": 5}}) == [["body", "pricing", "margin"]]
    assert refused({"pricing": {"percent": "ten"}}) == [["body", "pricing", "percent"]]
    unsorted = {"bands": [{"below": 500, "percent": 15}, {"below": 100, "percent": 25}, {}]}
    locs = refused({"pricing": unsorted})
    assert ["body", "pricing", "bands", "2"] in locs or ["body", "pricing", "bands"] in locs
    r = shop.put(
        "/connections/ty/channel-policy",
        {"pricing": {"floor": 50, "ceiling": 10}},
        Role.TENANT_ADMIN,
    )
    assert "floor 50.00 is above ceiling 10.00" in _error(r)["message"]
    assert shop.get("/connections/nope/channel-policy").status_code == 404


def test_price_preview_quotes_each_listing_without_saving(shop: Shop) -> None:
    shop.imported()
    none = shop.post("/connections/ty/price-preview", {})
    assert none.status_code == 422 and "no pricing rule" in _error(none)["message"]
    r = shop.post("/connections/ty/price-preview", {"rule": RULE})
    assert r.status_code == 200, r.text
    preview = r.json()
    assert len(preview["quotes"]) == 3 and preview["warnings"] == []
    first = preview["quotes"][0]
    assert first["sale_price"] == "110.90" and first["base"] == "100.00"
    assert first["steps"][0] == "base list 100.00"
    assert shop.get("/connections/ty/channel-policy").json()["pricing"] is None
    banded = {"bands": [{"below": 100, "percent": 25}, {"percent": 15}]}
    warned = shop.post("/connections/ty/price-preview", {"rule": banded}).json()
    assert warned["warnings"] and warned["warnings"][0].startswith("at 100")
    bad = shop.post("/connections/ty/price-preview", {"rule": {"base": "cost"}})
    assert bad.status_code == 422 and _locs(bad) == [["body", "rule", "base"]]
    extra = shop.post("/connections/ty/price-preview", {"rules": RULE})
    assert extra.status_code == 422 and _locs(extra) == [["body", "rules"]]
    shop.put("/connections/ty/channel-policy", {"pricing": RULE}, Role.TENANT_ADMIN)
    own = shop.post("/connections/ty/price-preview", {}).json()
    assert own["rule"]["percent"] == "10" and own["quotes"][0]["sale_price"] == "110.90"


# -- roles -----------------------------------------------------------------------------------


def test_floor_roles_read_stock_and_office_roles_change_it(shop: Shop) -> None:
    pid = shop.imported()[BARCODES[0]]
    picker = Role.PICKER
    for path in (
        "/products",
        f"/products/{pid}",
        f"/products/{pid}/stock",
        f"/products/{pid}/movements",
    ):
        assert shop.get(path, picker).status_code == 200, path
    for path in (
        "/listings",
        f"/listings/ty:{BARCODES[0]}/why",
        "/products/merge-candidates",
        f"/products/{pid}/audit",
        "/connections/ty/channel-policy",
        "/stock/push-status",
    ):
        assert shop.get(path, picker).status_code == 403, path
    assert shop.post(f"/products/{pid}/count", {"on_hand": 1}, picker).status_code == 403
    assert shop.post("/stock/push", None, picker).status_code == 403
    assert shop.post("/connections/ty/import-listings", None, picker).status_code == 403
    # a channel's pricing is a tenant admin's decision; the operator previews it
    assert shop.put("/connections/ty/channel-policy", {}, Role.OPERATOR).status_code == 403
    assert shop.post("/connections/ty/price-preview", {"rule": RULE}).status_code == 200
    assert shop.client.get("/v1/products").status_code == 401


def test_a_stock_take_counts_many_products_at_once_or_none(shop: Shop) -> None:
    ids = shop.imported()
    pids = [ids[b] for b in BARCODES[:2]]
    counts = [{"product_id": pids[0], "on_hand": 7}, {"product_id": pids[1], "on_hand": 0}]
    r = shop.post("/stock/counts", {"counts": counts, "note": "year end"})
    assert r.status_code == 200, r.text
    assert r.json() == {"counted": 2, "released_orders": []}
    assert shop.get(f"/products/{pids[0]}/stock").json()["on_hand"] == 7
    assert shop.get(f"/products/{pids[1]}/stock").json()["on_hand"] == 0
    moves = shop.get(f"/products/{pids[0]}/movements").json()
    assert [m["note"] for m in moves if m["reason"] == "count"] == ["year end"]
    # an unknown product refuses the whole take: nothing moves
    r = shop.post(
        "/stock/counts",
        {"counts": [{"product_id": pids[0], "on_hand": 1}, {"product_id": "p-nope", "on_hand": 3}]},
    )
    assert r.status_code == 404 and "p-nope" in r.text
    assert shop.get(f"/products/{pids[0]}/stock").json()["on_hand"] == 7
    r = shop.post("/stock/counts", {"counts": [{"product_id": pids[0], "on_hand": -1}]})
    assert r.status_code == 422
    r = shop.post("/stock/counts", {"counts": []})
    assert r.status_code == 422
    twice = [{"product_id": pids[0], "on_hand": 1}, {"product_id": pids[0], "on_hand": 2}]
    r = shop.post("/stock/counts", {"counts": twice})
    assert r.status_code == 422 and "once" in r.text
