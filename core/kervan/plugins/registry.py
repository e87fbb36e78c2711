"""The connector registry: which connector class answers to which key, and who provided it.

Every class a plugin hands to a registration hook is checked here before it is admitted: it must
be a ``Connector`` subclass of the role the hook names, carry a ``key``, a ``display_name`` and a
``Settings`` model, and its ``requires_core`` must admit this core.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from ..errors import NotFoundError
from ..roles import ROLE_CLASSES, Connector
from ..settings import ConnectorSettings
from .hookspecs import ROLE_HOOKS

#: keys appear in URLs, settings documents and logs: keep them plain
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")

ROLE_CLASS_BY_NAME: dict[str, type[Connector]] = {cls.role: cls for cls in ROLE_CLASSES}
HOOK_ROLES: dict[str, str] = {hook: role for role, hook in ROLE_HOOKS.items()}


@dataclass(frozen=True)
class Problem:
    """Why a connector class was refused. ``incompatible`` only for a ``requires_core`` miss."""

    kind: Literal["failed", "incompatible"]
    message: str


def check_connector(cls: object, role: str, core_version: str) -> Problem | None:
    """Check a class registered for ``role``; return the first problem, or None if it is fine."""
    hook = ROLE_HOOKS[role]
    if not isinstance(cls, type) or not issubclass(cls, Connector):
        return Problem(
            "failed", f"{hook} registered {cls!r}, which is not a kervan.Connector class"
        )
    name = cls.__qualname__
    base = ROLE_CLASS_BY_NAME[role]
    if not issubclass(cls, base):
        return Problem(
            "failed", f"{hook} registered {name}, which does not subclass kervan.{base.__name__}"
        )
    key = getattr(cls, "key", None)
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        return Problem(
            "failed", f"{name} needs a class attribute key matching {KEY_PATTERN.pattern}"
        )
    display = getattr(cls, "display_name", None)
    if not isinstance(display, str) or not display.strip():
        return Problem("failed", f"connector {key!r} ({name}) needs a display_name")
    settings = getattr(cls, "Settings", None)
    if not isinstance(settings, type) or not issubclass(settings, ConnectorSettings):
        return Problem(
            "failed", f"connector {key!r} needs Settings, a kervan.ConnectorSettings subclass"
        )
    return check_requires_core(key, getattr(cls, "requires_core", None), core_version)


def check_requires_core(key: str, requires: object, core_version: str) -> Problem | None:
    """Does the PEP 440 specifier ``requires`` admit ``core_version``?"""
    if not isinstance(requires, str):
        return Problem(
            "failed", f"connector {key!r} needs requires_core, a version specifier string"
        )
    try:
        spec = SpecifierSet(requires)
    except InvalidSpecifier:
        return Problem("failed", f"connector {key!r} has an invalid requires_core {requires!r}")
    try:
        version = Version(core_version)
    except InvalidVersion:  # pragma: no cover - our own version is always valid
        return Problem("failed", f"core version {core_version!r} is not a PEP 440 version")
    # prereleases=True: a development build of the core must satisfy ">=0.1" like a release
    if not spec.contains(version, prereleases=True):
        return Problem(
            "incompatible",
            f"connector {key!r} requires kervan{requires}, this is kervan {core_version}",
        )
    return None


@dataclass(frozen=True)
class Entry:
    cls: type[Connector]
    plugin: str


class ConnectorRegistry:
    """Connector classes by key, each remembering the plugin that registered it."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}

    def owner(self, key: str) -> str | None:
        entry = self._entries.get(key)
        return entry.plugin if entry else None

    def add(self, cls: type[Connector], plugin: str) -> None:
        self._entries[cls.key] = Entry(cls, plugin)

    def remove_plugin(self, plugin: str) -> None:
        for key in [k for k, e in self._entries.items() if e.plugin == plugin]:
            del self._entries[key]

    def get(self, key: str) -> type[Connector]:
        entry = self._entries.get(key)
        if entry is None:
            known = ", ".join(sorted(self._entries)) or "none"
            raise NotFoundError(
                f"no connector with key {key!r} is loaded (known: {known}); "
                "see `kervan plugins` for plugins that failed to load",
                detail={"key": key, "known": sorted(self._entries)},
            )
        return entry.cls

    def by_role(self, role: str | None = None) -> dict[str, type[Connector]]:
        if role is not None and role not in ROLE_CLASS_BY_NAME:
            raise NotFoundError(
                f"no role {role!r} (roles: {', '.join(ROLE_CLASS_BY_NAME)})",
                detail={"role": role},
            )
        return {
            key: entry.cls
            for key, entry in sorted(self._entries.items())
            if role is None or role in entry.cls.roles()
        }
