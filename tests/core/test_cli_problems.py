"""`kervan problems`: the records kept in quarantine, from a shell on the server."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from kervan import RecordKind, RecordProblem
from kervan.cli.main import app
from kervan.engine import quarantine
from kervan.store import open_store
from typer.testing import CliRunner

runner = CliRunner()
SEEN = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def store_url(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path}/kervan.db"
    monkeypatch.setenv("KERVAN_STORE_URL", url)
    monkeypatch.setenv("KERVAN_HOME", str(tmp_path))
    store = open_store(url)
    try:
        problem = RecordProblem(
            kind=RecordKind.ORDER,
            raw={"shipmentPackageId": 3310099, "orderNumber": "10001"},
            reason="Trendyol package 3310099 cannot be mapped (lines: missing)",
            remote_id="3310099",
        )
        quarantine.keep(store.tenant("demo"), "trendyol", problem, SEEN, via="poll")
    finally:
        store.close()
    return url


def test_list_shows_each_open_problem_with_its_reason(store_url):
    result = runner.invoke(app, ["problems", "list", "demo"])
    assert result.exit_code == 0, result.output
    assert "trendyol:order:3310099" in result.stdout
    assert "lines: missing" in result.stdout and "seen 1x" in result.stdout
    rows = json.loads(runner.invoke(app, ["problems", "list", "demo", "--json"]).stdout)
    assert [r["id"] for r in rows] == ["trendyol:order:3310099"] and "raw" not in rows[0]
    none = runner.invoke(app, ["problems", "list", "demo", "--status", "resolved"])
    assert none.exit_code == 0 and "no resolved problems" in none.stdout
    other = runner.invoke(app, ["problems", "list", "another-tenant"])
    assert "3310099" not in other.stdout


def test_show_prints_the_raw_record_and_an_unknown_id_is_a_clear_error(store_url):
    shown = runner.invoke(app, ["problems", "show", "demo", "trendyol:order:3310099"])
    assert shown.exit_code == 0, shown.output
    body = json.loads(shown.stdout)
    assert body["raw"] == {"shipmentPackageId": 3310099, "orderNumber": "10001"}
    assert body["status"] == "open" and body["times_seen"] == 1
    missing = runner.invoke(app, ["problems", "show", "demo", "trendyol:order:1"])
    assert missing.exit_code == 2 and "no problem" in missing.output
    assert "Traceback" not in missing.output


def test_replay_of_an_unknown_problem_says_so_in_one_line(store_url):
    result = runner.invoke(app, ["problems", "replay", "demo", "trendyol:order:1"])
    assert result.exit_code == 2 and "not found" in result.output
    assert "Traceback" not in result.output
