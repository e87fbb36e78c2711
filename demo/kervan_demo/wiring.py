"""Wire a tenant to the first-party sandboxes: the tenant, its connections, its catalog.

Shared by ``kervan demo``, the benchmarks and the end-to-end tests, so they all set up the
world the same way a seller's admin would (tenant settings, connections through the
connection service, stock through the engine).
"""

from __future__ import annotations

from typing import Any

from kervan import Runtime, Scenario
from kervan.domain import Tenant, TenantSettings

#: the connections every wired tenant gets, named after their connector
ISSUER, CARRIER, MARKETPLACE = "nilvera", "yurtici", "trendyol"


def create_tenant(
    rt: Runtime, tenant_id: str, name: str, scenario: Scenario, **settings: Any
) -> Tenant:
    """A tenant selling as ``scenario.seller``, issuing through Nilvera, shipping with Yurtiçi."""
    defaults: dict[str, Any] = {
        "default_issuer_connection": ISSUER,
        "default_classifier_connection": ISSUER,
        "default_carrier_connection": CARRIER,
        "sender_alias": scenario.seller_aliases[0],
        # a demo figure (TRY per EUR): micro exports are checked against the ETGB value
        # limit in EUR; a seller keeps the day's TCMB rate here
        "exchange_rates": {"EUR": "50.00"},
    }
    return rt.tenancy.create_tenant(
        Tenant(
            id=tenant_id,
            name=name,
            seller=scenario.seller,
            settings=TenantSettings(**{**defaults, **settings}),
        )
    )


def connect(
    rt: Runtime,
    tenant_id: str,
    key: str,
    sandbox: Any,
    base_url: str,
    *,
    in_process: bool = False,
    poll_interval_s: int = 30,
    connector: str | None = None,
) -> None:
    """A connection named ``key`` to ``sandbox``: over HTTP at ``base_url``, or in-process
    (its ASGI transport, on its simulated clock) when ``in_process``. ``connector``: the
    plugin's key when it differs from the connection's name (a second store of one
    marketplace)."""
    if in_process:
        rt.connectors.overrides[key] = {
            "transport": sandbox.transport(),
            "clock": sandbox.clock.now,
            "sleep": sandbox.clock.sleep,
        }
    else:
        # the demo jumps sandbox clocks ahead; the connection reads the remote's time (as a
        # seller's would agree with Trendyol's) so its order windows reach what moved
        rt.connectors.overrides[key] = {"clock": sandbox.clock.now}
    rt.connections.create(
        tenant_id,
        connector or key,
        key,
        sandbox.demo_settings(base_url),
        name=f"{key} (sandbox)",
        poll_interval_s=poll_interval_s,
    )


def stock_catalog(
    rt: Runtime, tenant_id: str, scenario: Scenario, on_hand: dict[str, int] | None = None
) -> None:
    """Product cards into the store, and their stock through the engine."""
    levels = scenario.stock if on_hand is None else on_hand
    for product in scenario.products:
        rt.store.tenant(tenant_id).upsert("product", product.id, product.model_dump(mode="json"))
        rt.engine.set_stock(tenant_id, product.id, levels.get(product.id, 0), product.barcodes)
