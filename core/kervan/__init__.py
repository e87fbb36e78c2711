"""Kervan: order-to-cash integration hub for e-commerce sellers in Turkey.

This module is the public surface plugins may import. Anything not exported here is internal.

Most plugins need only the role contracts and the domain. A plugin that runs Kervan itself
from a command of its own (``kervan demo`` is one) also has ``Runtime`` (one process's wiring),
``create_app`` (the REST API around a Runtime), ``kervan_home``, ``reports``, ``floor``
(``floor.demo_round``: a picking round and a packing session) and ``claims`` (the returns
desk: ``claims.Returns``, reached as ``Runtime.returns``); those are
imported on first use, so ``import kervan`` stays light. So is ``xml``: the one hardened parser
every XML input from outside goes through (``kervan.xml.parse_untrusted``).
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from . import (
    despatch,
    domain,
    errors,
    invoicing,
    problems,
    redaction,
    roles,
    scenario,
    tax,
    vouchers,
)
from .plugins.hookspecs import hookimpl
from .problems import RecordKind, RecordProblem
from .roles import (
    Alias,
    Booking,
    Carrier,
    CarrierLegal,
    CheckResult,
    ClaimFile,
    Connector,
    ConnectorContext,
    DocumentIssuer,
    ErpSink,
    IncomingReturn,
    OrderSource,
    Registration,
    RemoteRef,
    ReturnBooking,
    ReturnRequest,
    Settlement,
    Storefront,
    Submission,
    TaxClassifier,
    desi_of,
)
from .scenario import Scenario
from .settings import DESTINATION, ConnectorSettings

if TYPE_CHECKING:
    from . import claims, floor, reports, xml
    from .api.app import create_app
    from .runtime import Runtime
    from .store.opening import kervan_home

#: exported name → (module, attribute or None for the module itself), imported on first use
_LAZY: dict[str, tuple[str, str | None]] = {
    "Runtime": ("kervan.runtime", "Runtime"),
    "create_app": ("kervan.api.app", "create_app"),
    "kervan_home": ("kervan.store.opening", "kervan_home"),
    "reports": ("kervan.reports", None),
    "floor": ("kervan.floor", None),
    "claims": ("kervan.claims", None),
    "xml": ("kervan.xml", None),
}

try:
    __version__ = version("kervan")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = [
    "DESTINATION",
    "Alias",
    "Booking",
    "Carrier",
    "CarrierLegal",
    "CheckResult",
    "ClaimFile",
    "Connector",
    "ConnectorContext",
    "ConnectorSettings",
    "DocumentIssuer",
    "ErpSink",
    "IncomingReturn",
    "OrderSource",
    "RecordKind",
    "RecordProblem",
    "Registration",
    "RemoteRef",
    "ReturnBooking",
    "ReturnRequest",
    "Runtime",
    "Scenario",
    "Settlement",
    "Storefront",
    "Submission",
    "TaxClassifier",
    "__version__",
    "claims",
    "create_app",
    "desi_of",
    "despatch",
    "domain",
    "errors",
    "floor",
    "hookimpl",
    "invoicing",
    "kervan_home",
    "problems",
    "redaction",
    "reports",
    "roles",
    "scenario",
    "tax",
    "vouchers",
    "xml",
]


def __getattr__(name: str) -> Any:
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(target[0])
    value = module if target[1] is None else getattr(module, target[1])
    globals()[name] = value
    return value
