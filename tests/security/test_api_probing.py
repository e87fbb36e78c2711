"""Nobody learns what exists by probing (issue 17, findings 7, 8 and 9).

- The webhook route answers every unverified caller the same, byte for byte, whether the
  tenant and connection exist or not, and whatever kind of connection it is.
- User ids are scoped per tenant: a tenant admin creating or addressing a user never learns
  whether that id exists in another tenant or among the platform admins; users stored under a
  bare id before the scoping still work.
- A platform admin's ``X-Tenant-Id`` naming no tenant is 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from kervan.api.app import create_app
from kervan.api.gate import Limits
from kervan.domain import Role, Tenant, User
from kervan.runtime import Runtime
from kervan.store import open_store
from kervan.tenancy import USER

HOOK_KEY = "hook-Secret-4411"


@dataclass
class Site:
    client: TestClient
    rt: Runtime
    keys: dict[str, str]

    def as_(self, who: str, **headers: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}", **headers}


def _sandbox_settings(rt: Runtime, connector: str, base_url: str) -> dict[str, Any]:
    module, _, name = rt.host.connector(connector).sandbox.partition(":")
    sandbox = getattr(__import__(module, fromlist=[name]), name)()
    settings: dict[str, Any] = sandbox.demo_settings(base_url)
    return settings


@pytest.fixture
def site(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    monkeypatch.setenv("KERVAN_HOME", str(tmp_path))
    rt = Runtime.create(store=open_store(f"sqlite:///{tmp_path}/k.db"))
    for tid in ("tenant-a", "tenant-b"):
        rt.tenancy.create_tenant(Tenant(id=tid, name=tid))
    keys = {}
    for uid, tid, role in (
        ("root", None, Role.PLATFORM_ADMIN),
        ("admin-a", "tenant-a", Role.TENANT_ADMIN),
        ("admin-b", "tenant-b", Role.TENANT_ADMIN),
    ):
        user = rt.tenancy.create_user(User(id=uid, tenant_id=tid, name=uid, roles=[role]))
        keys[uid], _ = rt.tenancy.create_api_key(user)
    # tenant-a: a Trendyol connection taking webhooks with an API key, one not configured for
    # them, and a carrier (no webhooks at all)
    trendyol = _sandbox_settings(rt, "trendyol", "https://stageapigw.trendyol.com")
    rt.connections.create(
        "tenant-a",
        "trendyol",
        "ty",
        {**trendyol, "webhook_auth": "API_KEY", "webhook_api_key": HOOK_KEY},
    )
    rt.connections.create("tenant-a", "trendyol", "ty-plain", trendyol)
    yurtici = _sandbox_settings(rt, "yurtici", "https://testws.yurticikargo.com")
    rt.connections.create("tenant-a", "yurtici", "yc", yurtici)
    client = TestClient(create_app(rt, Limits(throttled_wait_ms=0)), raise_server_exceptions=False)
    yield Site(client, rt, keys)
    rt.close()


# -- webhooks ----------------------------------------------------------------------------------


def test_webhooks_answer_every_unverified_caller_the_same(site: Site) -> None:
    body = b'{"shipmentPackageId": 1}'
    answers = {}
    for tenant, connection in [
        ("tenant-a", "ty"),  # exists, takes webhooks: wrong key
        ("tenant-a", "ty-plain"),  # exists, no webhook credentials configured
        ("tenant-a", "yc"),  # exists, a carrier: not an order source (was 422 naming it)
        ("tenant-a", "nope"),  # no such connection (was 403)
        ("tenant-b", "ty"),  # the id exists, in another tenant
        ("no-such-tenant", "ty"),
        ("Bad..Tenant", "x"),  # not even a valid tenant id
    ]:
        r = site.client.post(
            f"/v1/webhooks/{tenant}/{connection}",
            content=body,
            headers={"Content-Type": "application/json", "x-api-key": "wrong"},
        )
        answers[(tenant, connection)] = (
            r.status_code,
            r.content,
            r.headers.get("content-type"),
            r.headers.get("www-authenticate"),
        )
    distinct = set(answers.values())
    assert len(distinct) == 1, answers
    status, content, _, _ = distinct.pop()
    assert status == 403
    assert b"ty" not in content and b"yc" not in content and b"tenant" not in content


def test_a_verified_webhook_is_still_received(site: Site) -> None:
    r = site.client.post(
        "/v1/webhooks/tenant-a/ty",
        content=b"{not json",
        headers={"Content-Type": "application/json", "x-api-key": HOOK_KEY},
    )
    # verified and stored; a body that cannot be read is kept for the reconciler
    assert r.status_code == 202, r.text
    assert r.json()["processed"] is False


# -- user ids ----------------------------------------------------------------------------------


def _create_user(site: Site, who: str, uid: str, **headers: str) -> Any:
    return site.client.post(
        "/v1/users",
        json={"id": uid, "name": uid, "roles": ["operator"]},
        headers=site.as_(who, **headers),
    )


def test_a_tenant_admin_cannot_probe_other_tenants_user_ids(site: Site) -> None:
    assert _create_user(site, "admin-a", "ali").status_code == 201
    # the same id in tenant B, and the ids of B's admin and of the platform admin: all free
    for uid in ("ali", "admin-b", "root"):
        r = _create_user(site, "admin-b" if uid != "admin-b" else "admin-a", uid)
        assert r.status_code == 201, (uid, r.text)
    # within its own tenant an id is still unique
    again = _create_user(site, "admin-a", "ali")
    assert again.status_code == 409 and again.json()["error"]["message"] == (
        "user ali already exists"
    )
    # B's "ali" is B's: keys go to the user of the caller's tenant
    key = site.client.post("/v1/users/ali/keys", json={}, headers=site.as_("admin-b"))
    assert key.status_code == 201, key.text
    principal = site.rt.tenancy.authenticate(key.json()["key"])
    assert (principal.user_id, principal.tenant_id) == ("ali", "tenant-b")
    # the platform admin "root" (created in B above too) is not found from A, like nobody
    for uid in ("root", "nobody"):
        r = site.client.post(f"/v1/users/{uid}/keys", json={}, headers=site.as_("admin-a"))
        assert r.status_code == 404, (uid, r.text)
        assert r.json()["error"]["message"] == f"user {uid!r} not found"
    listed = site.client.get("/v1/users", headers=site.as_("admin-a")).json()
    assert sorted((u["id"], u["tenant_id"]) for u in listed) == [
        ("admin-a", "tenant-a"),
        ("admin-b", "tenant-a"),
        ("ali", "tenant-a"),
    ]


def test_the_platform_admins_are_a_namespace_of_their_own(site: Site) -> None:
    r = site.client.post(
        "/v1/users",
        json={"id": "ali", "name": "Ali", "roles": ["platform_admin"]},
        headers=site.as_("root"),
    )
    assert r.status_code == 201, r.text
    assert _create_user(site, "admin-a", "ali").status_code == 201
    assert site.rt.tenancy.get_user("ali").roles == [Role.PLATFORM_ADMIN]  # type: ignore[union-attr]
    assert site.rt.tenancy.get_user("ali", "tenant-a").roles == [Role.OPERATOR]  # type: ignore[union-attr]
    # a platform admin reaches a tenant's user by naming the tenant, its peers by naming none
    for headers, tenant in (({"X-Tenant-Id": "tenant-a"}, "tenant-a"), ({}, None)):
        key = site.client.post("/v1/users/ali/keys", json={}, headers=site.as_("root", **headers))
        assert key.status_code == 201, key.text
        assert site.rt.tenancy.authenticate(key.json()["key"]).tenant_id == tenant


def test_users_stored_under_a_bare_id_keep_working(site: Site) -> None:
    """Before ids were scoped a user was stored under its bare id; such users and their keys
    go on working, and their id stays taken in their own tenant only."""
    legacy = User(id="veli", tenant_id="tenant-a", name="Veli", roles=[Role.OPERATOR])
    site.rt.store.platform().insert(USER, "veli", legacy.model_dump(mode="json"))
    key, _ = site.rt.tenancy.create_api_key("veli", tenant_id="tenant-a")
    r = site.client.get("/v1/tenant", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200 and r.json()["id"] == "tenant-a"
    assert _create_user(site, "admin-a", "veli").status_code == 409
    assert _create_user(site, "admin-b", "veli").status_code == 201
    # deactivating the old user works where it is stored
    site.rt.tenancy.update_user(legacy.model_copy(update={"active": False}))
    assert site.rt.store.platform().get(USER, "veli").body["active"] is False  # type: ignore[union-attr]
    r = site.client.get("/v1/tenant", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 401


# -- X-Tenant-Id -------------------------------------------------------------------------------


def test_a_platform_admin_naming_an_unknown_tenant_gets_404(site: Site) -> None:
    r = site.client.get("/v1/tenant", headers=site.as_("root", **{"X-Tenant-Id": "nope"}))
    assert r.status_code == 404, r.text
    assert r.json() == {"error": {"code": "not_found", "message": "X-Tenant-Id names no tenant"}}
    ok = site.client.get("/v1/tenant", headers=site.as_("root", **{"X-Tenant-Id": "tenant-b"}))
    assert ok.status_code == 200 and ok.json()["id"] == "tenant-b"
    # a tenant's key naming another tenant, existing or not, is refused alike
    for other in ("tenant-b", "nope"):
        r = site.client.get("/v1/tenant", headers=site.as_("admin-a", **{"X-Tenant-Id": other}))
        assert r.status_code == 403, r.text
