"""Issue 17, finding 1: a stored credential cannot be redirected to another host.

The attack as found: a tenant admin PATCHes only ``base_url`` of a Trendyol connection to a host
of their own and runs ``/check``; that host receives the stored key and secret as Basic auth.
Here the attacker's host is a real HTTP server on loopback that counts what reaches it.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from kervan.api.app import create_app
from kervan.domain import Party, PartyKind, Role, Tenant, TenantSettings, User
from kervan.domain.documents import Address
from kervan.errors import InvalidInputError
from kervan.runtime import Runtime
from kervan.security.destinations import DestinationPolicy
from kervan.store import open_store
from loopback import Remote

SELLER = Party(
    kind=PartyKind.COMPANY,
    tax_id="4540536920",
    company_name="Kervan Test Ltd. Şti.",
    tax_office="Kadıköy",
    address=Address(lines=["Moda Cd. 1"], district="Kadıköy", city="İstanbul"),
)
KEY, SECRET = "ty-key-31b7d0", "ty-secret-9c44e1f2"


def _site(home: Path, mode: str) -> tuple[Runtime, TestClient, dict[str, str]]:
    rt = Runtime.create(store=open_store(f"sqlite:///{home}/k.db"), mode=mode)
    rt.tenancy.create_tenant(Tenant(id="t1", name="t1", seller=SELLER, settings=TenantSettings()))
    admin = rt.tenancy.create_user(
        User(id="u-admin", tenant_id="t1", name="admin", roles=[Role.TENANT_ADMIN, Role.OPERATOR])
    )
    key, _ = rt.tenancy.create_api_key(admin)
    client = TestClient(create_app(rt), raise_server_exceptions=False)
    return rt, client, {"Authorization": f"Bearer {key}"}


def _settings(base_url: str, **secrets: str) -> dict[str, Any]:
    return {"seller_id": "123456", "base_url": base_url, **secrets}


@pytest.fixture
def attacker() -> Iterator[Remote]:
    remote = Remote()
    yield remote
    remote.close()


@pytest.fixture
def production(tmp_path, monkeypatch) -> Iterator[tuple[Runtime, TestClient, dict[str, str]]]:
    monkeypatch.setenv("KERVAN_HOME", str(tmp_path))
    rt, client, headers = _site(tmp_path, "production")
    yield rt, client, headers
    rt.close()


def _create(client: TestClient, headers: dict[str, str], base_url: str) -> None:
    body = {
        "id": "ty",
        "connector": "trendyol",
        "settings": _settings(base_url, api_key=KEY, api_secret=SECRET),
    }
    r = client.post("/v1/connections", json=body, headers=headers)
    assert r.status_code == 201, r.text


def _locs(response: Any) -> set[str]:
    errors = response.json()["error"]["detail"]["errors"]
    return {e["loc"][-1] for e in errors}


def test_patching_only_base_url_needs_every_secret_again_and_check_never_reaches_the_new_host(
    tmp_path, monkeypatch, attacker
) -> None:
    """Development mode allows any host, loopback included: the re-entry rule alone holds."""
    monkeypatch.setenv("KERVAN_HOME", str(tmp_path))
    legit = Remote()
    rt, client, headers = _site(tmp_path, "development")
    try:
        _create(client, headers, legit.url)
        for secrets in ({}, {"api_key": "**set**", "api_secret": "**set**"}, {"api_key": KEY}):
            patch = {"settings": _settings(attacker.url, **secrets)}
            r = client.patch("/v1/connections/ty", json=patch, headers=headers)
            assert r.status_code == 422, r.text
            assert _locs(r) == {"api_key", "api_secret"} - set(
                k for k, v in secrets.items() if v != "**set**"
            )
            assert SECRET not in r.text and KEY not in r.text
        assert (
            client.get("/v1/connections/ty", headers=headers).json()["settings"]["base_url"]
            == legit.url
        )
        r = client.post("/v1/connections/ty/check", headers=headers)
        assert r.status_code == 200, r.text
        assert attacker.seen == []
        basic = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
        assert basic in legit.seen  # the check did run, against the stored host
        # with both secrets given again, the move is the admin's informed choice
        patch = {"settings": _settings(attacker.url, api_key="k2-new-key", api_secret="s2-new")}
        r = client.patch("/v1/connections/ty", json=patch, headers=headers)
        assert r.status_code == 200, r.text
        client.post("/v1/connections/ty/check", headers=headers)
        assert all(SECRET not in base64.b64decode(a.split()[-1]).decode() for a in attacker.seen)
    finally:
        rt.close()
        legit.close()


def test_other_changes_keep_the_stored_secrets(production) -> None:
    rt, client, headers = production
    _create(client, headers, "https://apigw.trendyol.com")
    patch = {"settings": {**_settings("https://apigw.trendyol.com"), "page_size": 50}}
    r = client.patch("/v1/connections/ty", json=patch, headers=headers)
    assert r.status_code == 200, r.text
    loaded = rt.connections.load_settings(rt.connections.require("t1", "ty"))
    assert loaded.api_secret.get_secret_value() == SECRET  # type: ignore[attr-defined]


def test_production_refuses_loopback_unknown_hosts_and_plain_http(production, attacker) -> None:
    _rt, client, headers = production
    _create(client, headers, "https://apigw.trendyol.com")
    refused = [
        attacker.url,  # http://127.0.0.1:port
        attacker.url.replace("http://", "https://"),
        "https://localhost/x",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]:8443",
        "https://[::ffff:127.0.0.1]/",
        "https://10.0.0.7",
        "https://evil.example.com",
        "https://apigw.trendyol.com.evil.example",
        "http://apigw.trendyol.com",
        "https://user:pw@apigw.trendyol.com",
    ]
    for url in refused:
        patch = {"settings": _settings(url, api_key=KEY, api_secret=SECRET)}
        r = client.patch("/v1/connections/ty", json=patch, headers=headers)
        assert r.status_code == 422, (url, r.text)
        assert _locs(r) == {"base_url"}, (url, r.text)
        r = client.post(
            "/v1/connections/validate",
            json={"connector": "trendyol", "settings": patch["settings"]},
            headers=headers,
        )
        assert r.status_code == 422, (url, r.text)
    r = client.post(
        "/v1/connections",
        json={
            "id": "ty2",
            "connector": "trendyol",
            "settings": _settings(attacker.url, api_key=KEY, api_secret=SECRET),
        },
        headers=headers,
    )
    assert r.status_code == 422 and _locs(r) == {"base_url"}, r.text
    assert attacker.seen == []
    # the official stage host is allowed by default
    stage = {
        "settings": _settings("https://stageapigw.trendyol.com", api_key=KEY, api_secret=SECRET)
    }
    assert client.patch("/v1/connections/ty", json=stage, headers=headers).status_code == 200


def test_a_connection_stored_before_the_policy_is_refused_when_built(tmp_path) -> None:
    rt = Runtime.create(store=open_store(f"sqlite:///{tmp_path}/k.db"), mode="development")
    try:
        rt.tenancy.create_tenant(Tenant(id="t1", name="t1", seller=SELLER))
        rt.connections.create(
            "t1", "trendyol", "ty", _settings("http://127.0.0.1:9", api_key=KEY, api_secret=SECRET)
        )
        rt.connections.destinations = DestinationPolicy(mode="production")
        with pytest.raises(InvalidInputError) as info:
            rt.connectors.get("t1", "ty")
        assert [e["loc"] for e in info.value.errors] == [["base_url"]]
    finally:
        rt.close()


# -- the policy itself -------------------------------------------------------------------------


def _resolver(table: dict[str, list[str]]) -> Any:
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"no such host {host}")
        return table[host]

    return resolve


OWN = ("apigw.trendyol.com", "*.sandbox.trendyol.example")


def test_connector_hosts_are_trusted_without_resolving() -> None:
    policy = DestinationPolicy(resolve=_resolver({}))  # any lookup would fail
    assert policy.problem("https://apigw.trendyol.com/integration", OWN) is None
    assert policy.problem("https://a.sandbox.trendyol.example", OWN) is None
    assert policy.problem("https://sandbox.trendyol.example", OWN) is not None  # not a subdomain


def test_platform_allowed_hosts_must_resolve_to_public_addresses_only() -> None:
    table = {
        "erp.example.com": ["203.0.113.9"],  # TEST-NET-3: reserved, not global
        "api.partner.example": ["93.184.215.14"],
        "mixed.partner.example": ["93.184.215.14", "10.1.2.3"],
        "erp.internal.example": ["10.20.0.5"],
    }
    policy = DestinationPolicy(
        allowed_hosts=("*.partner.example", "erp.example.com", "erp.internal.example"),
        resolve=_resolver(table),
    )
    assert policy.problem("https://api.partner.example", OWN) is None
    assert "10.1.2.3" in (policy.problem("https://mixed.partner.example", OWN) or "")
    assert "203.0.113.9" in (policy.problem("https://erp.example.com", OWN) or "")
    assert "does not resolve" in (policy.problem("https://gone.partner.example", OWN) or "")
    import ipaddress

    on_prem = DestinationPolicy(
        allowed_hosts=("erp.internal.example",),
        allowed_networks=(ipaddress.ip_network("10.20.0.0/16"),),
        resolve=_resolver(table),
    )
    assert on_prem.problem("https://erp.internal.example", OWN) is None
    assert on_prem.problem("https://10.20.3.4", OWN) is None
    assert on_prem.problem("https://10.21.3.4", OWN) is not None


@pytest.mark.parametrize("mode", ["sandbox", "development"])
def test_sandbox_and_development_modes_allow_loopback_but_never_credentials_in_the_url(
    mode,
) -> None:
    policy = DestinationPolicy(mode=mode)
    assert policy.problem("http://127.0.0.1:8123/x", OWN) is None
    assert policy.problem("http://trendyol.sandbox", OWN) is None
    assert policy.problem("http://u:p@127.0.0.1:8123", OWN) is not None
    assert policy.problem("ftp://127.0.0.1", OWN) is not None


def test_mode_and_allowlists_come_from_the_environment() -> None:
    policy = DestinationPolicy.from_env(
        {
            "KERVAN_MODE": "Production",
            "KERVAN_ALLOWED_HOSTS": "a.example.com, *.b.example.com",
            "KERVAN_ALLOWED_NETWORKS": "10.0.0.0/8,fd00::/8",
        }
    )
    assert (policy.mode, policy.allowed_hosts) == (
        "production",
        ("a.example.com", "*.b.example.com"),
    )
    assert len(policy.allowed_networks) == 2
    assert DestinationPolicy.from_env({}).mode == "production"
    with pytest.raises(ValueError, match="KERVAN_MODE"):
        DestinationPolicy.from_env({"KERVAN_MODE": "prod"})
    with pytest.raises(ValueError, match="KERVAN_ALLOWED_NETWORKS"):
        DestinationPolicy.from_env({"KERVAN_ALLOWED_NETWORKS": "10.0.0.0/33"})


def test_first_party_connectors_declare_their_destinations_and_hosts() -> None:
    from kervan_mng import MngSettings
    from kervan_nilvera.settings import NilveraSettings
    from kervan_trendyol.settings import TrendyolSettings
    from kervan_yurtici import YurticiSettings

    expected = {
        TrendyolSettings: (["base_url"], {"apigw.trendyol.com", "stageapigw.trendyol.com"}),
        NilveraSettings: (["base_url"], {"api.nilvera.com", "apitest.nilvera.com"}),
        YurticiSettings: (["endpoint"], {"ws.yurticikargo.com", "testws.yurticikargo.com"}),
        MngSettings: (["base_url"], {"api.mngkargo.com.tr", "testapi.mngkargo.com.tr"}),
    }
    for model, (fields, hosts) in expected.items():
        assert model.destination_fields() == fields
        assert set(model.allowed_hosts) == hosts
        schema = model.model_json_schema()["properties"][fields[0]]
        assert schema["x-kervan-destination"] is True
        # the default destination passes production rules with no lookup at all
        default = model.model_fields[fields[0]].default
        assert (
            DestinationPolicy(resolve=_resolver({})).problem(default, model.allowed_hosts) is None
        )
