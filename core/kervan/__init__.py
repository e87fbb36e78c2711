"""Kervan: order-to-cash integration hub for e-commerce sellers in Turkey.

This module is the public surface plugins may import. Anything not exported here is internal.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from . import domain, errors, invoicing, roles, scenario, tax
from .plugins.hookspecs import hookimpl
from .roles import (
    Alias,
    Booking,
    Carrier,
    CheckResult,
    Connector,
    ConnectorContext,
    DocumentIssuer,
    ErpSink,
    OrderSource,
    Registration,
    RemoteRef,
    Storefront,
    Submission,
    TaxClassifier,
    desi_of,
)
from .scenario import Scenario
from .settings import ConnectorSettings

try:
    __version__ = version("kervan")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = [
    "Alias",
    "Booking",
    "Carrier",
    "CheckResult",
    "Connector",
    "ConnectorContext",
    "ConnectorSettings",
    "DocumentIssuer",
    "ErpSink",
    "OrderSource",
    "Registration",
    "RemoteRef",
    "Scenario",
    "Storefront",
    "Submission",
    "TaxClassifier",
    "__version__",
    "desi_of",
    "domain",
    "errors",
    "hookimpl",
    "invoicing",
    "roles",
    "scenario",
    "tax",
]
