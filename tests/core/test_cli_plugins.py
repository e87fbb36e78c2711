"""`kervan --version` and `kervan plugins` driven in-process with a host we build."""

from __future__ import annotations

import json
from types import SimpleNamespace

import kervan
import pytest
from kervan import hookimpl
from kervan.cli import main as cli_main
from kervan.cli import plugins_cmd
from kervan.plugins import PluginHost, load_plugins
from typer.testing import CliRunner

runner = CliRunner()


class Market(kervan.OrderSource):
    key = "cli-market"
    display_name = "CLI Market"


class Future(kervan.Carrier):
    key = "cli-future"
    display_name = "CLI Future"
    requires_core = ">=99"


@pytest.fixture
def host(monkeypatch) -> PluginHost:
    h = load_plugins(strict=False, entry_points=False)
    h.register(
        SimpleNamespace(register_order_sources=hookimpl(lambda register: register(Market))),
        "market",
    )
    h.register(
        SimpleNamespace(register_carriers=hookimpl(lambda register: register(Future))), "future"
    )
    monkeypatch.setattr(plugins_cmd, "get_host", lambda strict=None: h)
    monkeypatch.delenv("KERVAN_STRICT_PLUGINS", raising=False)
    return h


def test_version_prints_the_core_version():
    result = runner.invoke(cli_main.app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"kervan {kervan.__version__}"


def test_json_is_the_load_report(host):
    result = runner.invoke(cli_main.app, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert items == [r.model_dump(mode="json") for r in host.report]
    assert [(i["name"], i["status"]) for i in items] == [
        ("market", "loaded"),
        ("future", "incompatible"),
    ]


def test_table_shows_each_plugin_its_connectors_and_reason(host):
    host.skipped.append(_skipped())
    result = runner.invoke(cli_main.app, ["plugins"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "cli-market" in result.stdout and "loaded" in result.stdout
    assert "incompatible" in result.stdout and "requires kervan>=99" in result.stdout
    assert "skipped quiet (kervan-quiet): disabled by KERVAN_DISABLED_PLUGINS" in result.stdout


def _skipped():
    from kervan.plugins import SkippedPlugin

    return SkippedPlugin(
        name="quiet", distribution="kervan-quiet", reason="disabled by KERVAN_DISABLED_PLUGINS"
    )


@pytest.mark.parametrize(
    ("args", "env"),
    [(["--strict"], {}), ([], {"KERVAN_STRICT_PLUGINS": "1"})],
)
def test_strict_exits_1_naming_the_culprit_after_printing(host, args, env):
    result = runner.invoke(cli_main.app, ["plugins", "--json", *args], env=env)
    assert result.exit_code == 1
    assert json.loads(result.stdout)[0]["name"] == "market"
    assert result.stderr.strip() == f"error: plugin {host.report[1].culprit()}"
    assert "future" in result.stderr and "market" not in result.stderr


def test_no_strict_flag_overrides_the_environment(host):
    result = runner.invoke(
        cli_main.app, ["plugins", "--no-strict"], env={"KERVAN_STRICT_PLUGINS": "1"}
    )
    assert result.exit_code == 0


def test_strict_passes_when_everything_loaded(host):
    host.report.pop()  # drop the incompatible plugin
    result = runner.invoke(cli_main.app, ["plugins", "--strict"])
    assert result.exit_code == 0 and result.stderr == ""
