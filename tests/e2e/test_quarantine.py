"""A bad remote record never costs a good one, end to end: Trendyol's sample package file with
one damaged package (no ``lines``). Every valid package is invoiced; the damaged one is a
problem in the summary, the API and ``kervan problems``; nothing prints a traceback. A later
good version of the package settles the problem by itself."""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from kervan.api.app import create_app
from kervan.engine.records import ORDER, OrderRecord

KERVAN = str(Path(sys.executable).parent / "kervan")
SAMPLES = Path(__file__).parents[2] / "plugins/marketplaces/trendyol/kervan_trendyol/samples"
DAMAGED = 2900000199
PROBLEM = f"trendyol:order:{DAMAGED}"


def damaged_file(tmp_path: Path) -> tuple[Path, set[str]]:
    """The sample file with a damaged copy of a package inserted; the valid package ids."""
    data = json.loads((SAMPLES / "packages.json").read_text(encoding="utf-8"))
    valid = {str(p["shipmentPackageId"]) for p in data["content"]}
    bad = copy.deepcopy(data["content"][1])
    bad.update(shipmentPackageId=DAMAGED, orderNumber="10999199", cargoTrackingNumber=None)
    del bad["lines"]
    data["content"].insert(2, bad)
    path = tmp_path / "packages-damaged.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path, valid


