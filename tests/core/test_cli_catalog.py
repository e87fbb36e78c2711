"""`kervan catalog`: import a channel's listings, list cards, count, push, why, preview, from a
shell, against a Trendyol sandbox in process (the command's runtime is pointed at it)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kervan.cli import catalog_cmd
from kervan.cli.main import app
from kervan.domain import Tenant, TenantSettings
from kervan.runtime import Runtime
from kervan.store import open_store
from kervan_trendyol.sandbox import TrendyolSandbox
from kervan_trendyol.sandbox.products_api import add_product, shown_quantity
from typer.testing import CliRunner

runner = CliRunner()
BARCODES = ["8690000000011", "8690000000028"]


@pytest.fixture
def sb(tmp_path, monkeypatch) -> TrendyolSandbox:
    """A store with tenant ``t1`` and its Trendyol connection ``ty`` to this sandbox; every
    command's runtime reaches the sandbox on its clock."""
    url = f"sqlite:///{tmp_path}/kervan.db"
    monkeypatch.setenv("KERVAN_HOME", str(tmp_path))
    monkeypatch.setenv("KERVAN_STORE_URL", url)
    monkeypatch.setenv("KERVAN_TENANT", "t1")
    sandbox = TrendyolSandbox(seed=7)
    for i, barcode in enumerate(BARCODES):
        add_product(
            sandbox,
            barcode=barcode,
            stock_code=f"SKU-{i}",
            title=f"Ürün {i}",
            sale_price=100.0,
            vat_rate=20,
            quantity=10,
        )

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
    finally:
        rt.close()
    monkeypatch.setattr(catalog_cmd, "_open_runtime", runtime)
    return sandbox


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _cards() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = _json(runner.invoke(app, ["catalog", "cards", "--json"]))
    return rows


def test_import_then_cards_count_push_and_why(sb: TrendyolSandbox) -> None:
    report = _json(runner.invoke(app, ["catalog", "import", "ty"]))
    assert report == {
        "connection_id": "ty",
        "seen": 2,
        "new_cards": 2,
        "attached": 0,
        "updated": 0,
        "problems": 0,
    }
    table = runner.invoke(app, ["catalog", "cards"])
    assert table.exit_code == 0 and "SKU-0  Ürün 0" in table.stdout
    assert "on hand 10, reserved 0, safety 0, available 10" in table.stdout
    rows = _cards()
    pid = next(r["card"]["id"] for r in rows if r["card"]["barcodes"] == [BARCODES[0]])

    counted = _json(runner.invoke(app, ["catalog", "count", pid, "3", "--note", "raf B"]))
    assert counted["on_hand"] == 3 and counted["available"] == 3
    pushed = _json(runner.invoke(app, ["catalog", "push"]))
    assert pushed["sent"] == 1 and pushed["ok"] == 1 and pushed["by_channel"] == {"ty": 1}
    assert shown_quantity(sb, BARCODES[0]) == 3

    why = _json(runner.invoke(app, ["catalog", "why", f"ty:{BARCODES[0]}"]))
    assert why["in_step"] is True and why["shown"]["quantity"] == 3
    assert why["shown"]["figures"]["on_hand"] == 3 and why["shown"]["answer"] == ["accepted"]


def test_preview_with_a_rule_file_and_its_errors(sb: TrendyolSandbox, tmp_path) -> None:
    _json(runner.invoke(app, ["catalog", "import", "ty"]))
    none = runner.invoke(app, ["catalog", "preview", "ty"])
    assert none.exit_code == 2 and "no pricing rule" in none.output
    rule = tmp_path / "rule.json"
    rule.write_text(json.dumps({"percent": 20, "rounding": {"kind": "step", "step": 5}}))
    quotes = _json(runner.invoke(app, ["catalog", "preview", "ty", "--rule", str(rule)]))
    assert [q["sale_price"] for q in quotes] == ["120.00", "120.00"]
    assert quotes[0]["steps"][1] == "margin: +20 % → 120.00"
    rule.write_text(json.dumps({"percent": 20, "amount": 5, "colour": "red"}))
    bad = runner.invoke(app, ["catalog", "preview", "ty", "--rule", str(rule)])
    assert bad.exit_code == 2 and "colour" in bad.output and "Traceback" not in bad.output


def test_unknown_things_are_clear_errors(sb: TrendyolSandbox) -> None:
    missing = runner.invoke(app, ["catalog", "why", "ty:0000"])
    assert missing.exit_code == 2 and "listing ty:0000 not found" in missing.output
    nocard = runner.invoke(app, ["catalog", "count", "p-none", "4"])
    assert nocard.exit_code == 2 and "p-none not found" in nocard.output
    negative = runner.invoke(app, ["catalog", "count", "p-none", "-4"])
    assert negative.exit_code == 2
    noconn = runner.invoke(app, ["catalog", "import", "nope"])
    assert noconn.exit_code == 2 and "nope" in noconn.output
    empty = runner.invoke(app, ["catalog", "cards", "--tenant", "t2"])
    assert empty.exit_code == 0 and "no product cards for tenant t2" in empty.stdout
    assert "Traceback" not in missing.output + nocard.output + noconn.output
