"""Orders on a fresh store for the floor's tests."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from kervan.domain import Address, Order, OrderLine, OrderState, Party, PartyKind
from kervan.engine.records import ORDER, OrderRecord
from kervan.store import open_store
from kervan.store.port import TenantStore

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ADDRESS = Address(lines=["Moda Cd. 1"], district="Kadıköy", city="İstanbul", postal_code="34710")
BUYER = Party(
    kind=PartyKind.PERSON, tax_id="11111111111", first_name="A", last_name="B", address=ADDRESS
)


def order(
    n: int,
    lines: list[tuple[str, int]],
    *,
    ship_by_h: float | None = 48,
    ordered_h: float = 0,
    state: OrderState = OrderState.BOOKED,
    connection: str = "ty",
    city: str = "İstanbul",
    district: str = "Kadıköy",
) -> OrderRecord:
    address = Address(lines=["x"], district=district, city=city, postal_code="34710")
    return OrderRecord(
        order=Order(
            id=f"ty:{n}",
            tenant_id="t1",
            connection_id=connection,
            source="trendyol",
            order_number=f"N{n}",
            package_id=str(n),
            lines=[
                OrderLine(
                    line_id=f"{n}-{i}", barcode=bc, name=bc, quantity=q, unit_price=10, vat_rate=20
                )
                for i, (bc, q) in enumerate(lines)
            ],
            buyer=BUYER,
            shipping_address=address,
            invoice_address=address,
            ordered_at=T0 + timedelta(hours=ordered_h),
            ship_by=None if ship_by_h is None else T0 + timedelta(hours=ship_by_h),
            state=state,
        ),
        invoice_id=f"sale:ty:{n}",
        shipment_id=f"ty:{n}:1",
    )


def put(ts: TenantStore, *recs: OrderRecord) -> None:
    for rec in recs:
        ts.upsert(ORDER, rec.order.id, rec.to_body())


#: a RAM-backed directory where there is one: every commit waits for fsync (synchronous=FULL),
#: and these tests commit a few thousand times
RAM = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


@contextmanager
def fresh_tenant() -> Iterator[TenantStore]:
    where = tempfile.mkdtemp(prefix="kervan-floor-", dir=RAM)
    store = open_store(f"sqlite:///{where}/k.db")
    try:
        yield store.tenant("t1")
    finally:
        store.close()
        shutil.rmtree(where, ignore_errors=True)
