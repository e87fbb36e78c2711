"""`kervan returns`: the approval queue, one claim and a claims sync from a shell, against a
Trendyol sandbox in process (the command's runtime is pointed at it)."""

from __future__ import annotations

import json

import pytest
from kervan.cli import returns_cmd
from kervan.cli.main import app
from kervan.domain import Tenant, TenantSettings
from kervan.engine.records import ORDER, OrderRecord
from kervan.runtime import Runtime
from kervan.store import open_store
from kervan_trendyol.sandbox import TrendyolSandbox
from typer.testing import CliRunner

from ..api.conftest import make_order

runner = CliRunner()
PACKAGE = "7101"


@pytest.fixture
def sb(tmp_path, monkeypatch) -> TrendyolSandbox:
    """Tenant ``t1`` with Trendyol connection ``ty`` to this sandbox and a delivered order of
    2 + 1 units that the buyer asked to return (the parcel is back at the seller)."""
    url = f"sqlite:///{tmp_path}/kervan.db"
    monkeypatch.setenv("KERVAN_HOME", str(tmp_path))
    monkeypatch.setenv("KERVAN_STORE_URL", url)
    monkeypatch.setenv("KERVAN_TENANT", "t1")
    sandbox = TrendyolSandbox(seed=7)
    order = make_order(PACKAGE)
    order.connection_id, order.id = "ty", f"ty:{PACKAGE}"
    order.lines = [
        ln.model_copy(update={"line_id": f"{PACKAGE}0{n}"}) for n, ln in enumerate(order.lines, 1)
    ]
    sandbox.seed_orders([order])
    sandbox.deliver(PACKAGE)
    claim_id = sandbox.open_customer_claim(int(PACKAGE), note="renk farklı")
    sandbox.claim_arrives(claim_id)

    def runtime() -> Runtime:
        rt = Runtime.create(store=open_store(url), clock=sandbox.clock.now, mode="sandbox")
        rt.connectors.overrides["ty"] = {
            "transport": sandbox.transport(),
            "clock": sandbox.clock.now,
            "sleep": sandbox.clock.sleep,
        }
        return rt

    rt = runtime()
    try:
        rt.tenancy.create_tenant(Tenant(id="t1", name="t1", settings=TenantSettings()))
        rt.connections.create(
            "t1", "trendyol", "ty", sandbox.demo_settings("http://trendyol.sandbox")
        )
        rt.store.tenant("t1").upsert(ORDER, order.id, OrderRecord(order=order).to_body())
    finally:
        rt.close()
    monkeypatch.setattr(returns_cmd, "_open_runtime", runtime)
    return sandbox


def test_sync_brings_the_claim_into_the_queue_and_show_prints_it(sb: TrendyolSandbox) -> None:
    empty = runner.invoke(app, ["returns", "queue"])
    assert empty.exit_code == 0 and "no open claims" in empty.output
    synced = runner.invoke(app, ["returns", "sync", "ty"])
    assert synced.exit_code == 0, synced.output
    [key] = json.loads(synced.output)["new"]
    listed = runner.invoke(app, ["returns", "queue"])
    assert listed.exit_code == 0, listed.output
    assert key in listed.output and f"order 9{PACKAGE}" in listed.output
    assert "3 item(s)" in listed.output and "renk farklı" in listed.output
    rows = json.loads(runner.invoke(app, ["returns", "queue", "--json"]).output)
    assert [r["key"] for r in rows] == [key]
    only_received = runner.invoke(app, ["returns", "queue", "--state", "received"])
    assert key not in only_received.output
    shown = runner.invoke(app, ["returns", "show", key])
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.output)
    assert body["order_id"] == f"ty:{PACKAGE}" and body["timeline"]
    again = runner.invoke(app, ["returns", "sync", "ty"])
    assert json.loads(again.output)["new"] == []


def test_an_unknown_claim_or_connection_is_refused_with_its_reason(sb: TrendyolSandbox) -> None:
    missing = runner.invoke(app, ["returns", "show", "ty:nope"])
    assert missing.exit_code == 2 and "not found" in missing.output
    nowhere = runner.invoke(app, ["returns", "sync", "nope"])
    assert nowhere.exit_code == 2
