"""schemathesis over the whole API, in process: the OpenAPI document tells the truth.

The app is built around a fresh SQLite store with two tenants, a user (and a real API key) for
every role, and an order, its invoice and its shipment, and schemathesis loads the document the
app serves (the same one tests/test_openapi_doc.py keeps in docs/openapi.json). Every operation
is then called through the ASGI transport (no server, no socket) with a bounded number of
generated requests, valid and invalid, each sent with the key of a role its ``x-roles`` admits
(and sometimes with the platform admin's, naming the tenant), and sometimes with the ids of the
records that exist, so the routes' own work runs and not only their 401.

Every answer must pass schemathesis's checks: no 5xx; a status the operation documents; a body
and headers that match the documented schema; a schema-valid request is not refused as invalid
(400/422) and an invalid one is not accepted; a request without the key is refused; a method
the path does not have answers 405 with ``Allow``.

Bounded: ``MAX_EXAMPLES`` generated requests per operation in the fuzzing phase, plus the
examples and coverage phases' own cases; about a minute for the 40 operations on 2 cores.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from kervan import Registration
from kervan.api.app import create_app
from kervan.domain import (
    Address,
    DocumentStatus,
    Order,
    OrderLine,
    Party,
    PartyKind,
    ProductCard,
    Role,
    Tenant,
    TenantSettings,
    User,
)
from kervan.engine.records import INVOICE, ORDER, SHIPMENT, OrderRecord
from kervan.invoicing import invoice_from_order
from kervan.runtime import Runtime
from kervan.store import open_store
from kervan.tax import decide

#: generated requests per operation in the fuzzing phase (CI time: see the module docstring)
MAX_EXAMPLES = int(os.environ.get("KERVAN_SCHEMATHESIS_EXAMPLES", "25"))
TENANT = "t1"
ORDER_ID = "ty:7001"
#: a Trendyol connection (not the order's: no route reaches Trendyol, and /check never runs on it)
CONNECTION_ID = "ty-schemathesis"
PRODUCT_ID = "p-schemathesis"
ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
SELLER = Party(
    kind=PartyKind.COMPANY,
    tax_id="4540536920",
    company_name="Kervan Test Ltd. Şti.",
    tax_office="Kadıköy",
    address=Address(lines=["Moda Cd. 1"], district="Kadıköy", city="İstanbul"),
)


@dataclass
class Api:
    app: Any
    keys: dict[Role, str]
    #: path parameter → the id of a record that exists in TENANT
    known: dict[str, str]


def _order() -> Order:
    address = Address(lines=["Moda Cd. 1"], district="Kadıköy", city="İstanbul")
    buyer = Party(
        kind=PartyKind.PERSON,
        tax_id="17291716060",
        first_name="Ayşe",
        last_name="Yılmaz",
        address=address,
    )
    line = OrderLine(
        line_id="7001-1",
        barcode="8690000000011",
        name="Pamuklu Tişört",
        quantity=2,
        unit_price="299.90",
        vat_rate=10,
    )
    return Order(
        id=ORDER_ID,
        tenant_id=TENANT,
        connection_id="ty",
        source="trendyol",
        order_number="97001",
        package_id="7001",
        buyer=buyer,
        lines=[line, line.model_copy(update={"line_id": "7001-2"})],
        shipping_address=address,
        invoice_address=address,
        ordered_at=T0,
    )


def _seed(rt: Runtime) -> dict[str, str]:
    """An order, its invoice and its shipment in TENANT, so reads and actions find something."""
    store = rt.store.tenant(TENANT)
    order = _order()
    store.upsert(ORDER, order.id, OrderRecord(order=order).to_body())
    registration = Registration(
        tax_id=order.buyer.tax_id, registered=False, checked_at=T0, source="test"
    )
    invoice = invoice_from_order(
        order,
        decide(order, registration),
        seller=SELLER,
        number="KRA2026000007001",
        uuid="5f0c1f4e-3b7a-4c59-9a43-000000007001",
        issued_at=T0,
        sender_alias=None,
        website="https://example.com",
    )
    invoice.id, invoice.tenant_id, invoice.order_id = f"sale:{order.id}", TENANT, order.id
    invoice.status = DocumentStatus.ISSUED
    store.upsert(INVOICE, invoice.id, invoice.model_dump(mode="json"))
    shipment = f"{order.id}:1"
    store.upsert(
        SHIPMENT,
        shipment,
        {
            "id": shipment,
            "tenant_id": TENANT,
            "order_id": order.id,
            "package_id": shipment,
            "connection_id": "yc",
            "carrier": "yurtici",
            "cargo_key": "KRVSCHEMA0001",
            "tracking_number": "KRVSCHEMA0001",
            "status": "booked",
            "events": [],
            "booked_at": T0.isoformat(),
        },
    )
    rt.connections.create(
        TENANT,
        "trendyol",
        CONNECTION_ID,
        {"seller_id": "107001", "api_key": "schemathesis-key", "api_secret": "schemathesis-secret"},
        enabled=False,
    )
    # a product card for the catalog routes; no listing: a push would call the remote
    card = ProductCard(
        id=PRODUCT_ID,
        tenant_id=TENANT,
        sku="SKU-7001",
        name="Pamuklu Tişört",
        barcodes=["8690000000011"],
        list_price="299.90",
    )
    rt.catalog.save_card(TENANT, card, "schemathesis")
    return {
        "connection_id": CONNECTION_ID,
        "product_id": PRODUCT_ID,
        "order_id": order.id,
        "doc_id": invoice.id,
        "shipment_id": shipment,
        "fmt": "pdf",
        "user_id": "u-operator",
        "tenant_id": TENANT,
    }


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    home = tmp_path_factory.mktemp("schemathesis")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KERVAN_HOME", str(home))
        # schemathesis sends hundreds of bad keys from one address on purpose (every operation
        # is asked without a valid key): the failed-key throttle would answer them 429
        # (documented, with Retry-After) where the check expects the 401
        mp.setenv("KERVAN_API_KEY_FAILURES", "1000000")
        rt = Runtime.create(store=open_store(f"sqlite:///{home}/k.db"))
        for tenant in (TENANT, "t2"):
            rt.tenancy.create_tenant(
                Tenant(
                    id=tenant,
                    name=tenant,
                    seller=SELLER,
                    settings=TenantSettings(auto_approve=False),
                )
            )
        keys: dict[Role, str] = {}
        for role in Role:
            tenant_id = None if role is Role.PLATFORM_ADMIN else TENANT
            user = rt.tenancy.create_user(
                User(id=f"u-{role.value}", tenant_id=tenant_id, name=role.value, roles=[role])
            )
            keys[role], _ = rt.tenancy.create_api_key(user)
        known = _seed(rt)
        APP.app = create_app(rt)
        try:
            yield Api(APP.app, keys, known)
        finally:
            APP.app = None
            rt.close()


CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 17,
        "generation": {"max-examples": MAX_EXAMPLES, "mode": "all"},
        "phases": {"stateful": {"enabled": False}},
        # a schema-valid request may still break a domain rule (an unknown connector, an order
        # whose tenant has no classifier): 422 in the envelope, told apart from a schema that
        # promises too much by schema_valid_bodies_pass_the_models
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]
            }
        },
        "operations": [
            {
                # this process runs no jobs (the app is built without a job runner, so that
                # no generated request starts background work): replay answers its 503
                "include-path": "/v1/dead-letters/{letter_id}/replay",
                "checks": {
                    "not_a_server_error": {"expected-statuses": ["2xx", "4xx", "503"]},
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "401", "403", "404", "429", "503"]
                    },
                },
            }
        ],
    }
)
# the committed document: what a client generates its code from (tests/test_openapi_doc.py
# keeps it equal to what the app serves)


@schemathesis.check
def schema_valid_bodies_pass_the_models(ctx: Any, response: Any, case: Any) -> None:
    """A request the schema allows is never refused for its shape: not 400, and not a 422
    whose errors are type or shape errors (a field the schema makes nullable but the model
    does not, say). A 422 for a rule across fields (``Value error, ...``) or a domain rule
    (an unknown connector) is the documented 422."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return
    if response.status_code == 400:
        raise AssertionError(f"a schema-valid request was refused with 400: {response.text}")
    if response.status_code != 422:
        return
    error = response.json().get("error", {})
    if error.get("message") != "invalid request":
        return  # the domain's own rule, said in its own words
    shape = [
        e
        for e in error.get("detail", {}).get("errors", [])
        if not e["msg"].startswith("Value error")
    ]
    if shape:
        raise AssertionError(f"the models refuse what the schema allows: {shape}")