def _kervan(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KERVAN, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_demo_invoices_every_valid_package_and_lists_the_damaged_one(tmp_path):
    path, valid = damaged_file(tmp_path)
    env = {**os.environ, "KERVAN_HOME": str(tmp_path / "home")}
    env.pop("KERVAN_STORE_URL", None)
    env.pop("KERVAN_BROKER_URL", None)
    out = tmp_path / "out"
    proc = _kervan(env, "demo", "--exit", "--export", str(out), "--orders", str(path))
    printed = proc.stdout + proc.stderr
    assert proc.returncode == 0, printed[-3000:]
    assert "Traceback" not in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["orders"] == len(valid) and summary["failures"] == []
    assert set(summary["orders_by_state"]) == {"delivered"}
    assert {i["order"].split(":")[1] for i in summary["invoices"]} == valid
    # every sale went to the demo's Nebim, and every delivered one was paid out there
    assert summary["erp"]["invoice"] == summary["erp"]["payment"] == len(valid)
    assert [p["id"] for p in summary["problems"]] == [PROBLEM]
    assert "lines: missing" in summary["problems"][0]["reason"]
    assert "problems: 1" in proc.stdout and PROBLEM in proc.stdout

    # the printed KERVAN_HOME reaches this demo's store: `kervan problems` lists it there
    home = re.search(r"use KERVAN_HOME=(\S+)", proc.stdout)
    assert home is not None, proc.stdout[-2000:]
    there = {**env, "KERVAN_HOME": home.group(1)}
    listed = _kervan(there, "problems", "list", "demo")
    assert listed.returncode == 0, listed.stderr
    assert PROBLEM in listed.stdout and "lines: missing" in listed.stdout
    shown = _kervan(there, "problems", "show", "demo", PROBLEM)
    assert shown.returncode == 0, shown.stderr
    raw = json.loads(shown.stdout)["raw"]
    assert raw["shipmentPackageId"] == DAMAGED and "lines" not in raw
    assert "Traceback" not in listed.stdout + listed.stderr + shown.stdout + shown.stderr


def test_the_api_lists_the_problem_a_replay_keeps_it_and_a_good_version_settles_it(flow, tmp_path):
    path, valid = damaged_file(tmp_path)
    flow.demo.options.orders_file = path
    flow.seed([])
    flow.poll()
    ts = flow.rt.store.tenant("demo")
    for package in valid:
        rec = OrderRecord.from_body(ts.get(ORDER, f"trendyol:{package}").body)
        assert rec.invoice_id is not None, (package, rec.order.state, rec.order.hold_reason)
    assert ts.get(ORDER, f"trendyol:{DAMAGED}") is None

    client = TestClient(create_app(flow.rt), raise_server_exceptions=False)
    auth = {"Authorization": f"Bearer {flow.demo.api_key}"}
    rows = client.get("/v1/problems", headers=auth).json()
    assert [r["id"] for r in rows] == [PROBLEM] and "raw" not in rows[0]
    assert rows[0]["remote_id"] == str(DAMAGED) and rows[0]["connection_id"] == "trendyol"
    one = client.get(f"/v1/problems/{PROBLEM}", headers=auth).json()
    assert one["raw"]["shipmentPackageId"] == DAMAGED and one["status"] == "open"
    health = client.get("/v1/connections/trendyol/health", headers=auth).json()
    assert health["open_problems"] == 1 and "could not be mapped" in (health["alert"] or "")

    # nothing was fixed yet: the replay maps the same record, fails, and keeps it
    again = client.post(f"/v1/problems/{PROBLEM}/replay", headers=auth)
    assert again.status_code == 200 and again.json()["resolved"] is False
    assert "lines: missing" in again.json()["reason"]
    assert client.get(f"/v1/problems/{PROBLEM}", headers=auth).json()["replays"] == 1

    # Trendyol sends a good version of the package: the next poll ingests it and settles it
    pkg = flow.trendyol.packages[DAMAGED]
    donor = flow.trendyol.packages[int(min(valid))]
    pkg["lines"] = copy.deepcopy(donor["lines"])
    for money in (
        "grossAmount",
        "totalDiscount",
        "totalTyDiscount",
        "totalPrice",
        "packageGrossAmount",
        "packageSellerDiscount",
        "packageTyDiscount",
        "packageTotalDiscount",
    ):
        if money in donor:  # what the buyer paid goes with the lines (reconciled before invoicing)
            pkg[money] = donor[money]
    pkg["packageTotalPrice"] = donor["packageTotalPrice"]
    for n, line in enumerate(pkg["lines"]):
        line["lineId"] = 3_990_000 + n
    pkg["lastModifiedDate"] = flow.trendyol.now_ms()
    flow.poll()
    rec = OrderRecord.from_body(ts.get(ORDER, f"trendyol:{DAMAGED}").body)
    assert rec.invoice_id is not None
    settled = client.get(f"/v1/problems/{PROBLEM}", headers=auth).json()
    assert settled["status"] == "resolved" and settled["result_ids"] == [f"trendyol:{DAMAGED}"]
    assert client.get("/v1/problems", headers=auth).json() == []
    resolved = client.get("/v1/problems?status=resolved", headers=auth).json()
    assert [r["id"] for r in resolved] == [PROBLEM]
    assert client.get("/v1/connections/trendyol/health", headers=auth).json()["open_problems"] == 0
    replayed = client.post(f"/v1/problems/{PROBLEM}/replay", headers=auth)
    assert replayed.status_code == 409 and "already resolved" in replayed.text


def test_a_webhook_payload_with_one_bad_package_stores_the_other_and_keeps_the_bad_one(flow):
    from .conftest import PERSON, make_order

    flow.seed([make_order("7101", PERSON)])
    settings = dict(flow.rt.connections.get("demo", "trendyol").settings)
    settings.update(webhook_auth="API_KEY", webhook_api_key="hook-key-q15")
    flow.rt.connections.update("demo", "trendyol", settings)
    good = flow.trendyol.packages[7101]
    bad = {**copy.deepcopy(good), "shipmentPackageId": 7102, "lines": "oops"}
    client = TestClient(create_app(flow.rt), raise_server_exceptions=False)
    r = client.post(
        "/v1/webhooks/demo/trendyol",
        content=json.dumps([good, bad]).encode(),
        headers={"x-api-key": "hook-key-q15", "content-type": "application/json"},
    )
    assert r.status_code == 202 and r.json()["processed"] is True and r.json()["orders"] == 1
    ts = flow.rt.store.tenant("demo")
    assert ts.get(ORDER, "trendyol:7101") is not None
    assert ts.get(ORDER, "trendyol:7102") is None
    auth = {"Authorization": f"Bearer {flow.demo.api_key}"}
    (row,) = client.get("/v1/problems", headers=auth).json()
    assert row["id"] == "trendyol:order:7102" and row["via"] == "webhook"
    assert "lines: not a list" in row["reason"]


async def test_ingest_of_a_trendyol_page_with_one_damaged_package_moves_on(tmp_path, caplog):
    """The engine's side, on the Trendyol sandbox's simulated clock: every valid package is
    stored, the damaged one is one problem (seen twice after two polls), the cursor advances,
    nothing is raised or traced."""
    from kervan import ConnectorContext
    from kervan.engine import quarantine
    from kervan.engine.ingest import ingest
    from kervan.engine.records import CURSOR
    from kervan.store import open_store
    from kervan_trendyol import Trendyol, TrendyolSettings
    from kervan_trendyol.sandbox import TrendyolSandbox

    sandbox = TrendyolSandbox(seed=1)
    sandbox.seed_random(12)
    good = {str(pid) for pid in sandbox.packages}
    bad = copy.deepcopy(next(iter(sandbox.packages.values())))
    bad.update(shipmentPackageId=DAMAGED, cargoTrackingNumber=None)
    del bad["lines"]
    sandbox.add_package(bad)
    context = ConnectorContext(
        tenant_id="t1",
        connection_id="c1",
        transport=sandbox.transport(),
        clock=sandbox.clock.now,
        sleep=sandbox.clock.sleep,
    )
    connector = Trendyol(
        TrendyolSettings(**sandbox.demo_settings("http://trendyol.sandbox")), context
    )
    store = open_store(f"sqlite:///{tmp_path}/k.db")
    caplog.set_level(logging.DEBUG)
    try:
        ts = store.tenant("t1")
        result = await ingest(ts, connector, "c1", sandbox.clock.now())
        assert {oid.split(":")[1] for oid in result.new} == good
        assert result.problems == [f"c1:order:{DAMAGED}"] and result.open_problems == 1
        assert ts.get(ORDER, f"c1:{DAMAGED}") is None
        assert ts.get(CURSOR, "c1").body["since"] == sandbox.clock.now().isoformat()
        sandbox.clock.advance(60)
        again = await ingest(ts, connector, "c1", sandbox.clock.now())
        assert again.new == [] and again.open_problems == 1
        kept = quarantine.get(ts, f"c1:order:{DAMAGED}")
        assert kept is not None and kept.times_seen == 2 and "lines: missing" in kept.reason
    finally:
        await connector.aclose()
        store.close()
    traced = [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert not traced and not [r for r in caplog.records if r.levelno >= logging.ERROR]
