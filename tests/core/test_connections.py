"""Connections: validated settings, encrypted secrets, versions, cached builds, health."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from kervan.connections import SECRET, ConnectionService
from kervan.errors import InvalidInputError, NotFoundError
from kervan.roles import ConnectorContext, OrderSource
from kervan.security.cipher import SecretCipher, new_key
from kervan.settings import ConnectorSettings
from kervan.store.sqlite import SqliteStore
from pydantic import SecretStr


class ShopSettings(ConnectorSettings):
    supplier_id: int
    api_key: str
    api_secret: SecretStr
    webhook_secret: SecretStr | None = None


class Shop(OrderSource):
    key = "shop"
    display_name = "Shop"
    Settings: ClassVar[type[ConnectorSettings]] = ShopSettings
    settings_version = 2

    @classmethod
    def migrate_settings(cls, old: dict[str, Any], from_version: int) -> dict[str, Any]:
        # version 1 called it seller_id, as a string
        new = dict(old)
        if from_version < 2 and "seller_id" in new:
            new["supplier_id"] = int(new.pop("seller_id"))
        return new


class OldShopSettings(ConnectorSettings):
    seller_id: str
    api_key: str
    api_secret: SecretStr


class OldShop(OrderSource):
    key = "shop"
    display_name = "Shop (v1)"
    Settings: ClassVar[type[ConnectorSettings]] = OldShopSettings
    settings_version = 1


CONNECTORS: dict[str, type] = {"shop": Shop}
GOOD = {"supplier_id": 42, "api_key": "public-key", "api_secret": "s3cret-value"}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(str(tmp_path / "kervan.db"))
    yield s
    s.close()


@pytest.fixture
def key() -> bytes:
    return new_key()


@pytest.fixture
def svc(store: SqliteStore, key: bytes) -> ConnectionService:
    return ConnectionService(store, CONNECTORS.__getitem__, SecretCipher([key]))


def ctx(connection) -> ConnectorContext:
    return ConnectorContext(tenant_id=connection.tenant_id, connection_id=connection.id)


def test_create_keeps_secrets_out_of_the_connection_document(svc, store) -> None:
    c = svc.create("acme", "shop", "shop-1", GOOD, name="Main store")
    assert c.settings == {"supplier_id": 42, "api_key": "public-key"}
    assert c.secret_fields == ["api_secret"]
    assert (c.revision, c.settings_version) == (1, 2)
    raw = store.tenant("acme").get("connection", "shop-1")
    assert raw is not None and "s3cret-value" not in str(raw.body)
    sealed = store.tenant("acme").get(SECRET, "shop-1")
    assert sealed is not None and sealed.body["token"].startswith("v1:")
    loaded = svc.load_settings(c)
    assert loaded.api_secret.get_secret_value() == "s3cret-value"  # type: ignore[attr-defined]


def test_several_connections_per_connector_and_per_tenant(svc) -> None:
    svc.create("acme", "shop", "shop-1", GOOD)
    svc.create("acme", "shop", "shop-2", {**GOOD, "api_secret": "other"})
    svc.create("beta", "shop", "shop-1", GOOD)
    assert [c.id for c in svc.list("acme")] == ["shop-1", "shop-2"]
    assert [c.id for c in svc.list("acme", connector="shop")] == ["shop-1", "shop-2"]
    assert [c.id for c in svc.list("beta")] == ["shop-1"]
    two = svc.require("acme", "shop-2")
    assert svc.load_settings(two).api_secret.get_secret_value() == "other"  # type: ignore[attr-defined]


def test_invalid_settings_name_fields_and_store_nothing(svc) -> None:
    with pytest.raises(InvalidInputError) as info:
        svc.create("acme", "shop", "shop-1", {"supplier_id": "x", "api_key": "k", "typo": 1})
    locs = sorted(tuple(e["loc"]) for e in info.value.errors)
    assert locs == [("api_secret",), ("supplier_id",), ("typo",)]
    assert svc.get("acme", "shop-1") is None
    with pytest.raises(InvalidInputError, match="unknown connector"):
        svc.create("acme", "nope", "x-1", {})


def test_update_keeps_omitted_secrets_and_bumps_revision(svc) -> None:
    svc.create("acme", "shop", "shop-1", {**GOOD, "webhook_secret": "hook"})
    c = svc.update("acme", "shop-1", {"supplier_id": 7, "api_key": "k2", "api_secret": "**set**"})
    assert c.revision == 2 and c.settings["supplier_id"] == 7
    s = svc.load_settings(c)
    assert s.api_secret.get_secret_value() == "s3cret-value"  # type: ignore[attr-defined]
    assert s.webhook_secret.get_secret_value() == "hook"  # type: ignore[attr-defined]
    c = svc.update("acme", "shop-1", {"supplier_id": 7, "api_key": "k2", "api_secret": "new"})
    assert svc.load_settings(c).api_secret.get_secret_value() == "new"  # type: ignore[attr-defined]
    c = svc.update("acme", "shop-1", enabled=False, name="Paused")
    assert (c.enabled, c.name, c.revision) == (False, "Paused", 3)
    with pytest.raises(InvalidInputError):
        svc.update("acme", "shop-1", {"supplier_id": "bad", "api_key": "k"})
    assert svc.require("acme", "shop-1").settings["supplier_id"] == 7


def test_old_settings_version_is_migrated_on_load_and_on_update(store, key) -> None:
    old = ConnectionService(store, {"shop": OldShop}.__getitem__, SecretCipher([key]))
    old.create("acme", "shop", "shop-1", {"seller_id": "99", "api_key": "k", "api_secret": "s"})
    svc = ConnectionService(store, CONNECTORS.__getitem__, SecretCipher([key]))
    c = svc.require("acme", "shop-1")
    assert c.settings_version == 1
    s = svc.load_settings(c)
    assert s.supplier_id == 99  # type: ignore[attr-defined]
    assert s.api_secret.get_secret_value() == "s"  # type: ignore[attr-defined]
    c = svc.update("acme", "shop-1", {"supplier_id": 100, "api_key": "k"})
    assert c.settings_version == 2
    assert svc.load_settings(c).api_secret.get_secret_value() == "s"  # type: ignore[attr-defined]


def test_build_caches_by_revision(svc) -> None:
    svc.create("acme", "shop", "shop-1", GOOD)
    a = svc.build("acme", "shop-1", ctx)
    assert svc.build("acme", "shop-1", ctx) is a
    svc.record_failure("acme", "shop-1", "timeout")  # health does not change the revision
    assert svc.build("acme", "shop-1", ctx) is a
    svc.update("acme", "shop-1", {**GOOD, "supplier_id": 5})
    b = svc.build("acme", "shop-1", ctx)
    assert b is not a and b.settings.supplier_id == 5  # type: ignore[attr-defined]
    assert b.context.connection_id == "shop-1"
    svc.delete("acme", "shop-1")
    assert svc.get("acme", "shop-1") is None
    with pytest.raises(NotFoundError):
        svc.build("acme", "shop-1", ctx)


def test_health_streak_alert_and_reset(svc) -> None:
    svc.create("acme", "shop", "shop-1", GOOD)
    for _ in range(3):
        c = svc.record_failure("acme", "shop-1", "HTTP 503", alert_after=3)
    assert c.health.consecutive_failures == 3
    assert c.health.alert is not None and "3 failures" in c.health.alert
    c = svc.record_success("acme", "shop-1")
    assert (c.health.consecutive_failures, c.health.alert) == (0, None)
    assert c.health.last_error == "HTTP 503" and c.health.last_success_at is not None


def test_health_updates_do_not_lose_each_other_under_threads(svc) -> None:
    import threading

    svc.create("acme", "shop", "shop-1", GOOD)
    threads = [
        threading.Thread(
            target=lambda: [svc.record_failure("acme", "shop-1", "x") for _ in range(10)]
        )
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert svc.require("acme", "shop-1").health.consecutive_failures == 40
