"""A small API site for route tests: a Runtime on a fresh SQLite store, tenant ``t1`` (no
auto-approve), an operator's key, and helpers to put orders, invoices and shipments in the
store in whatever state a test needs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from kervan import Registration
from kervan.api.app import create_app
from kervan.domain import (
    Address,
    DocumentStatus,
    Invoice,
    Order,
    OrderLine,
    OrderState,
    Party,
    PartyKind,
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

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
ADDRESS = Address(lines=["Moda Cd. 1"], district="Kadıköy", city="İstanbul", postal_code="34710")
SELLER = Party(
    kind=PartyKind.COMPANY,
    tax_id="4540536920",
    company_name="Kervan Test Ltd. Şti.",
    tax_office="Kadıköy",
    address=ADDRESS,
)
BUYER = Party(
    kind=PartyKind.PERSON,
    tax_id="17291716060",
    first_name="Ayşe",
    last_name="Yılmaz",
    address=ADDRESS,
)


def make_order(package: str, state: OrderState = OrderState.RECEIVED) -> Order:
    return Order(
        id=f"ty:{package}",
        tenant_id="t1",
        connection_id="ty",
        source="trendyol",
        order_number=f"9{package}",
        package_id=package,
        buyer=BUYER,
        lines=[
            OrderLine(
                line_id=f"{package}-1",
                barcode="8690000000011",
                name="Pamuklu Tişört",
                quantity=2,
                unit_price="299.90",
                vat_rate=10,
            ),
            OrderLine(
                line_id=f"{package}-2",
                barcode="8690000000028",
                name="Yün Kazak",
                quantity=1,
                unit_price="899.00",
                vat_rate=10,
            ),
        ],
        shipping_address=ADDRESS,
        invoice_address=ADDRESS,
        ordered_at=T0,
        state=state,
    )


@dataclass
class Site:
    rt: Runtime
    client: TestClient
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    @property
    def store(self) -> Any:
        return self.rt.store.tenant("t1")

    def put(self, rec: OrderRecord) -> OrderRecord:
        self.store.upsert(ORDER, rec.order.id, rec.to_body())
        return rec

    def order(self, package: str, state: OrderState = OrderState.RECEIVED, **fields: Any) -> str:
        rec = OrderRecord(order=make_order(package, state), **fields)
        return self.put(rec).order.id

    def record(self, order_id: str) -> OrderRecord:
        return OrderRecord.from_body(self.store.get(ORDER, order_id).body)

    def invoice(self, package: str, status: DocumentStatus = DocumentStatus.ISSUED) -> Invoice:
        o = make_order(package)
        decision = decide(
            o,
            Registration(tax_id=o.buyer.tax_id, registered=False, checked_at=T0, source="test"),
        )
        inv = invoice_from_order(
            o,
            decision,
            seller=SELLER,
            number=f"KRA2026{int(package) % 10**9:09d}",
            uuid=f"5f0c1f4e-3b7a-4c59-9a43-{int(package):012d}",
            issued_at=T0,
            sender_alias=None,
            website="https://example.com",
        )
        inv.id, inv.tenant_id, inv.order_id, inv.status = f"sale:{o.id}", "t1", o.id, status
        self.store.upsert(INVOICE, inv.id, inv.model_dump(mode="json"))
        return inv

    def shipment(self, order_id: str, **fields: Any) -> str:
        sid = f"{order_id}:1"
        body = {
            "id": sid,
            "tenant_id": "t1",
            "order_id": order_id,
            "package_id": sid,
            "connection_id": "yc",
            "carrier": "yurtici",
            "cargo_key": "KRVTESTKEY0001",
            "tracking_number": "KRVTESTKEY0001",
            "status": "booked",
            "events": [],
            "booked_at": T0.isoformat(),
            **fields,
        }
        self.store.upsert(SHIPMENT, sid, body)
        return sid


@pytest.fixture
def site(tmp_path, monkeypatch) -> Iterator[Site]:
    monkeypatch.setenv("KERVAN_HOME", str(tmp_path))
    rt = Runtime.create(store=open_store(f"sqlite:///{tmp_path}/k.db"))
    rt.tenancy.create_tenant(
        Tenant(id="t1", name="t1", seller=SELLER, settings=TenantSettings(auto_approve=False))
    )
    user = rt.tenancy.create_user(User(id="u-op", tenant_id="t1", name="op", roles=[Role.OPERATOR]))
    key, _ = rt.tenancy.create_api_key(user)
    client = TestClient(create_app(rt), raise_server_exceptions=False)
    yield Site(rt, client, key)
    rt.close()
