"""`kervan admin`: the first platform-admin key of a fresh store, and what it can do."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from kervan.api.app import create_app
from kervan.cli.main import app
from kervan.runtime import Runtime
from kervan.store import open_store
from kervan.tenancy import TenancyService
from typer.testing import CliRunner

runner = CliRunner()


@pytest.fixture
def store_url(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path}/kervan.db"
    monkeypatch.setenv("KERVAN_STORE_URL", url)
    return url


def _key(result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[-1]


def test_a_fresh_store_gets_a_platform_admin_key_that_can_create_a_tenant(store_url):
    key = _key(runner.invoke(app, ["admin", "create-key", "--name", "ops"]))
    rt = Runtime.create(store_url=store_url)
    try:
        with TestClient(create_app(rt)) as client:
            auth = {"Authorization": f"Bearer {key}"}
            made = client.post("/v1/tenants", json={"id": "magaza", "name": "Mağaza"}, headers=auth)
            assert made.status_code == 201, made.text
            assert client.get("/v1/tenants", headers=auth).status_code == 200
            wrong = {"Authorization": f"Bearer {key[:-2]}xx"}
            assert client.get("/v1/tenants", headers=wrong).status_code == 401
    finally:
        rt.close()


def test_keys_are_listed_without_the_secret_and_revoked(store_url):
    first = _key(runner.invoke(app, ["admin", "create-key"]))
    second = _key(runner.invoke(app, ["admin", "create-key"]))  # same user, a second key
    assert first != second
    listed = runner.invoke(app, ["admin", "list-keys"])
    assert listed.exit_code == 0
    rows = json.loads(listed.stdout)
    assert {r["user_id"] for r in rows} == {"admin-admin"} and len(rows) == 2
    assert first not in listed.stdout and second not in listed.stdout
    assert runner.invoke(app, ["admin", "revoke-key", rows[0]["id"]]).exit_code == 0
    tenancy = TenancyService(open_store(store_url))
    try:
        revoked = {k.id: k.revoked for k in tenancy.list_api_keys(tenant_id=None)}
        assert revoked == {rows[0]["id"]: True, rows[1]["id"]: False}
    finally:
        tenancy.store.close()
    assert runner.invoke(app, ["admin", "revoke-key", "nope"]).exit_code != 0


def test_a_bad_name_is_refused_and_a_tenant_user_of_that_name_is_another_user(store_url):
    bad = runner.invoke(app, ["admin", "create-key", "--name", "Büyük Patron"])
    assert bad.exit_code != 0 and "a-z" in bad.output
    from kervan.domain import Role, Tenant, User

    tenancy = TenancyService(open_store(store_url))
    try:
        tenancy.create_tenant(Tenant(id="t1", name="T"))
        tenancy.create_user(User(id="admin-ayse", tenant_id="t1", name="A", roles=[Role.OPERATOR]))
    finally:
        tenancy.store.close()
    made = runner.invoke(app, ["admin", "create-key", "--name", "ayse"])
    assert made.exit_code == 0, made.output
    tenancy = TenancyService(open_store(store_url))
    try:  # user ids are scoped: the platform admin is new, t1's operator is untouched
        platform = tenancy.get_user("admin-ayse")
        assert platform is not None and platform.roles == [Role.PLATFORM_ADMIN]
        operator = tenancy.get_user("admin-ayse", "t1")
        assert operator is not None and operator.roles == [Role.OPERATOR]
    finally:
        tenancy.store.close()
