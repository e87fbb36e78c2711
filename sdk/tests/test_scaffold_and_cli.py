"""`kervan plugin new` output passes the contract kit as generated; `kervan sandbox run` wiring."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
import typer
from kervan_sdk import cli as sdk_cli
from kervan_sdk.scaffold import ScaffoldError, format_imports, make_spec, render
from sdk_toys import ToyHub
from typer.testing import CliRunner

ALL_ROLES = ["marketplace", "carrier", "einvoice", "erp"]

# the SDK's commands on a root app of their own, as the core's CLI mounts them
app = typer.Typer()
sdk_cli.register(app)


def generate(tmp_path: Path, name: str, roles: list[str]) -> Path:
    args = ["plugin", "new", name, "--dir", str(tmp_path)]
    for role in roles:
        args += ["--role", role]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return tmp_path / f"kervan-{name}"


def run_generated_suites(pytester: pytest.Pytester, plugins: list[Path]) -> dict[str, list[str]]:
    """Run the generated tests of ``plugins`` in one session; outcomes by plugin folder."""
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    for plugin in plugins:
        pytester.syspathinsert(plugin)
        target = pytester.path / f"test_{plugin.name.replace('-', '_')}.py"
        shutil.copy(plugin / "tests" / "test_contract.py", target)
    reprec = pytester.inline_run("-q", "-p", "no:cacheprovider")
    outcomes: dict[str, list[str]] = {plugin.name: [] for plugin in plugins}
    for report in reprec.getreports("pytest_runtest_logreport"):
        if report.when == "call" or report.outcome != "passed":
            module = report.nodeid.split("::", 1)[0].removeprefix("test_").removesuffix(".py")
            outcomes[module.replace("_", "-")].append(report.outcome)
    return outcomes


def test_a_plugin_playing_four_roles_passes_the_whole_kit_as_generated(tmp_path, pytester):
    plugin = generate(tmp_path, "acme", ALL_ROLES)
    assert (plugin / "pyproject.toml").read_text().count('acme = "kervan_acme"') == 1
    outcomes = run_generated_suites(pytester, [plugin])
    assert outcomes == {"kervan-acme": ["passed"] * 26}


def test_each_single_role_plugin_passes_its_suite_as_generated(tmp_path, pytester):
    expected = {"order-source": 15, "carrier": 12, "document-issuer": 12, "erp": 11}
    plugins = [generate(tmp_path, f"solo-{role}", [role]) for role in expected]
    outcomes = run_generated_suites(pytester, plugins)
    assert outcomes == {f"kervan-solo-{role}": ["passed"] * n for role, n in expected.items()}


def test_the_generated_code_is_ruff_clean(tmp_path):
    ruff = shutil.which("ruff") or str(Path(__file__).parents[2] / ".venv" / "bin" / "ruff")
    plugin = generate(tmp_path, "kargo-express", ALL_ROLES)
    rules = ["--isolated", "--line-length", "100", "--target-version", "py311"]
    check = [ruff, "check", *rules, "--select", "E,F,W,I,B,UP,SIM,RUF", "."]
    fmt = [ruff, "format", "--isolated", "--line-length", "100", "--check", "."]
    for command in (check, fmt):
        done = subprocess.run(command, cwd=plugin, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr


def test_the_generated_plugin_registers_one_class_per_role_hook():
    files = render(make_spec("acme", ALL_ROLES))
    init = files["kervan_acme/__init__.py"]
    for hook in ("register_order_sources", "register_carriers", "register_document_issuers"):
        assert f"def {hook}(register):\n    register(Acme)" in init
    assert (
        "class Acme(OrderSource, Carrier, DocumentIssuer, ErpSink):"
        in files["kervan_acme/connector.py"]
    )


@pytest.mark.parametrize("name", ["1acme", "acme!", "class", "acme--x", ""])
def test_bad_plugin_names_are_refused(name):
    with pytest.raises(ScaffoldError):
        make_spec(name, ["carrier"])


def test_unknown_roles_are_refused_and_the_cli_says_so(tmp_path):
    result = CliRunner().invoke(app, ["plugin", "new", "acme", "--role", "teleporter"])
    assert result.exit_code == 2 and "unknown role 'teleporter'" in result.output
    with pytest.raises(ScaffoldError, match="at least one"):
        make_spec("acme", [])


def test_plugin_new_will_not_overwrite_a_folder(tmp_path):
    generate(tmp_path, "acme", ["carrier"])
    result = CliRunner().invoke(
        app, ["plugin", "new", "acme", "-r", "carrier", "--dir", str(tmp_path)]
    )
    assert result.exit_code == 2 and "not empty" in result.output


def test_imports_are_merged_and_grouped():
    text = format_imports(
        ["from kervan import B, A", "import base64", "from .x import y", "from kervan import A"]
    )
    assert text == (
        "from __future__ import annotations\n\nimport base64\n\n"
        "from kervan import A, B\n\nfrom .x import y"
    )


def test_build_sandbox_serves_the_connectors_sandbox_with_seeded_orders():
    app_ = sdk_cli.build_sandbox(ToyHub, orders=7)
    sandbox = app_.sandbox
    assert sandbox.clock.real and len(sandbox.orders) == 7


def test_sandbox_run_finds_the_connector_and_serves_it(monkeypatch):
    served = {}
    monkeypatch.setattr(sdk_cli, "find_connector", lambda key: ToyHub)
    monkeypatch.setattr("uvicorn.run", lambda app_, **kw: served.update(app=app_, **kw))
    result = CliRunner().invoke(app, ["sandbox", "run", "toy", "--port", "9911", "--orders", "3"])
    assert result.exit_code == 0, result.output
    assert served["port"] == 9911 and served["host"] == "127.0.0.1"
    assert "toy sandbox on http://127.0.0.1:9911" in result.output

    async def probe():
        transport = httpx.ASGITransport(app=served["app"])
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            return await http.get("/orders")

    import asyncio

    assert asyncio.run(probe()).status_code == 401  # the toy remote wants credentials


def test_sandbox_run_for_an_unknown_key_fails_cleanly():
    result = CliRunner().invoke(app, ["sandbox", "run", "no-such-connector"])
    assert result.exit_code == 2 and "no connector with key" in result.output
