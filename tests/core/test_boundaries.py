"""Import boundaries, checked statically with ``ast`` across core/, sdk/ and plugins/*/*.

* The core imports no plugin (no ``kervan_*`` package; the SDK is not a core dependency either).
* A plugin imports only the public surface of ``kervan``: what ``kervan/__init__.py`` exports in
  ``__all__`` (``from kervan import X``), and the exported submodules (``kervan.domain``,
  ``kervan.errors`` and anything inside them), plus ``kervan_sdk``'s public modules. Not e.g.
  ``kervan.engine`` or ``kervan.store.sqlite``. Other plugins' packages are allowed (an
  integrator plugin may build on ``kervan_ubltr``).
* The SDK imports no plugin, and from ``kervan`` the public surface plus ``kervan.plugins`` (its
  contract test kit drives the plugin host).
* ``kervan-demo`` (demo/) is a plugin like the others: the public surface only.
* The core names no plugin: no string in it is an installed plugin's entry-point name or
  connector key (the demo's wiring, which does, lives in kervan-demo).

The public surface is read from ``kervan.__all__``, so exporting a module there makes it public.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import kervan

ROOT = Path(__file__).resolve().parents[2]
PUBLIC_NAMES = set(kervan.__all__)
# a name in __all__ that is a submodule, found without importing it (some load on first use)
PUBLIC_MODULES = {"kervan"} | {
    f"kervan.{name}"
    for name in PUBLIC_NAMES
    if isinstance(kervan.__dict__.get(name), ModuleType)
    or (name not in kervan.__dict__ and importlib.util.find_spec(f"kervan.{name}") is not None)
}


@dataclass(frozen=True)
class Import:
    module: str
    names: tuple[str, ...]  # for `from module import a, b`
    line: int


def imports(source: str) -> list[Import]:
    """Absolute imports in a module, including ``import_module("x")`` with a literal name."""
    return sorted(_imports(ast.parse(source)), key=lambda i: i.line)


def _imports(tree: ast.AST) -> Iterator[Import]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, (), node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield Import(node.module, tuple(a.name for a in node.names), node.lineno)
        elif isinstance(node, ast.Call) and _is_import_call(node.func) and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                yield Import(arg.value, (), node.lineno)


def _is_import_call(func: ast.expr) -> bool:
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name in {"import_module", "__import__"}


def _within(module: str, prefixes: set[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def core_violation(imp: Import) -> str | None:
    top = imp.module.split(".")[0]
    if top.startswith("kervan_"):
        return f"the core imports {imp.module} (a plugin or the SDK)"
    return None


def plugin_violation(imp: Import, extra_public: frozenset[str] = frozenset()) -> str | None:
    top = imp.module.split(".")[0]
    if top == "kervan_sdk":
        if any(part.startswith("_") for part in imp.module.split(".")[1:]):
            return f"imports private SDK module {imp.module}"
        return None
    if top != "kervan":
        return None
    if imp.module == "kervan":
        private = [n for n in imp.names if n not in PUBLIC_NAMES]
        return (
            f"imports {', '.join(private)} from kervan (not in kervan.__all__)" if private else None
        )
    if imp.module in PUBLIC_MODULES - {"kervan"} or _within(
        imp.module, (PUBLIC_MODULES - {"kervan"}) | extra_public
    ):
        return None
    return f"imports {imp.module}, which is not kervan's public surface"


def sdk_violation(imp: Import) -> str | None:
    top = imp.module.split(".")[0]
    if top.startswith("kervan_") and top != "kervan_sdk":
        return f"the SDK imports plugin package {imp.module}"
    return plugin_violation(imp, frozenset({"kervan.plugins"}))


def python_files(*patterns: str) -> list[Path]:
    files = {p for pattern in patterns for p in ROOT.glob(pattern)}
    return sorted(p for p in files if ".venv" not in p.parts and "templates" not in p.parts)


def violations(files: list[Path], rule) -> list[str]:
    found = []
    for path in files:
        for imp in imports(path.read_text(encoding="utf-8")):
            problem = rule(imp)
            if problem:
                found.append(f"{path.relative_to(ROOT)}:{imp.line}: {problem}")
    return found


# -- the checker itself ------------------------------------------------------------------------


def test_checker_flags_internal_imports_in_a_plugin():
    source = """
