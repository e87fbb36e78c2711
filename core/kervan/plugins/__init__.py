"""The plugin system: hook specs, entry-point loading, the connector registry and load report.

Typical use::

    from kervan.plugins import get_host

    host = get_host()                      # loads entry points once per process
    Trendyol = host.connector("trendyol")  # NotFoundError listing known keys if absent
    host.hooks.startup(app)

Names are resolved lazily: ``import kervan`` pulls in ``kervan.plugins.hookspecs`` only, not
the loader (stevedore, packaging) nor the host.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .hooks import Hooks
    from .host import PluginHost, make_plugin_manager
    from .loader import (
        GROUP,
        get_host,
        installed_plugins,
        load_plugins,
        reset_host,
        strict_from_env,
    )
    from .report import PluginLoadError, PluginReport, PluginStatus, SkippedPlugin

_EXPORTS = {
    "GROUP": "loader",
    "Hooks": "hooks",
    "PluginHost": "host",
    "PluginLoadError": "report",
    "PluginReport": "report",
    "PluginStatus": "report",
    "SkippedPlugin": "report",
    "get_host": "loader",
    "installed_plugins": "loader",
    "load_plugins": "loader",
    "make_plugin_manager": "host",
    "reset_host": "loader",
    "strict_from_env": "loader",
}
__all__ = [
    "GROUP",
    "Hooks",
    "PluginHost",
    "PluginLoadError",
    "PluginReport",
    "PluginStatus",
    "SkippedPlugin",
    "get_host",
    "installed_plugins",
    "load_plugins",
    "make_plugin_manager",
    "reset_host",
    "strict_from_env",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