schema = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.json", config=CONFIG)


class _AppOfTheModule:
    """The ASGI app schemathesis calls: the ``api`` fixture's, built when the tests run (the
    schema is loaded when the module is collected, before any fixture)."""

    app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


APP = _AppOfTheModule()
schema.app = APP


def _headers(api: Api, case: Any, pick: int) -> dict[str, str]:
    """The key of one of the roles the operation admits (or the platform admin's, who names
    the tenant), chosen by ``pick`` so that a failure replays with the same key."""
    allowed = [Role(r) for r in case.operation.definition.raw.get("x-roles", [])]
    if not allowed:
        return {}
    roles = [*allowed, Role.PLATFORM_ADMIN]
    role = roles[pick % len(roles)]
    headers = {"Authorization": f"Bearer {api.keys[role]}"}
    sent = {k.lower(): v for k, v in (case.headers or {}).items()}
    if "x-tenant-id" not in sent and role is Role.PLATFORM_ADMIN and allowed != roles[:-1]:
        headers["X-Tenant-Id"] = TENANT
    elif "x-tenant-id" in sent and pick % 2:
        headers["X-Tenant-Id"] = TENANT  # the key's own tenant: the route does its work
    return headers


def _known_ids(api: Api, case: Any, pick: int) -> None:
    """Now and then, the ids of records that exist, so a route finds what it looks for."""
    if pick % 3 or not case.path_parameters or case.path.endswith("/check"):
        return
    for name in case.path_parameters:
        if name in api.known:
            case.path_parameters[name] = api.known[name]


