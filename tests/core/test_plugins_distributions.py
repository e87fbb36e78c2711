"""Real throwaway plugin distributions, built and installed, seen through `kervan plugins`.

The distributions under ``tests/fixtures/plugins/`` are built with their real build backend and
installed (``uv pip install --target``) into a temporary site directory that only the `kervan`
subprocesses below see (through ``PYTHONPATH``). Nothing is installed into the shared virtualenv,
so other tests, and other people's ``uv sync``, never meet them; the directory goes away at the
end of the module.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "plugins"
FIXTURE_DIRS = [
    "healthy",
    "broken_import",
    "assert_import",
    "incompatible",
    "bad_hook",
    "duplicate_key",
]
NOT_LOADED = [
    "fixture_assert",
    "fixture_badhook",
    "fixture_broken",
    "fixture_incompatible",
    "fixture_twin",
]


def uv_command() -> list[str]:
    """uv as installed here: the one running us (`uv run` sets UV), on PATH, or as a module."""
    if os.environ.get("UV"):
        return [os.environ["UV"]]
    if shutil.which("uv"):
        return ["uv"]
    if importlib.util.find_spec("uv") is not None:
        return [sys.executable, "-m", "uv"]
    return ["python3", "-m", "uv"]


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory):
    target = tmp_path_factory.mktemp("fixture-plugins")
    subprocess.run(
        [
            *uv_command(),
            "pip",
            "install",
            "--quiet",
            "--python",
            sys.executable,
            "--target",
            str(target),
            "--no-deps",
            *(str(FIXTURES / d) for d in FIXTURE_DIRS),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    yield target
    shutil.rmtree(target, ignore_errors=True)


def kervan(site_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the installed `kervan` command with the fixture plugins on its path."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KERVAN_")}
    environ.update(PYTHONPATH=str(site_dir), COLUMNS="250", XDG_CACHE_HOME=str(site_dir / ".cache"))
    environ.update(env)
    script = Path(sys.executable).with_name("kervan")
    cmd = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "from kervan.cli.main import main; main()"]
    )
    return subprocess.run([*cmd, *args], env=environ, capture_output=True, text=True, timeout=120)


def table_rows(stdout: str) -> dict[str, str]:
    """Rows of the rich table by plugin name (the first cell); continuation lines skipped."""
    rows = {}
    for line in stdout.splitlines():
        cells = line.split("│")
        if len(cells) > 2 and cells[1].strip():
            rows[cells[1].strip()] = line
    return rows


def by_name(result: subprocess.CompletedProcess[str]) -> dict[str, dict]:
    items = json.loads(result.stdout)
    assert isinstance(items, list)
    return {item["name"]: item for item in items}


@pytest.fixture(scope="module")
def report(site_dir: Path) -> dict[str, dict]:
    result = kervan(site_dir, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    return by_name(result)


def test_every_item_has_the_documented_fields(report):
    for item in report.values():
        assert {
            "name",
            "distribution",
            "version",
            "roles",
            "connectors",
            "requires_core",
            "status",
            "error",
        } <= set(item)
        assert item["status"] in {"loaded", "incompatible", "failed"}
        assert (item["error"] is None) == (item["status"] == "loaded")


def test_healthy_plugin_loads_alongside_the_broken_ones(report):
    assert report["fixture_healthy"] == {
        "name": "fixture_healthy",
        "distribution": "kervan-fixture-healthy",
        "version": "0.3.0",
        "roles": ["carrier"],
        "connectors": ["fixture-carrier"],
        "requires_core": ">=0.1",
        "status": "loaded",
        "error": None,
    }


def test_plugin_that_raises_on_import_is_failed_with_the_exception(report):
    item = report["fixture_broken"]
    assert item["status"] == "failed"
    assert (item["distribution"], item["version"]) == ("kervan-fixture-broken", "0.0.1")
    assert item["error"] == "import failed: RuntimeError: fixture plugin refuses to import"


def test_plugin_failing_an_assertion_on_import_is_failed_too(report):
    item = report["fixture_assert"]
    assert item["status"] == "failed"
    assert item["error"] == "import failed: AssertionError: fixture plugin asserts on import"


def test_plugin_with_incompatible_requires_core_is_incompatible(report):
    item = report["fixture_incompatible"]
    assert item["status"] == "incompatible"
    assert item["requires_core"] == ">=99"
    assert item["connectors"] == ["fixture-future"] and item["roles"] == ["order_source"]
    assert "connector 'fixture-future' requires kervan>=99, this is kervan" in item["error"]


def test_plugin_whose_hookimpl_does_not_match_its_spec_is_failed(report):
    item = report["fixture_badhook"]
    assert item["status"] == "failed"
    assert "hook implementation does not match its spec" in item["error"]
    assert item["roles"] == ["carrier"]  # read from its hook names though pluggy refused it
    assert "register_carriers" in item["error"] and "carrier_registry" in item["error"]


def test_plugin_reusing_a_connector_key_is_failed_naming_the_owner(report):
    item = report["fixture_twin"]
    assert item["status"] == "failed"
    assert item["error"] == (
        "connector key 'fixture-carrier' is already registered by plugin 'fixture_healthy'"
    )


def test_table_lists_each_plugin_with_its_status_and_reason(site_dir):
    result = kervan(site_dir, "plugins")
    assert result.returncode == 0, result.stderr
    rows = {
        line.split("│")[1].strip(): line
        for line in result.stdout.splitlines()
        if line.count("│") > 2
    }
    assert "loaded" in rows["fixture_healthy"] and "fixture-carrier" in rows["fixture_healthy"]
    assert "incompatible" in rows["fixture_incompatible"]
    for name in ("fixture_assert", "fixture_broken", "fixture_badhook", "fixture_twin"):
        assert "failed" in rows[name]
    assert "fixture plugin refuses to import" in result.stdout


def test_strict_mode_exits_non_zero_naming_every_culprit_and_not_the_healthy_one(site_dir):
    result = kervan(site_dir, "plugins", "--json", KERVAN_STRICT_PLUGINS="1")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: plugin ")]
    assert sorted(line.split()[2] for line in errors) == NOT_LOADED
    assert by_name(result)["fixture_healthy"]["status"] == "loaded"  # the report still prints


def test_filters_leave_plugins_unimported_and_strict_mode_then_passes(site_dir):
    result = kervan(
        site_dir,
        "plugins",
        KERVAN_STRICT_PLUGINS="1",
        KERVAN_LOAD_PLUGINS="fixture_healthy,kervan-fixture-incompatible",
        KERVAN_DISABLED_PLUGINS="kervan-fixture-incompatible",
    )
    assert result.returncode == 0, result.stderr
    rows = table_rows(result.stdout)
    assert list(rows) == ["fixture_healthy"] and "loaded" in rows["fixture_healthy"]
    assert "refuses to import" not in result.stdout + result.stderr
    assert (
        "skipped fixture_incompatible (kervan-fixture-incompatible): disabled by" in result.stdout
    )
    for name in ("fixture_assert", "fixture_broken", "fixture_badhook", "fixture_twin"):
        assert f"skipped {name} " in result.stdout and "not in KERVAN_LOAD_PLUGINS" in result.stdout


def test_no_fixture_plugin_leaks_into_this_interpreter():
    from importlib.metadata import entry_points

    assert not {ep.name for ep in entry_points(group="kervan.plugins")} & {
        "fixture_healthy",
        *NOT_LOADED,
    }
