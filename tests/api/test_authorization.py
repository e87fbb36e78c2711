"""Walk every route of the OpenAPI spec with every role, with no key, and with another
tenant's key: nobody gets what their role does not allow, and no tenant sees another's data."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from kervan import RecordKind, RecordProblem, Registration
from kervan.api.app import create_app
from kervan.domain import Order, OrderLine, Role, Tenant, TenantSettings, User
from kervan.engine import quarantine
from kervan.engine.records import INVOICE, ORDER, SHIPMENT, OrderRecord
from kervan.invoicing import invoice_from_order
from kervan.runtime import Runtime
from kervan.store import open_store
from kervan.tax import decide
from kervan_demo.scenario_data import PRODUCTS, SELLER


def order(package: str) -> Order:
    card = PRODUCTS[0]
    buyer = SELLER.model_copy(update={"company_name": "Alıcı A.Ş.", "tax_id": "1234567890"})
    assert buyer.address is not None
    return Order(
        id=f"ty:{package}",
        tenant_id="tenant-a",
        connection_id="ty",
        source="trendyol",
        order_number=f"9{package}",
        package_id=package,
        buyer=buyer,
        lines=[
            OrderLine(
                line_id="1",
                barcode=card.barcodes[0],
                name=card.name,
                quantity=1,
                unit_price=card.sale_price,
                vat_rate=card.vat_rate,
            )
        ],
        shipping_address=buyer.address,
        invoice_address=buyer.address,
        ordered_at=datetime.now(UTC),
    )


CANARY = "canary-Secret-9f8e7d"
A_ORDER = "ty:A-77001"


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    home = tmp_path_factory.mktemp("api")
    mp = pytest.MonkeyPatch()
    mp.setenv("KERVAN_HOME", str(home))
    rt = Runtime.create(store=open_store(f"sqlite:///{home}/k.db"))
    for tid in ("tenant-a", "tenant-b"):
        rt.tenancy.create_tenant(
            Tenant(
                id=tid,
                name=tid,
                seller=SELLER,
                settings=TenantSettings(default_carrier_connection="yc"),
            )
        )
    yurtici = rt.host.connector("yurtici")
    module, _, name = yurtici.sandbox.partition(":")
    sandbox = getattr(__import__(module, fromlist=[name]), name)()
    settings = sandbox.demo_settings("http://yurtici.sandbox")
    secret_field = yurtici.Settings.secret_fields()[0]
    settings[secret_field] = CANARY
    rt.connections.create("tenant-a", "yurtici", "yc", settings)
    rt.connectors.overrides["yc"] = {"transport": sandbox.transport()}
    _seed_documents(rt)
    keys: dict[str, str] = {}
    for role in Role:
        tenant = None if role is Role.PLATFORM_ADMIN else "tenant-a"
        user = rt.tenancy.create_user(
            User(id=f"u-{role.value}", tenant_id=tenant, name=role.value, roles=[role])
        )
        keys[role.value], _ = rt.tenancy.create_api_key(user)
    other = rt.tenancy.create_user(
        User(
            id="u-b-admin", tenant_id="tenant-b", name="b", roles=[Role.TENANT_ADMIN, Role.OPERATOR]
        )
    )
    keys["other-tenant"], _ = rt.tenancy.create_api_key(other)
    client = TestClient(create_app(rt), raise_server_exceptions=False)
    yield client, keys, rt
    rt.close()
    mp.undo()


def _seed_documents(rt: Runtime) -> None:
    ts = rt.store.tenant("tenant-a")
    o = order("A-77001")
    o.tenant_id = "tenant-a"
    rec = OrderRecord(order=o)
    decision = decide(
        o,
        Registration(
            tax_id=o.buyer.tax_id, registered=False, checked_at=datetime.now(UTC), source="test"
        ),
    )
    inv = invoice_from_order(
        o,
        decision,
        seller=SELLER,
        number="KRA2026000000001",
        uuid="5f0c1f4e-3b7a-4c59-9a43-1d2e3f4a5b6c",
        issued_at=datetime.now(UTC),
        sender_alias=None,
        website="https://example.com",
    )
    inv.id, inv.tenant_id, inv.order_id = f"sale:{o.id}", "tenant-a", o.id
    rec.invoice_id = inv.id
    ts.insert(ORDER, o.id, rec.to_body())
    ts.insert(INVOICE, inv.id, inv.model_dump(mode="json"))
    ts.put_blob(f"xml:{inv.uuid}", b"<Invoice/>", "application/xml")
    ts.insert(
        SHIPMENT,
        f"{o.id}:1",
        {
            "id": f"{o.id}:1",
            "tenant_id": "tenant-a",
            "order_id": o.id,
            "package_id": f"{o.id}:1",
            "connection_id": "yc",
            "carrier": "yurtici",
            "cargo_key": "KRVTESTKEY0001",
            "tracking_number": "KRVTESTKEY0001",
            "status": "booked",
            "events": [],
            "booked_at": datetime.now(UTC).isoformat(),
        },
    )
    ts.put_blob(f"label:{o.id}:pdf", b"%PDF-label", "application/pdf")
    # a package that could not be mapped, kept raw: its buyer data must not leak either
    raw = order("A-77002").model_dump(mode="json")
    del raw["lines"]
    problem = RecordProblem(kind=RecordKind.ORDER, raw=raw, reason="no lines", remote_id="A-77002")
    quarantine.keep(ts, "ty", problem, datetime.now(UTC), via="poll")


PARAMS = {
    "order_id": A_ORDER,
    "doc_id": f"sale:{A_ORDER}",
    "shipment_id": f"{A_ORDER}:1",
    "fmt": "pdf",
    "connection_id": "yc",
    "user_id": "u-operator",
    "key_id": "nope",
    "letter_id": "nope",
    "product_id": "prod-1",
    "problem_id": "ty:order:A-77002",
    "item_id": "nope",
    "key": "yc:8690000000011",  # a channel listing: {connection_id}:{barcode}
    "claim_id": "ty:nope",  # a claim: {connection_id}:{marketplace claim id}
    "list_id": "nope",  # a pick list
    "station": "st-1",  # a packing station
    "request_id": "nope",  # a part shipment of an order
}
A_MARKERS = ("KRA2026000000001", "KRVTESTKEY0001", "Alıcı A.Ş.")  # data, not ids the caller typed


def routes(client) -> list[tuple[str, str, set[str]]]:
    spec = client.app.openapi()
    out = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert "x-roles" in op, f"{method.upper()} {path} declares no roles"
            if op.get("x-auth") == "connector":
                continue  # webhooks: verified by the connector, tested in test_webhooks.py
            if op.get("x-auth") == "none":
                continue  # the health check takes no key: tests/api/test_health.py
            out.append((method, path, set(op["x-roles"])))
    return out


def call(client, method, path, key=None, tenant_header=None):
    url = re.sub(r"{(\w+)}", lambda m: PARAMS[m.group(1)], path)
    headers = {}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    if tenant_header:
        headers["X-Tenant-Id"] = tenant_header
    body = {} if method in ("post", "put", "patch") else None
    return client.request(method.upper(), url, headers=headers, json=body)


def test_every_route_declares_roles_and_refuses_callers_without_a_key(api):
    client, _, _ = api
    found = routes(client)
    assert len(found) >= 25
    for method, path, _ in found:
        r = call(client, method, path)
        assert r.status_code == 401, f"{method} {path} answered {r.status_code} without a key"


def test_platform_admin_reaches_tenant_routes_only_by_naming_the_tenant(api):
    client, keys, _ = api
    r = call(client, "get", "/v1/orders", keys["platform_admin"])
    assert r.status_code == 403 and "X-Tenant-Id" in r.text
    r = call(client, "get", "/v1/orders", keys["platform_admin"], tenant_header="tenant-a")
    assert r.status_code == 200 and A_ORDER in r.text


def test_another_tenants_key_never_sees_or_touches_tenant_a(api):
    client, keys, rt = api
    for method, path, _ in routes(client):
        r = call(client, method, path, keys["other-tenant"])
        for marker in A_MARKERS:
            assert marker not in r.text, f"{method} {path} leaked {marker} to tenant-b"
        assert CANARY not in r.text
        r = call(client, method, path, keys["other-tenant"], tenant_header="tenant-a")
        assert r.status_code == 403, f"{method} {path} let tenant-b act as tenant-a"
    assert rt.store.tenant("tenant-a").get(ORDER, A_ORDER) is not None
    assert rt.connections.get("tenant-a", "yc") is not None


# last: allowed roles really delete and revoke things
def test_each_role_gets_exactly_what_its_routes_allow(api):
    client, keys, _ = api
    safe_first = sorted(routes(client), key=lambda r: r[0] == "delete")  # deletions last
    for method, path, allowed in safe_first:
        for role in Role:
            if role is Role.PLATFORM_ADMIN:
                continue  # checked below with a tenant header
            r = call(client, method, path, keys[role.value])
            if role.value in allowed:
                assert r.status_code not in (401, 403), (
                    f"{role} refused on {method} {path}: {r.text}"
                )
            else:
                assert r.status_code == 403, f"{role} allowed on {method} {path}: {r.status_code}"
            assert CANARY not in r.text
