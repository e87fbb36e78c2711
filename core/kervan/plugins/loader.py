"""Loading plugins from entry points (group ``kervan.plugins``) with stevedore.

Environment:

``KERVAN_LOAD_PLUGINS=a,b``
    load only these plugins (entry-point or distribution names).
``KERVAN_DISABLED_PLUGINS=x,y``
    do not load these. Plugins left out either way are not imported and do not appear in the
    report (whose statuses stay ``loaded | incompatible | failed``); they are listed in
    ``PluginHost.skipped`` and under the ``kervan plugins`` table.
``KERVAN_STRICT_PLUGINS=1``
    any plugin that is ``failed`` or ``incompatible`` (or a name in ``KERVAN_LOAD_PLUGINS``
    that is not installed) raises :class:`PluginLoadError` naming it.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from packaging.utils import canonicalize_name
from stevedore import NamedExtensionManager

from .host import PluginHost
from .report import PluginLoadError, SkippedPlugin, describe_exception

GROUP = "kervan.plugins"
log = logging.getLogger("kervan.plugins")

_TRUE = {"1", "true", "yes", "on"}


def strict_from_env(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``KERVAN_STRICT_PLUGINS`` asks for strict loading."""
    env = os.environ if environ is None else environ
    return env.get("KERVAN_STRICT_PLUGINS", "").strip().lower() in _TRUE


def parse_names(value: str | None) -> set[str] | None:
    """``"a, B ,,c"`` → ``{"a", "b", "c"}`` (canonical names); unset or blank → None."""
    if value is None or not value.strip():
        return None
    return {canonicalize_name(part.strip()) for part in value.split(",") if part.strip()}


@dataclass(frozen=True)
class Candidate:
    """An installed plugin entry point, before anything is imported."""

    name: str
    distribution: str | None
    version: str | None
    #: the entry point's target, ``module`` or ``module:attr``
    value: str = ""

    def matches(self, names: set[str]) -> bool:
        return canonicalize_name(self.name) in names or (
            self.distribution is not None and canonicalize_name(self.distribution) in names
        )


@dataclass(frozen=True)
class Selection:
    load: list[Candidate]
    skipped: list[SkippedPlugin]
    #: names KERVAN_LOAD_PLUGINS asked for that match no installed plugin
    missing: list[str]


def select(candidates: Iterable[Candidate], environ: Mapping[str, str] | None = None) -> Selection:
    """Apply ``KERVAN_LOAD_PLUGINS`` and ``KERVAN_DISABLED_PLUGINS`` (disabled wins)."""
    env = os.environ if environ is None else environ
    only = parse_names(env.get("KERVAN_LOAD_PLUGINS"))
    disabled = parse_names(env.get("KERVAN_DISABLED_PLUGINS")) or set()
    load: list[Candidate] = []
    skipped: list[SkippedPlugin] = []
    seen: set[str] = set()
    for cand in candidates:
        seen.add(canonicalize_name(cand.name))
        if cand.distribution:
            seen.add(canonicalize_name(cand.distribution))
        if cand.matches(disabled):
            skipped.append(
                SkippedPlugin(
                    name=cand.name,
                    distribution=cand.distribution,
                    reason="disabled by KERVAN_DISABLED_PLUGINS",
                )
            )
        elif only is not None and not cand.matches(only):
            skipped.append(
                SkippedPlugin(
                    name=cand.name,
                    distribution=cand.distribution,
                    reason="not in KERVAN_LOAD_PLUGINS",
                )
            )
        else:
            load.append(cand)
    missing = sorted((only or set()) - seen)
    return Selection(load, skipped, missing)


def installed_plugins() -> list[Candidate]:
    """Every entry point of group ``kervan.plugins``, sorted by name (so duplicates resolve
    the same way on every machine), with the distribution it comes from."""
    found = {
        (ep.name, ep.dist.name if ep.dist else None): Candidate(
            ep.name,
            ep.dist.name if ep.dist else None,
            ep.dist.version if ep.dist else None,
            ep.value,
        )
        for ep in importlib.metadata.entry_points(group=GROUP)
    }
    return sorted(found.values(), key=lambda c: (c.name, c.distribution or ""))


def load_plugins(*, strict: bool | None = None, entry_points: bool = True) -> PluginHost:
    """Build a :class:`PluginHost` and load the installed plugins into it, each in isolation.

    ``strict=None`` reads ``KERVAN_STRICT_PLUGINS``. In strict mode a plugin that did not load
    raises :class:`PluginLoadError` naming it (after every plugin has been tried, so the error
    names them all). ``entry_points=False`` gives an empty host for in-process registration.
    """
    host = PluginHost()
    if entry_points:
        _load_entry_points(host)
    host.strict = strict_from_env() if strict is None else strict
    if host.strict:
        host.check_strict()
    return host


def _load_entry_points(host: PluginHost) -> None:
    selection = select(installed_plugins())
    host.skipped.extend(selection.skipped)
    host.notes.extend(
        f"KERVAN_LOAD_PLUGINS names {name!r}, which is not an installed plugin"
        for name in selection.missing
    )
    by_name: dict[str, list[Candidate]] = {}
    for cand in selection.load:
        by_name.setdefault(cand.name, []).append(cand)
    for name, cands in by_name.items():
        for ep, loaded in _import(name, host, cands):
            cand = next((c for c in cands if c.value == ep.value), cands[0])
            host.register(loaded, name, distribution=cand.distribution, version=cand.version)


def _import(
    name: str, host: PluginHost, cands: list[Candidate]
) -> list[tuple[importlib.metadata.EntryPoint, object]]:
    """Import the entry point(s) called ``name`` with stevedore, one plugin at a time:
    stevedore re-raises an AssertionError from an import, and a plugin calling ``sys.exit()``
    on import must not stop the others either."""
    failures: list[BaseException] = []

    def on_failure(_manager: Any, _ep: Any, exc: BaseException) -> None:
        failures.append(exc)

    try:
        manager = NamedExtensionManager(
            GROUP,
            names=[name],
            invoke_on_load=False,
            on_load_failure_callback=on_failure,
            # names come from the installed list; a vanished one just does not load
            on_missing_entrypoints_callback=_ignore_missing,
        )
        extensions: list[tuple[importlib.metadata.EntryPoint, object]] = [
            (ext.entry_point, ext.plugin) for ext in manager.extensions
        ]
    except (Exception, SystemExit) as exc:
        failures.append(exc)
    if failures:
        host.record_failure(
            name,
            f"import failed: {describe_exception(failures[0])}",
            distribution=cands[0].distribution,
            version=cands[0].version,
        )
        return []
    return extensions


def _ignore_missing(_names: Any) -> None:
    return None


_host: PluginHost | None = None
_lock = threading.Lock()


def get_host(*, strict: bool | None = None) -> PluginHost:
    """The process-wide host, loaded on first use. Raises :class:`PluginLoadError` in strict
    mode (``strict=None`` reads ``KERVAN_STRICT_PLUGINS``) if any plugin did not load."""
    global _host
    with _lock:
        if _host is None:
            _host = load_plugins(strict=False)
        host = _host
    if strict_from_env() if strict is None else strict:
        host.check_strict()
    return host


def reset_host() -> None:
    """Forget the process-wide host (tests)."""
    global _host
    with _lock:
        _host = None


__all__ = [
    "GROUP",
    "Candidate",
    "PluginLoadError",
    "Selection",
    "get_host",
    "installed_plugins",
    "load_plugins",
    "reset_host",
    "select",
    "strict_from_env",
]
