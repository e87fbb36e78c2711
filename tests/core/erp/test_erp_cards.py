"""ERP pulls into product cards: the connection's "update product names" toggle wins over the
tenant's, and a pull that brings no price leaves the stored ERP price alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from kervan import ConnectorContext, ConnectorSettings, ErpSink
from kervan.catalog import Catalog
from kervan.catalog.cards import names_toggle
from kervan.domain import ProductCard, Tenant, TenantSettings
from kervan.engine import Engine
from kervan.store import open_store

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Erp(ErpSink):
    key = "erp"
    display_name = "ERP"

    def __init__(self, cards: list[ProductCard], update_names: bool | None = None) -> None:
        super().__init__(ConnectorSettings(), ConnectorContext(tenant_id="t1", connection_id="erp"))
        if update_names is not None:  # a connector whose settings carry the toggle
            self.settings = SimpleNamespace(update_product_names=update_names)  # type: ignore[assignment]
        self.cards = cards

    async def _cards(self) -> AsyncIterator[ProductCard]:
        for card in self.cards:
            yield card

    def pull_products(self) -> AsyncIterator[ProductCard]:
        return self._cards()


class Tenants:
    def __init__(self) -> None:
        self.tenant = Tenant(id="t1", name="Seller", settings=TenantSettings())

    def get(self, tenant_id: str) -> Tenant:
        return self.tenant


class World:
    def __init__(self, store: Any) -> None:
        self.conns: dict[str, Any] = {}
        self.tenants = Tenants()
        self.tenant = self.tenants.tenant
        self.catalog = Catalog(
            Engine(store=store, connectors=self, tenants=self.tenants, clock=lambda: T0)
        )

    def get(self, tenant_id: str, connection_id: str) -> Any:
        return self.conns[connection_id]


@pytest.fixture
def world(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/k.db")
    yield World(store)
    store.close()


def card(name: str, price: str | None) -> ProductCard:
    return ProductCard(
        id="",
        tenant_id="t1",
        sku="NB-1",
        name=name,
        barcodes=["8690001"],
        erp_price=Decimal(price) if price is not None else None,
    )


def stored(world: World) -> dict[str, Any]:
    pid = world.catalog.by_stock_code("t1", "NB-1")[0].key
    return world.catalog.card("t1", pid)["card"]


@pytest.mark.parametrize(
    ("connection", "tenant", "renamed"),
    [(True, False, True), (False, True, False), (None, True, True), (None, False, False)],
)
async def test_the_connections_name_toggle_wins_over_the_tenants(
    world: World, connection: bool | None, tenant: bool, renamed: bool
) -> None:
    world.tenant.settings.erp_updates_names = tenant
    world.conns["erp"] = Erp([card("Havlu", "10.00")], connection)
    await world.catalog.pull_erp("t1", "erp")
    world.conns["erp"] = Erp([card("Havlu Seti", "10.00")], connection)
    await world.catalog.pull_erp("t1", "erp")
    assert stored(world)["name"] == ("Havlu Seti" if renamed else "Havlu")


async def test_a_pull_without_a_price_keeps_the_stored_erp_price(world: World) -> None:
    world.conns["erp"] = Erp([card("Havlu", "120.00")])
    await world.catalog.pull_erp("t1", "erp")
    world.conns["erp"] = Erp([card("Havlu", None)])  # the ERP's "price updates off"
    assert await world.catalog.pull_erp("t1", "erp") == {"updated": 1}
    assert Decimal(stored(world)["erp_price"]) == Decimal("120.00")
    world.conns["erp"] = Erp([card("Havlu", "130.50")])
    await world.catalog.pull_erp("t1", "erp")
    assert Decimal(stored(world)["erp_price"]) == Decimal("130.50")


def test_names_toggle_ignores_settings_without_the_field() -> None:
    assert names_toggle(object(), True) is True
    assert names_toggle(SimpleNamespace(settings=SimpleNamespace()), False) is False
    holder = SimpleNamespace(settings=SimpleNamespace(update_product_names=False))
    assert names_toggle(holder, True) is False


async def test_a_new_erp_price_queues_a_push_and_the_same_price_does_not(world: World) -> None:
    world.conns["erp"] = Erp([card("Havlu", "120.00")])
    await world.catalog.pull_erp("t1", "erp")
    assert world.catalog.due("t1") == 0
    await world.catalog.pull_erp("t1", "erp")
    assert world.catalog.due("t1") == 0, "an unchanged price sends nothing"
    world.conns["erp"] = Erp([card("Havlu", "130.50")])
    await world.catalog.pull_erp("t1", "erp")
    assert world.catalog.due("t1") == 1
