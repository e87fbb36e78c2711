"""The plugin manager interface in one import (``from kervan.plugins.manager import ...``).

The pieces live in ``host.py`` (PluginHost), ``loader.py`` (entry points, env, the process-wide
host), ``report.py`` (PluginReport, PluginLoadError) and ``hooks.py`` (the typed facade).
"""

from __future__ import annotations

from .hooks import Hooks
from .host import PluginHost, make_plugin_manager
from .loader import get_host, load_plugins, reset_host
from .report import PluginLoadError, PluginReport, SkippedPlugin

__all__ = [
    "Hooks",
    "PluginHost",
    "PluginLoadError",
    "PluginReport",
    "SkippedPlugin",
    "get_host",
    "load_plugins",
    "make_plugin_manager",
    "reset_host",
]
