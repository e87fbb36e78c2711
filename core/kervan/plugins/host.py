"""The plugin host: one pluggy ``PluginManager("kervan")``, the connector registry, the report.

A host is built by a factory (:func:`kervan.plugins.load_plugins`), never at import time. Each
plugin is admitted in isolation: registered with pluggy (which checks its hook implementations
against the specs), asked for its connector classes, and each class checked. A plugin with any
problem is taken out whole and reported; the others are unaffected.
"""

from __future__ import annotations

import functools
import importlib.metadata
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import pluggy

from ..roles import Connector
from . import hookspecs
from .hooks import Hooks
from .registry import HOOK_ROLES, ConnectorRegistry, Problem, check_connector
from .report import PluginLoadError, PluginReport, SkippedPlugin, describe_exception, short_reason

log = logging.getLogger("kervan.plugins")


def make_plugin_manager() -> pluggy.PluginManager:
    """A fresh ``PluginManager("kervan")`` holding Kervan's hook specs."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


@dataclass
class _Registrations:
    """What one plugin's registration hooks handed over, and what went wrong doing it."""

    classes: list[tuple[str, object]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def register_for(self, role: str) -> Callable[[type], None]:
        def register(cls: type) -> None:
            self.classes.append((role, cls))

        return register


class PluginHost:
    """Plugins loaded into this process: their hooks, their connectors and the load report."""

    def __init__(self, *, strict: bool = False, core_version: str | None = None) -> None:
        self.pm = make_plugin_manager()
        self.hooks = Hooks(self)
        self.registry = ConnectorRegistry()
        self.report: list[PluginReport] = []
        #: installed plugins left out on purpose by KERVAN_LOAD_PLUGINS / KERVAN_DISABLED_PLUGINS
        self.skipped: list[SkippedPlugin] = []
        #: other things worth telling (e.g. a requested plugin that is not installed)
        self.notes: list[str] = []
        self.strict = strict
        #: the version requires_core is checked against (tests pass another)
        self.core_version = core_version or _core_version()

    def __repr__(self) -> str:
        loaded = sum(r.loaded for r in self.report)
        return f"<PluginHost loaded={loaded} not_loaded={len(self.failures)}>"

    # -- lookups -------------------------------------------------------------------------------

    def connector(self, key: str) -> type[Connector]:
        """The connector class for ``key``; ``NotFoundError`` listing the known keys if none."""
        return self.registry.get(key)

    def connectors(self, role: str | None = None) -> dict[str, type[Connector]]:
        """Loaded connector classes by key, optionally only those playing ``role``."""
        return self.registry.by_role(role)

    def plugin_of(self, key: str) -> PluginReport:
        """The report of the plugin that provides connector ``key`` (distribution, version)."""
        self.registry.get(key)  # NotFoundError naming the known keys
        owner = self.registry.owner(key)
        return next(r for r in self.report if r.name == owner and r.loaded)

    @property
    def failures(self) -> list[PluginReport]:
        """Reports of plugins that did not load (``incompatible`` or ``failed``)."""
        return [r for r in self.report if not r.loaded]

    def check_strict(self) -> None:
        """Raise :class:`PluginLoadError` naming every plugin that did not load, if any."""
        if self.failures or self.notes:
            raise PluginLoadError(self.failures, self.notes, host=self)

    # -- admission -----------------------------------------------------------------------------

    def register(
        self,
        plugin: object,
        name: str,
        *,
        distribution: str | None = None,
        version: str | None = None,
    ) -> PluginReport:
        """Admit a module or object carrying ``@kervan.hookimpl`` functions, as an entry point
        would be. Returns its report; in strict mode raises if it did not load."""
        if distribution is None:
            distribution, version = distribution_of(plugin)
        report = PluginReport(name=name, distribution=distribution, version=version)
        self.report.append(report)
        self._admit(plugin, report)
        if not report.loaded:
            log.warning("plugin %s", report.culprit())
            if self.strict:
                raise PluginLoadError([report])
        return report

    def record_failure(
        self, name: str, reason: str, *, distribution: str | None = None, version: str | None = None
    ) -> PluginReport:
        """Report a plugin that could not even be imported."""
        report = PluginReport(
            name=name,
            distribution=distribution,
            version=version,
            status="failed",
            error=short_reason(reason),
        )
        self.report.append(report)
        log.warning("plugin %s", report.culprit())
        return report

    def mark_failed(self, name: str, reason: str) -> None:
        """Take a loaded plugin out (hooks and connectors) after it misbehaved at run time."""
        for report in reversed(self.report):
            if report.name == name and report.loaded:
                report.status, report.error = "failed", short_reason(reason)
                break
        if self.pm.get_plugin(name) is not None:
            self.pm.unregister(name=name)
        self.registry.remove_plugin(name)
        if self.strict:
            raise PluginLoadError([r for r in self.report if r.name == name])

    def _admit(self, plugin: object, report: PluginReport) -> None:
        try:
            self.pm.register(plugin, name=report.name)
        except pluggy.PluginValidationError as exc:
            report.roles = self._declared_roles(plugin)
            _fail(report, f"hook implementation does not match its spec: {exc}")
            return
        except ValueError:  # pluggy's message embeds the repr of every plugin: say it plainly
            taken = self.pm.get_plugin(report.name) is not None
            _fail(
                report,
                f"could not register: a plugin named {report.name!r} is already registered"
                if taken
                else "could not register: the same plugin object is registered under another name",
            )
            return
        unknown = self._unknown_hooks(plugin)
        if unknown:
            _fail(report, "implements hooks Kervan does not define: " + ", ".join(unknown))
        else:
            found = self._collect(plugin)
            self._judge(report, found)
        if not report.loaded:
            self.pm.unregister(name=report.name)

    def _declared_roles(self, plugin: object) -> list[str]:
        """Roles a plugin meant to play, read from its hookimpl names (when pluggy refused it)."""
        return sorted(
            HOOK_ROLES[name]
            for name in dir(plugin)
            if name in HOOK_ROLES and self.pm.parse_hookimpl_opts(plugin, name) is not None
        )

    def _unknown_hooks(self, plugin: object) -> list[str]:
        return sorted(
            caller.name
            for caller in self.pm.get_hookcallers(plugin) or []
            if not caller.has_spec()
            and any(i.plugin is plugin and not i.optionalhook for i in caller.get_hookimpls())
        )

    def _collect(self, plugin: object) -> _Registrations:
        found = _Registrations()
        for caller in self.pm.get_hookcallers(plugin) or []:
            role = HOOK_ROLES.get(caller.name)
            if role is None:
                continue
            for impl in caller.get_hookimpls():
                if impl.plugin is not plugin:
                    continue
                if impl.hookwrapper or impl.wrapper:
                    found.errors.append(f"{caller.name} must not be a hook wrapper")
                    continue
                args: dict[str, Any] = {"register": found.register_for(role)}
                try:
                    impl.function(*(args[a] for a in impl.argnames))
                except Exception as exc:
                    found.errors.append(f"{caller.name} raised {describe_exception(exc)}")
        return found

    def _judge(self, report: PluginReport, found: _Registrations) -> None:
        problems = [Problem("failed", e) for e in found.errors]
        seen: dict[str, type[Connector]] = {}
        for role, cls in found.classes:
            problem = check_connector(cls, role, self.core_version)
            if problem is None or problem.kind == "incompatible":
                connector = cast(type[Connector], cls)  # check_connector vouched for it
                # a clash is a failure even when the class is also incompatible
                problem = self._clash(report.name, connector, seen) or problem
                seen.setdefault(connector.key, connector)
            if problem is not None:
                problems.append(problem)
        _describe(report, found.classes)
        failed = _unique(p.message for p in problems if p.kind == "failed")
        incompatible = _unique(p.message for p in problems if p.kind == "incompatible")
        if failed:
            _fail(report, "; ".join(failed + incompatible))
        elif incompatible:
            report.status, report.error = "incompatible", short_reason("; ".join(incompatible))
        else:
            for cls in seen.values():
                self.registry.add(cls, report.name)

    def _clash(
        self, plugin: str, cls: type[Connector], seen: dict[str, type[Connector]]
    ) -> Problem | None:
        key = cls.key
        owner = self.registry.owner(key)
        if owner is not None and owner != plugin:
            return Problem(
                "failed", f"connector key {key!r} is already registered by plugin {owner!r}"
            )
        if key in seen and seen[key] is not cls:
            return Problem(
                "failed",
                f"connector key {key!r} is registered twice in this plugin, by "
                f"{seen[key].__qualname__} and {cls.__qualname__}",
            )
        return None


def _core_version() -> str:
    # read late: kervan/__init__ imports this package while it is still initialising
    from .. import __version__

    return __version__


def _unique(messages: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(messages))


def _fail(report: PluginReport, reason: str) -> None:
    report.status, report.error = "failed", short_reason(reason)


def _describe(report: PluginReport, classes: list[tuple[str, object]]) -> None:
    """Fill roles, connector keys and requires_core from what the plugin registered."""
    roles: set[str] = set()
    keys: set[str] = set()
    requires: set[str] = set()
    for role, cls in classes:
        roles.add(role)
        if isinstance(cls, type) and issubclass(cls, Connector):
            roles.update(cls.roles())
        key, spec = getattr(cls, "key", None), getattr(cls, "requires_core", None)
        if isinstance(key, str):
            keys.add(key)
        if isinstance(spec, str):
            requires.add(spec)
    report.roles, report.connectors = sorted(roles), sorted(keys)
    report.requires_core = "; ".join(sorted(requires)) or None


def distribution_of(plugin: object) -> tuple[str | None, str | None]:
    """The installed distribution (name, version) a plugin module or object comes from."""
    module = getattr(plugin, "__name__", None) if hasattr(plugin, "__file__") else None
    module = module or getattr(plugin, "__module__", None) or type(plugin).__module__
    names = _top_level_distributions().get(module.split(".")[0]) or []
    if not names:
        return None, None
    try:
        return names[0], importlib.metadata.version(names[0])
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - metadata races
        return names[0], None


@functools.cache
def _top_level_distributions() -> Mapping[str, list[str]]:
    # scanning every installed distribution costs tens of milliseconds: once per process
    return importlib.metadata.packages_distributions()
