"""What the contract suite drives a connector with: a fresh sandbox and a context per test."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from kervan import Connector, ConnectorContext
from kervan.domain import DespatchAdvice, Invoice, Package
from kervan.errors import KervanError
from pydantic import SecretStr

from ..sandbox import Fault, Sandbox

TENANT_ID = "kit-tenant"
CONNECTION_ID = "kit-conn"

DocumentFactory = Callable[[], "Invoice | DespatchAdvice | tuple[Invoice | DespatchAdvice, bytes]"]


def context_for(sandbox: Sandbox, **kw: Any) -> ConnectorContext:
    """A ``ConnectorContext`` wired to ``sandbox``: its transport, and its clock for time."""
    return ConnectorContext(
        tenant_id=kw.pop("tenant_id", TENANT_ID),
        connection_id=kw.pop("connection_id", CONNECTION_ID),
        transport=sandbox.transport(),
        clock=sandbox.clock.now,
        sleep=sandbox.clock.sleep,
        **kw,
    )


def load_sandbox_class(connector_class: type[Connector]) -> type[Sandbox]:
    """The ``Sandbox`` subclass named by ``connector_class.sandbox`` (``"module:Class"``)."""
    path = connector_class.sandbox
    if not path or ":" not in path:
        raise TypeError(
            f"{connector_class.__name__}.sandbox must name its Sandbox class as 'module:Class' "
            "(or pass sandbox_factory= to connector_suite)"
        )
    module_name, _, attr = path.partition(":")
    found = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(found, type) and issubclass(found, Sandbox)):
        raise TypeError(f"{path} is not a kervan_sdk.sandbox.Sandbox subclass")
    return found


@dataclass(frozen=True)
class SuiteConfig:
    """Everything :func:`connector_suite` was given, with defaults filled in."""

    connector_class: type[Connector]
    settings: Mapping[str, Any]
    bad_settings: Mapping[str, Any]
    sandbox_factory: Callable[[], Sandbox]
    document_factory: DocumentFactory | None = None
    package_factory: Callable[[], Package] | None = None
    order_count: int = 45
    listing_count: int = 45
    extra: dict[str, Any] = field(default_factory=dict)


def wrong_credentials(
    connector_class: type[Connector], settings: Mapping[str, Any]
) -> dict[str, Any]:
    """``settings`` with every secret replaced by a plausible but wrong value."""
    secret_fields = connector_class.Settings.secret_fields()
    if not secret_fields:
        raise TypeError(
            f"{connector_class.__name__}.Settings has no SecretStr field; pass bad_settings="
        )
    bad = dict(settings)
    for name in secret_fields:
        value = bad.get(name)
        raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value or "")
        bad[name] = "wrong-" + raw[::-1] if raw else "wrong-credential"
    return bad


class Harness:
    """One test's world: a fresh sandbox, a context on its clock, connectors to build."""

    def __init__(self, config: SuiteConfig) -> None:
        self.config = config
        self.sandbox = config.sandbox_factory()
        self.clock = self.sandbox.clock
        self.context = context_for(self.sandbox)

    @property
    def key(self) -> str:
        return self.config.connector_class.key

    def secrets(self) -> list[str]:
        """Every secret value of the good and bad settings (what must never leak)."""
        values = []
        for raw in (self.config.settings, self.config.bad_settings):
            parsed = self.config.connector_class.Settings.parse(dict(raw))
            values += [v for v in parsed.secret_values().values() if v]
        return values

    def build(self, settings: Mapping[str, Any] | None = None) -> Connector:
        raw = dict(self.config.settings if settings is None else settings)
        parsed = self.config.connector_class.Settings.parse(raw)
        return self.config.connector_class(parsed, self.context)

    @asynccontextmanager
    async def connected(self, settings: Mapping[str, Any] | None = None) -> AsyncIterator[Any]:
        """A connector on this harness's sandbox, closed afterwards."""
        connector = self.build(settings)
        try:
            yield connector
        finally:
            await connector.aclose()

    def assert_no_secret_in(self, text: str, where: str) -> None:
        for secret in self.secrets():
            assert secret not in text, f"a secret value appears in {where}"


def describe(error: BaseException) -> str:
    """Every text an error exposes: str, repr, and the taxonomy dict for Kervan errors."""
    parts = [str(error), repr(error)]
    if isinstance(error, KervanError):
        parts.append(repr(error.to_dict()))
    return "\n".join(parts)


def add_transient_read_faults(kit: Harness) -> None:
    """Two 429s with ``Retry-After``, a 503 and a 502 on the sandbox's reads: what a remote
    does on a bad day, and what a connector must read through without losing a record."""
    kit.sandbox.faults.add(Fault("rate_limit", method="GET", retry_after=2, times=2))
    kit.sandbox.faults.add(Fault("status", method="GET", status=503))
    kit.sandbox.faults.add(Fault("status", method="GET", status=502))
