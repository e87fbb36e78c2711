"""What loading plugins found: one :class:`PluginReport` per plugin, and the strict-mode error.

The report is the user-facing record of plugin loading. ``kervan plugins`` prints it and the
admin API serves it, so a plugin that failed to import or does not fit this core is never
silently skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import KervanError

PluginStatus = Literal["loaded", "incompatible", "failed"]

#: longest reason kept in a report; import errors can be long and the table must stay readable
MAX_REASON = 500


class PluginReport(BaseModel):
    """How one plugin (one entry point of group ``kervan.plugins``) loaded.

    ``status`` is ``loaded`` (its connectors and hooks are in use), ``incompatible`` (a
    connector's ``requires_core`` does not admit this core) or ``failed`` (import error, a hook
    that does not match its spec, an invalid or duplicate connector, a hook that raised).
    ``error`` says why when the status is not ``loaded``.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="the entry point name (or the name given to register())")
    distribution: str | None = Field(default=None, description="the installed distribution")
    version: str | None = Field(default=None, description="the distribution's version")
    roles: list[str] = Field(default_factory=list)
    connectors: list[str] = Field(default_factory=list, description="connector keys")
    requires_core: str | None = Field(
        default=None, description="the connectors' requires_core specifiers"
    )
    status: PluginStatus = "loaded"
    error: str | None = None

    @property
    def loaded(self) -> bool:
        return self.status == "loaded"

    def culprit(self) -> str:
        """``name (distribution): status: error`` — one line naming the plugin and the reason."""
        dist = f" ({self.distribution})" if self.distribution else ""
        return f"{self.name}{dist}: {self.status}: {self.error}"


class SkippedPlugin(BaseModel):
    """An installed plugin that was not loaded on purpose (``KERVAN_LOAD_PLUGINS`` /
    ``KERVAN_DISABLED_PLUGINS``). Kept apart from the report, whose statuses stay
    ``loaded | incompatible | failed``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    distribution: str | None = None
    reason: str


class PluginLoadError(KervanError):
    """Raised in strict mode (``KERVAN_STRICT_PLUGINS=1``) when any plugin did not load.

    The message names every culprit; ``reports`` holds their reports and ``host`` the host
    (with the full report) when the error comes from loading.
    """

    code = "plugin_load"

    def __init__(
        self, reports: Sequence[PluginReport], notes: Sequence[str] = (), *, host: Any = None
    ) -> None:
        lines = [r.culprit() for r in reports] + list(notes)
        super().__init__(
            "plugins did not load (strict mode): " + "; ".join(lines),
            detail={"plugins": [r.model_dump(mode="json") for r in reports], "notes": list(notes)},
        )
        self.reports = list(reports)
        self.notes = list(notes)
        #: the PluginHost that raised, so a caller can still show its full report
        self.host = host


def short_reason(text: str) -> str:
    """One line, at most :data:`MAX_REASON` characters: reasons go into tables and JSON."""
    line = " ".join(text.split())
    return line if len(line) <= MAX_REASON else line[: MAX_REASON - 1] + "…"


def describe_exception(exc: BaseException) -> str:
    """``TypeName: message`` on one line."""
    message = str(exc)
    return short_reason(f"{type(exc).__name__}: {message}" if message else type(exc).__name__)
