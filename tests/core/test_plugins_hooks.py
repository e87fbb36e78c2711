"""The typed facade over the extension hooks: each plugin called in isolation."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import kervan
import pytest
from kervan import hookimpl
from kervan.plugins import PluginLoadError, load_plugins


class Carrier(kervan.Carrier):
    key = "hooked-carrier"
    display_name = "Hooked Carrier"


def plugin(**hooks: Any) -> SimpleNamespace:
    return SimpleNamespace(**{name: hookimpl(fn) for name, fn in hooks.items()})


def test_register_routes_commands_and_startup_reach_every_plugin():
    seen: list[tuple[str, str, object]] = []
    host = load_plugins(strict=False, entry_points=False)
    for name in ("a", "b"):
        host.register(
            plugin(
                register_routes=lambda router, n=name: seen.append((n, "routes", router)),
                register_commands=lambda cli, n=name: seen.append((n, "commands", cli)),
                startup=lambda app, n=name: seen.append((n, "startup", app)),
            ),
            name,
        )
    router, cli, app = object(), object(), object()
    host.hooks.register_routes(router)
    host.hooks.register_commands(cli)
    host.hooks.startup(app)
    # pluggy's order: the last registered runs first
    assert seen == [
        ("b", "routes", router),
        ("a", "routes", router),
        ("b", "commands", cli),
        ("a", "commands", cli),
        ("b", "startup", app),
        ("a", "startup", app),
    ]


def test_a_hook_implementation_may_take_no_arguments():
    called = []
    host = load_plugins(strict=False, entry_points=False)
    host.register(plugin(startup=lambda: called.append(True)), "bare")
    host.hooks.startup(object())
    assert called == [True]


def _crashing_startup(app):
    raise RuntimeError("database is locked")


def test_a_raising_startup_marks_only_that_plugin_failed_and_removes_its_connectors():
    started = []
    host = load_plugins(strict=False, entry_points=False)
    host.register(
        plugin(startup=_crashing_startup, register_carriers=lambda register: register(Carrier)),
        "crashy",
    )
    host.register(plugin(startup=lambda app: started.append(app)), "calm")
    host.hooks.startup("app")
    assert started == ["app"]
    crashy = next(r for r in host.report if r.name == "crashy")
    assert crashy.status == "failed"
    assert crashy.error == "startup raised RuntimeError: database is locked"
    assert host.connectors() == {}
    assert host.pm.get_plugin("crashy") is None
    # a failed plugin is not called again
    host.hooks.startup("again")
    assert started == ["app", "again"]


def test_a_raising_hook_in_strict_mode_raises_naming_the_plugin():
    host = load_plugins(strict=True, entry_points=False)
    host.register(plugin(startup=_crashing_startup), "crashy")
    with pytest.raises(PluginLoadError, match="crashy"):
        host.hooks.startup(object())


def test_plugins_of_failed_admission_never_get_extension_hooks():
    called = []

    def register_carriers(register, extra):  # does not match the spec
        pass

    host = load_plugins(strict=False, entry_points=False)
    host.register(
        plugin(register_carriers=register_carriers, startup=lambda app: called.append(app)), "bad"
    )
    host.hooks.startup(object())
    assert called == []


def test_each_host_has_its_own_plugin_manager():
    one = load_plugins(strict=False, entry_points=False)
    two = load_plugins(strict=False, entry_points=False)
    one.register(plugin(register_carriers=lambda register: register(Carrier)), "p")
    assert one.pm is not two.pm
    assert two.connectors() == {} and two.pm.get_plugin("p") is None