import kervan.engine
from kervan.store.sqlite import SqliteStore
from kervan import jobs
import importlib
importlib.import_module("kervan.engine.steps")
from kervan_sdk._internal import x
"""
    found = [plugin_violation(i) for i in imports(source)]
    assert [f for f in found if f] == [
        "imports kervan.engine, which is not kervan's public surface",
        "imports kervan.store.sqlite, which is not kervan's public surface",
        "imports jobs from kervan (not in kervan.__all__)",
        "imports kervan.engine.steps, which is not kervan's public surface",
        "imports private SDK module kervan_sdk._internal",
    ]


def test_checker_allows_the_public_surface_and_other_plugins():
    source = """
import kervan
from kervan import Carrier, ConnectorSettings, domain, errors, hookimpl
from kervan.domain import Order
from kervan.domain.party import Party
from kervan.errors import RemoteUnavailableError
import kervan.errors
from kervan_sdk.http import ApiClient
from kervan_ubltr import render
from .client import Client
"""
    found = imports(source)
    assert len(found) == 8  # the relative import is the plugin's own business
    assert [plugin_violation(i) for i in found] == [None] * 8


def test_the_public_surface_includes_modules_loaded_on_first_use():
    assert {"kervan.domain", "kervan.reports", "kervan.scenario"} <= PUBLIC_MODULES
    assert "kervan.runtime" not in PUBLIC_MODULES  # only its Runtime class is exported
    assert plugin_violation(Import("kervan", ("Runtime", "create_app", "kervan_home"), 1)) is None


def test_checker_flags_a_plugin_import_in_the_core():
    found = [
        core_violation(i) for i in imports("import kervan_trendyol\nfrom kervan_sdk import http")
    ]
    assert found == [
        "the core imports kervan_trendyol (a plugin or the SDK)",
        "the core imports kervan_sdk (a plugin or the SDK)",
    ]


def test_checker_lets_the_sdk_drive_the_plugin_host_but_not_import_plugins():
    assert sdk_violation(Import("kervan.plugins.loader", (), 1)) is None
    assert (
        sdk_violation(Import("kervan_trendyol", (), 1))
        == "the SDK imports plugin package kervan_trendyol"
    )
    assert sdk_violation(Import("kervan.engine", (), 1)) is not None


# -- the repository ----------------------------------------------------------------------------


def test_the_core_imports_no_plugin():
    files = python_files("core/**/*.py")
    assert files, "no core sources found"
    found = violations(files, core_violation)
    assert not found, "\n".join(found)


def test_the_runtime_package_holds_no_test_fakes():
    """Test doubles (the Couchbase fake, ...) live in tests/support, on pytest's ``pythonpath``,
    not in what ``pip install kervan`` ships: no fake module or class in core, and no core
    module imports test support."""
    support = {p.stem for p in (ROOT / "tests" / "support").glob("*.py")}
    assert "couchbase_fake" in support
    files = python_files("core/**/*.py")
    found = [f"{p.relative_to(ROOT)}: a test module" for p in files if "fake" in p.stem.lower()] + [
        f"{p.relative_to(ROOT)}:{node.lineno}: class {node.name}"
        for p in files
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef) and node.name.lower().startswith("fake")
    ]
    found += violations(
        files,
        lambda imp: (
            f"the core imports test support {imp.module}"
            if imp.module.split(".")[0] in support | {"tests"}
            else None
        ),
    )
    assert not found, "\n".join(found)


def test_plugins_import_only_the_public_surface_of_kervan_and_the_sdk():
    files = python_files("plugins/*/*/**/*.py")
    found = violations(files, plugin_violation)
    assert not found, "\n".join(found)


def test_the_demo_imports_only_the_public_surface_of_kervan_and_the_sdk():
    files = python_files("demo/**/*.py")
    assert any(p.name == "run.py" for p in files), "no demo sources found"
    found = violations(files, plugin_violation)
    assert not found, "\n".join(found)


def test_the_core_names_no_plugin_key():
    from kervan.plugins import get_host, installed_plugins

    names = {c.name.lower() for c in installed_plugins()}
    names |= {key.lower() for key in get_host(strict=False).connectors()}
    assert {"demo", "trendyol", "nilvera"} <= names
    found = []
    for path in python_files("core/**/*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.strip().lower() in names
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert not found, "\n".join(found)


def test_the_sdk_imports_no_plugin_and_only_kervans_public_surface():
    found = violations(python_files("sdk/**/*.py"), sdk_violation)
    assert not found, "\n".join(found)


def test_importing_kervan_loads_no_plugin_module():
    import subprocess
    import sys

    code = "import sys, kervan; print([m for m in sys.modules if m.startswith('kervan_')])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
