"""The floor's routes (/v1/floor): rules with their conflicts, the dry run, pick lists seen
only by their pickers, the packing station through to the label on the printer, a handheld's
retried scan, and the staff report each person may see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kervan.documents import label_key
from kervan.domain import OrderState, Role, User
from kervan.engine.records import ORDER, OrderRecord

from .conftest import T0, Site, make_order


def key_for(site: Site, user_id: str, role: Role) -> dict[str, str]:
    user = site.rt.tenancy.create_user(User(id=user_id, tenant_id="t1", name=user_id, roles=[role]))
    key, _ = site.rt.tenancy.create_api_key(user)
    return {"Authorization": f"Bearer {key}"}


def booked(site: Site, package: str, ship_by_h: float = 48) -> str:
    order = make_order(package, OrderState.BOOKED)  # 2 × 8690000000011 and 1 × 8690000000028
    order.ship_by = T0 + timedelta(hours=ship_by_h)
    rec = OrderRecord(order=order, shipment_id=f"ty:{package}:1")
    site.put(rec)
    site.shipment(order.id)
    site.store.put_blob(label_key(order.id, "zpl"), b"^XA^FDlabel^FS^XZ", "text/plain")
    return order.id


def test_floor_round_trip(site: Site) -> None:
    boss = key_for(site, "sup", Role.SUPERVISOR)
    ali = key_for(site, "ali", Role.PICKER)
    veli = key_for(site, "veli", Role.PICKER)
    pat = key_for(site, "pat", Role.PACKER)
    c = site.client
    first = booked(site, "1001")
    booked(site, "1002", ship_by_h=72)
    rules: dict[str, Any] = {
        "rules": [
            {"name": "istanbul", "cities": ["İstanbul"], "picker": "ali"},
            {"name": "kadikoy", "districts": ["Kadıköy"], "cities": ["istanbul"], "picker": "veli"},
        ]
    }
    r = c.put("/v1/floor/rules", json=rules, headers=boss)
    assert r.status_code == 200, r.text
    assert [x["kind"] for x in r.json()["conflicts"]] == ["shadowed"]
    assert c.put("/v1/floor/rules", json=rules, headers=ali).status_code == 403
    dry = c.post("/v1/floor/rules/dry-run", json={"days": 60}, headers=boss).json()
    assert dry == [{"rule": "istanbul", "target": "picker:ali", "orders": 2, "items": 6}]

    (plist,) = c.post("/v1/floor/pick-lists", headers=boss).json()
    assert {x["barcode"]: x["quantity"] for x in plist["lines"]} == {
        "8690000000011": 4,
        "8690000000028": 2,
    }
    assert [p["id"] for p in c.get("/v1/floor/pick-lists", headers=ali).json()] == [plist["id"]]
    assert c.get("/v1/floor/pick-lists", headers=veli).json() == []
    assert c.get(f"/v1/floor/pick-lists/{plist['id']}", headers=veli).status_code == 404
    scan = {"scan_id": "h1", "barcode": "8690000000011", "quantity": 4}
    got = c.post(f"/v1/floor/pick-lists/{plist['id']}/scan", json=scan, headers=ali).json()
    assert got["message"] == "4 of 4 picked."
    short = {"scan_id": "h2", "barcode": "8690000000028", "quantity": 1, "reason": "damaged"}
    got = c.post(f"/v1/floor/pick-lists/{plist['id']}/short", json=short, headers=ali).json()
    assert got["pick_list"]["lines"][1]["short"] == 1

    def pack(sid: str, barcode: str) -> dict[str, Any]:
        body = {"scan_id": sid, "barcode": barcode, "station": "st-1"}
        r = c.post("/v1/floor/pack/scan", json=body, headers=pat)
        assert r.status_code == 200, r.text
        out: dict[str, Any] = r.json()
        return out

    a = pack("p1", "8690000000011")
    assert (a["outcome"], a["order_id"], a["slot"], a["remaining"]) == ("slotted", first, 1, 2)
    assert pack("p1", "8690000000011") == {**a, "replayed": True}  # the handheld's retry
    assert pack("p2", "8690000000011")["remaining"] == 1
    assert pack("p3", "8690000000011")["order_id"] != first  # order 1 has both of those
    done = pack("p4", "8690000000028")
    assert (done["outcome"], done["order_id"]) == ("packed", first)
    assert done["guidance"]["box"] in ("S", "M", "L", "XL")
    label = c.get(done["print"]["label_zpl"], headers=pat)
    assert label.status_code == 200 and label.content.startswith(b"^XA")
    assert pack("p5", "0000")["outcome"] == "wrong_item"
    assert site.record(first).order.state is OrderState.PACKED
    slots = c.get("/v1/floor/pack/stations/st-1/slots", headers=pat).json()
    assert [(s["slot"], s["remaining"]) for s in slots] == [(2, 2)]  # order 2 took the next slot

    report = c.get("/v1/floor/reports/staff", headers=pat).json()
    assert set(report["staff"]) == {"pat"}
    row = report["staff"]["pat"]
    assert (row["orders"], row["items"], row["wrong_scans"]) == (1, 3, 1)
    assert row["scan_to_label_s"] is not None
    everyone = c.get("/v1/floor/reports/staff", headers=boss).json()["staff"]
    assert everyone["ali"]["short_picks"] == 1 and everyone["ali"]["items"] == 4


def test_at_risk_orders_are_listed_for_the_supervisor(site: Site) -> None:
    boss = key_for(site, "sup", Role.SUPERVISOR)
    pat = key_for(site, "pat", Role.PACKER)
    soon = booked(site, "2001", ship_by_h=-1)  # T0 is in the past: overdue
    site.client.post("/v1/floor/refresh", headers=boss)
    rows = site.client.get("/v1/floor/at-risk", headers=boss).json()
    assert [(r["order_id"], r["overdue"]) for r in rows] == [(soon, True)]
    assert site.client.get("/v1/floor/at-risk", headers=pat).status_code == 403


def test_a_packer_sees_only_their_own_scans(site: Site) -> None:
    pat = key_for(site, "pat", Role.PACKER)
    kim = key_for(site, "kim", Role.PACKER)
    boss = key_for(site, "sup", Role.SUPERVISOR)
    booked(site, "3001")
    site.client.post("/v1/floor/refresh", headers=boss)
    body = {"scan_id": "k1", "barcode": "8690000000028", "station": "st-2"}
    site.client.post("/v1/floor/pack/scan", json=body, headers=kim)
    assert site.client.get("/v1/floor/pack/scans", headers=pat).json() == []
    assert len(site.client.get("/v1/floor/pack/scans", headers=kim).json()) == 1
    assert len(site.client.get("/v1/floor/pack/scans", headers=boss).json()) == 1
    assert site.store.get(ORDER, "ty:3001") is not None


def test_demo_round_picks_and_packs_every_booked_order(site: Site) -> None:
    from kervan.floor import demo_round

    ids = {booked(site, "4001"), booked(site, "4002", ship_by_h=2)}
    summary = demo_round(site.rt, "t1", now=T0)
    assert [(p["lines"], p["units"]) for p in summary["pick_lists"]] == [(2, 6)]
    assert summary["scans"] == 6 and set(summary["orders_packed"]) == ids
    assert summary["outcomes"] == {"slotted": 4, "packed": 2}
    row = summary["staff_report"]["staff"]["demo-packer"]
    assert row["orders"] == 2 and row["performance"] is not None
