"""A typed facade over the extension hooks (``pm.hook``), in the manner of tox's ``Plugin``.

Each hook is called one plugin at a time rather than through ``pm.hook.NAME(...)``: pluggy stops
at the first exception, and one plugin's broken ``startup`` must not stop the others. A plugin
whose hook raises is marked ``failed`` in the load report and taken out (its connectors too);
in strict mode that raises :class:`~kervan.plugins.report.PluginLoadError`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .report import describe_exception

if TYPE_CHECKING:
    from fastapi import APIRouter
    from typer import Typer

    from .host import PluginHost

log = logging.getLogger("kervan.plugins")


class Hooks:
    """The sync extension hooks, typed. Role registration hooks are run by the host itself."""

    def __init__(self, host: PluginHost) -> None:
        self._host = host

    def register_routes(self, router: APIRouter) -> None:
        """Let plugins add routes to ``router`` (mounted by the API under ``/v1/ext``)."""
        self._call("register_routes", router=router)

    def register_commands(self, cli: Typer) -> None:
        """Let plugins add commands to the ``kervan`` CLI."""
        self._call("register_commands", cli=cli)

    def startup(self, app: Any) -> None:
        """Tell plugins a Kervan process (API app or worker) has started."""
        self._call("startup", app=app)

    def _call(self, hook: str, **kwargs: Any) -> None:
        caller = getattr(self._host.pm.hook, hook)
        # pluggy runs the last registered first (tryfirst/trylast aside): keep its order
        for impl in reversed(caller.get_hookimpls()):
            if impl.hookwrapper or impl.wrapper:
                log.warning(
                    "plugin %s: wrapper on %s is not supported; ignored", impl.plugin_name, hook
                )
                continue
            try:
                impl.function(*(kwargs[name] for name in impl.argnames))
            except Exception as exc:
                log.warning("plugin %s: %s raised %s", impl.plugin_name, hook, exc)
                self._host.mark_failed(impl.plugin_name, f"{hook} raised {describe_exception(exc)}")
