"""pluggy hook specifications: one registration hook per role, plus a few extension hooks.

A plugin implements them with ``@kervan.hookimpl``; registration hooks receive a ``register``
callable and hand it connector classes::

    @hookimpl
    def register_order_sources(register):
        register(Trendyol)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

PROJECT = "kervan"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

Register = Callable[[type], None]


@hookspec
def register_order_sources(register: Register) -> None:
    """Register marketplace connector classes (subclasses of ``kervan.OrderSource``)."""


@hookspec
def register_tax_classifiers(register: Register) -> None:
    """Register e-Fatura registration lookup connectors (``kervan.TaxClassifier``)."""


@hookspec
def register_document_issuers(register: Register) -> None:
    """Register e-invoice integrator connectors (``kervan.DocumentIssuer``)."""


@hookspec
def register_carriers(register: Register) -> None:
    """Register carrier connectors (``kervan.Carrier``)."""


@hookspec
def register_erp_sinks(register: Register) -> None:
    """Register ERP connectors (``kervan.ErpSink``)."""


@hookspec
def register_storefronts(register: Register) -> None:
    """Register storefront connectors (``kervan.Storefront``)."""


@hookspec
def register_routes(router: Any) -> None:
    """Add routes to the API (a FastAPI ``APIRouter`` mounted under ``/v1/ext``)."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add commands to the ``kervan`` CLI (a typer ``Typer``)."""


@hookspec
def startup(app: Any) -> None:
    """Called once when a Kervan process (API or worker) has started."""


ROLE_HOOKS: dict[str, str] = {
    "order_source": "register_order_sources",
    "tax_classifier": "register_tax_classifiers",
    "document_issuer": "register_document_issuers",
    "carrier": "register_carriers",
    "erp_sink": "register_erp_sinks",
    "storefront": "register_storefronts",
}