@schema.parametrize()
@schema.given(pick=st.integers(min_value=0, max_value=11))
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_keeps_what_its_openapi_document_says(api: Api, case: Any, pick: int) -> None:
    _known_ids(api, case, pick)
    case.call_and_validate(headers=_headers(api, case, pick))


def _spec() -> dict[str, Any]:
    loaded: dict[str, Any] = schema.raw_schema
    return loaded


def test_every_operation_lists_its_statuses_without_a_catch_all() -> None:
    ops = [
        (f"{method.upper()} {path}", op)
        for path, item in _spec()["paths"].items()
        for method, op in item.items()
    ]
    assert len(ops) >= 40
    for name, op in ops:
        statuses = set(op["responses"])
        assert not statuses & {"4XX", "5XX", "default"}, name
        assert {"413", "429", "500"} <= statuses, name
        assert op["responses"]["429"]["headers"]["Retry-After"]["required"], name
        if op["x-roles"]:
            assert {"401", "403", "404", "422"} <= statuses, name
            assert op["security"] == [{"bearer": []}, {"apiKey": []}], name
            names = {p["name"].lower() for p in op.get("parameters", [])}
            assert not names & {"authorization", "x-api-key"}, name
        if "requestBody" in op:
            assert {"400", "422"} <= statuses, name


def test_a_null_the_schema_does_not_allow_is_refused_and_one_it_allows_is_taken(
    api: Api,
) -> None:
    """The probe's ``"enabled": null`` → 422 against a nullable schema: now the schema says
    boolean, and null is refused by the model (not deeper in the service)."""
    from fastapi.testclient import TestClient

    patch = _spec()["components"]["schemas"]["ConnectionPatch"]["properties"]
    assert patch["enabled"] == {"title": "Enabled", "type": "boolean"}
    assert {"type": "null"} in patch["name"]["anyOf"]  # null clears the name
    client = TestClient(api.app, raise_server_exceptions=False)
    headers = {"Authorization": f"Bearer {api.keys[Role.TENANT_ADMIN]}"}
    settings = {"seller_id": "107002", "api_key": "k", "api_secret": "s"}
    made = client.post(
        "/v1/connections",
        headers=headers,
        json={"id": "ty-null", "connector": "trendyol", "settings": settings, "enabled": False},
    )
    assert made.status_code == 201, made.text  # its own: the generated requests may delete any
    url = "/v1/connections/ty-null"
    refused = client.patch(url, headers=headers, json={"enabled": None})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["detail"]["errors"][0]["loc"] == ["body"]
    taken = client.patch(url, headers=headers, json={"name": None, "poll_interval_s": 90})
    assert taken.status_code == 200, taken.text
    assert taken.json()["name"] is None and taken.json()["poll_interval_s"] == 90


def test_an_offset_past_what_the_store_can_count_is_422_not_a_500(api: Api) -> None:
    from fastapi.testclient import TestClient

    client = TestClient(api.app, raise_server_exceptions=False)
    headers = {"Authorization": f"Bearer {api.keys[Role.OPERATOR]}"}
    for path in ("/v1/orders", "/v1/documents", "/v1/shipments", "/v1/problems"):
        r = client.get(path, headers=headers, params={"offset": 2**63})
        assert r.status_code == 422, (path, r.text)
