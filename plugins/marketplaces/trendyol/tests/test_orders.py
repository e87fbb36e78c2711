"""Order-source behaviour against the sandbox: fetch windows, statuses, invoices, split, ship."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import httpx
import pytest
from kervan.domain import (
    DocumentKind,
    Invoice,
    InvoiceLine,
    Order,
    Party,
    PartyKind,
    TaxSubtotal,
    Totals,
)
from kervan.errors import InvalidInputError, RemoteRejectedError
from kervan_trendyol.mapping import to_epoch_ms
from kervan_trendyol.sandbox import TrendyolSandbox
from kervan_trendyol.sandbox.splits_api import SPLIT_TAKES

from .conftest import BASE, fetch, make_connector, order_of

SELLER = Party(kind=PartyKind.COMPANY, tax_id="1234567890", company_name="Kervan Demo A.Ş.")


def invoice_for(order: Order, number: str = "KRV2026000000001", *, at: datetime) -> Invoice:
    line = order.lines[0]
    return Invoice(
        id=f"inv-{order.package_id}",
        tenant_id="t1",
        uuid="3f2b8c1e-5d4a-4e6f-9a7b-1c2d3e4f5a6b",
        number=number,
        kind=DocumentKind.EARSIV,
        profile="EARSIVFATURA",
        issued_at=at,
        seller=SELLER,
        buyer=order.buyer,
        lines=[
            InvoiceLine(
                id=1,
                name=line.name,
                quantity=Decimal(1),
                unit_code="C62",
                unit_price=Decimal("100.00"),
                line_extension=Decimal("100.00"),
                vat_rate=Decimal(20),
                vat_amount=Decimal("20.00"),
            )
        ],
        tax_subtotals=[
            TaxSubtotal(
                rate=Decimal(20), taxable_amount=Decimal("100.00"), tax_amount=Decimal("20.00")
            )
        ],
        totals=Totals(
            line_extension=Decimal("100.00"),
            tax_exclusive=Decimal("100.00"),
            tax_total=Decimal("20.00"),
            tax_inclusive=Decimal("120.00"),
            payable=Decimal("120.00"),
        ),
    )


async def test_first_fetch_returns_every_package_once(sandbox, trendyol):
    orders = await fetch(trendyol)
    assert len(orders) == 12
    assert len({o.id for o in orders}) == 12
    assert {o.id for o in orders} == {f"c1:{pid}" for pid in sandbox.packages}
    kinds = {o.buyer.kind for o in orders}
    assert kinds == {PartyKind.PERSON, PartyKind.COMPANY}
    assert any(o.micro_export for o in orders)


async def test_long_ranges_are_cut_into_two_week_windows(sandbox, trendyol):
    sandbox.clock.advance(0)
    since = sandbox.clock.now() - timedelta(days=40)
    await fetch(trendyol, since)
    # 40 days → 3 windows, each read unfiltered, then once per gone status (Cancelled,
    # UnSupplied: one status per call)
    assert sandbox.count("GET", "*/orders") == 9


async def test_history_is_capped_at_three_months(sandbox, trendyol):
    await fetch(trendyol, sandbox.clock.now() - timedelta(days=400))
    assert sandbox.count("GET", "*/orders") == 3 * 7  # 90 days → 7 windows, three passes


async def test_fetch_asks_for_exactly_the_window_it_is_given(sandbox):
    """The engine owns the polling window (overlap, first lookback): the connector re-reads
    nothing before ``since`` and asks nothing after ``until``."""
    connector = make_connector(sandbox)
    inner = connector.client._http._transport
    asked: list[tuple[int, int]] = []

    class Recorder(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/orders"):
                params = request.url.params
                asked.append((int(params["startDate"]), int(params["endDate"])))
            return await inner.handle_async_request(request)

    connector.client._http._transport = Recorder()
    sandbox.clock.advance(600)
    until = sandbox.clock.now() - timedelta(minutes=5)  # not the connector's "now"
    since = until - timedelta(days=1)
    orders = [o async for o in connector.fetch_orders(since, until)]
    # one window, asked once per pass (unfiltered, then Cancelled, then UnSupplied)
    assert asked == [(to_epoch_ms(since), to_epoch_ms(until))] * 3
    assert len(orders) == 12
    await connector.aclose()


def test_settings_of_version_1_load_without_the_polling_fields(sandbox):
    """Version 1 stored its own polling window; the engine owns it now."""
    from kervan_trendyol import Trendyol, TrendyolSettings

    old = {**sandbox.demo_settings(BASE), "lookback_days": 30, "overlap_minutes": 10}
    with pytest.raises(InvalidInputError):
        TrendyolSettings.parse(old)
    assert Trendyol.settings_version == 2
    settings = TrendyolSettings.parse(Trendyol.migrate_settings(old, 1))
    assert settings.public_dict()["seller_id"] == old["seller_id"]
    assert Trendyol.migrate_settings({"seller_id": "1"}, 2) == {"seller_id": "1"}


async def test_paging_reads_every_page(sandbox):
    connector = make_connector(sandbox, page_size=5)
    orders = await fetch(connector)
    assert len(orders) == 12
    # 3 pages, then the two (empty) gone passes
    assert sandbox.count("GET", "*/orders") == 3 + 2
    await connector.aclose()


async def test_incremental_fetch_sees_only_changes_since(sandbox, trendyol):
    await fetch(trendyol)
    sandbox.clock.advance(3600)
    last_poll = sandbox.clock.now()
    sandbox.clock.advance(3600)
    changed = await fetch(trendyol, last_poll)
    assert changed == []
    order = (await fetch(trendyol, last_poll - timedelta(days=1)))[0]
    await trendyol.accept(order)
    changed = await fetch(trendyol, last_poll)
    assert [(o.package_id, o.remote_status) for o in changed] == [(order.package_id, "Picking")]


async def test_scenario_cancellation_arrives_on_the_poll_after_first_sight():
    sandbox = TrendyolSandbox(seed=2)
    sandbox.seed_random(3)
    orders = [
        o
        async for o in make_connector(sandbox).fetch_orders(sandbox.clock.now() - timedelta(days=1))
    ]
    # duck-typed kervan.scenario.Scenario (that module is not kervan's public surface yet)
    scenario = SimpleNamespace(
        seller=SELLER,
        orders=[o.model_copy(update={"package_id": f"S{i}"}) for i, o in enumerate(orders)],
        cancelled_package_ids={"S1"},
        products=[],
        stock={},
    )
    fresh = TrendyolSandbox(seed=3)
    fresh.seed_scenario(scenario)
    connector = make_connector(fresh)
    first = await fetch(connector)
    assert len(first) == 3 and not any(o.source_cancelled for o in first)
    second = await fetch(connector)
    cancelled = [o for o in second if o.source_cancelled]
    assert [o.package_id for o in cancelled] == [str(fresh.scenario_ids["S1"])]
    assert cancelled[0].remote_status == "Cancelled"
    await connector.aclose()


async def test_accept_and_mark_invoiced_are_idempotent(sandbox, trendyol):
    order = (await fetch(trendyol))[0]
    assert (await trendyol.accept(order)).already_done is False
    assert (await trendyol.accept(order)).already_done is True
    assert (await trendyol.mark_invoiced(order, "KRV2026000000007")).already_done is False
    assert (await trendyol.mark_invoiced(order, "KRV2026000000007")).already_done is True
    assert (await trendyol.accept(order)).already_done is True  # past Picking already
    pkg = sandbox.packages[int(order.package_id)]
    assert pkg["status"] == "Invoiced" and pkg["invoiceNumber"] == "KRV2026000000007"
    assert [h["status"] for h in pkg["packageHistories"]] == ["Created", "Picking", "Invoiced"]


async def test_accept_of_a_cancelled_package_is_refused(sandbox, trendyol):
    order = (await fetch(trendyol))[0]
    sandbox.set_status(int(order.package_id), "Cancelled")
    with pytest.raises(RemoteRejectedError):
        await trendyol.accept(order)


async def test_invoice_link_is_sent_once_and_a_repeat_is_already_done(sandbox, trendyol):
    order = next(o for o in await fetch(trendyol) if not o.micro_export)
    invoice = invoice_for(order, at=sandbox.clock.now())
    url = "https://earsiv.example/KRV2026000000001.pdf"
    assert (await trendyol.send_invoice_link(order, invoice, url)).already_done is False
    assert (await trendyol.send_invoice_link(order, invoice, url)).already_done is True
    assert sandbox.packages[int(order.package_id)]["invoiceLink"] == url
    with pytest.raises(RemoteRejectedError):  # a different invoice for the same package: no
        await trendyol.send_invoice_link(order, invoice, "https://earsiv.example/other.pdf")


async def test_invoice_file_upload_sets_the_link_once(sandbox, trendyol):
    order = (await fetch(trendyol))[0]
    invoice = invoice_for(order, at=sandbox.clock.now())
    ref = await trendyol.send_invoice_file(order, invoice, b"%PDF-1.4 fake")
    assert ref.already_done is False
    assert sandbox.packages[int(order.package_id)]["invoiceLink"].endswith(".pdf")
    assert (await trendyol.send_invoice_file(order, invoice, b"%PDF-1.4 fake")).already_done


async def test_micro_export_link_needs_the_invoice_number_format(sandbox, trendyol):
    order = next(o for o in await fetch(trendyol) if o.micro_export)
    invoice = invoice_for(order, "KRV2026000000002", at=sandbox.clock.now())
    await trendyol.send_invoice_link(order, invoice, "https://e.example/m.pdf")
    assert sandbox.packages[int(order.package_id)]["invoiceLink"] == "https://e.example/m.pdf"


async def test_split_creates_new_packages_and_unpacks_the_original(sandbox, trendyol):
    order = next(o for o in await fetch(trendyol) if len(o.lines) >= 2)
    first, *rest = [line.line_id for line in order.lines]
    assert (await trendyol.split_package(order, [[first]])).already_done is False
    # asynchronous: accepted, not yet carried out; asked again meanwhile, it is done
    assert order_of(await fetch(trendyol), order.package_id).remote_status == "Created"
    assert (await trendyol.split_package(order, [[first]])).already_done is True
    sandbox.clock.advance(SPLIT_TAKES.total_seconds())
    after = await fetch(trendyol)
    original = order_of(after, order.package_id)
    assert original.remote_status == "UnPacked"
    children = [o for o in after if o.order_number == order.order_number and o.id != order.id]
    assert sorted(len(c.lines) for c in children) == sorted([1, len(rest)])
    assert {line.line_id for c in children for line in c.lines} == {first, *rest}
    assert all(c.remote_status == "Created" for c in children)
    # a new connector (the engine restarted) sees the split done
    again = make_connector(sandbox)
    assert (await again.split_package(order, [[first]])).already_done is True
    await again.aclose()


async def test_split_by_quantity_divides_a_line_and_its_discount(sandbox, trendyol):
    order = next(
        o
        for o in await fetch(trendyol)
        if any(ln.quantity >= 2 and ln.discount for ln in o.lines) and o.remote_status == "Created"
    )
    line = next(ln for ln in order.lines if ln.quantity >= 2 and ln.discount)
    rest = {ln.line_id: int(ln.quantity) for ln in order.lines if ln is not line}
    parcels = [{line.line_id: 1}, {line.line_id: int(line.quantity) - 1, **rest}]
    assert (await trendyol.split_package_by_quantity(order, parcels)).already_done is False
    assert (await trendyol.split_package_by_quantity(order, parcels)).already_done is True
    sandbox.clock.advance(SPLIT_TAKES.total_seconds())
    after = await fetch(trendyol)
    assert order_of(after, order.package_id).remote_status == "UnPacked"
    children = sorted(
        (o for o in after if o.order_number == order.order_number and o.id != order.id),
        key=lambda o: sum(ln.quantity for ln in o.lines),
    )
    assert [{ln.line_id: int(ln.quantity) for ln in c.lines} for c in children] == parcels
    assert all(c.remote_status == "Created" for c in children)
    # every unit's price and discount lands in exactly one child: the money adds up
    assert sum(ln.payable for c in children for ln in c.lines) == sum(
        ln.payable for ln in order.lines
    )
    parts = [ln for c in children for ln in c.lines if ln.line_id == line.line_id]
    assert sum(ln.discount for ln in parts) == line.discount
    assert all(ln.discount > 0 for ln in parts)


async def test_split_by_quantity_refuses_lost_or_invented_units(sandbox, trendyol):
    order = next(o for o in await fetch(trendyol) if any(ln.quantity >= 2 for ln in o.lines))
    line = next(ln for ln in order.lines if ln.quantity >= 2)
    rest = {ln.line_id: int(ln.quantity) for ln in order.lines if ln is not line}
    with pytest.raises(InvalidInputError):  # one unit missing
        await trendyol.split_package_by_quantity(order, [{line.line_id: 1}, rest])
    with pytest.raises(InvalidInputError):  # one parcel is not a split
        await trendyol.split_package_by_quantity(order, [{line.line_id: int(line.quantity)}])
    with pytest.raises(RemoteRejectedError, match="aşamaz"):  # past the connector: the sandbox
        await trendyol.client.split_packages(
            order.package_id, [{int(line.line_id): int(line.quantity) + 1}]
        )
    with pytest.raises(RemoteRejectedError, match="en az iki"):  # everything in one package
        await trendyol.client.split_packages(
            order.package_id,
            [{int(ln.line_id): int(ln.quantity) for ln in order.lines}],
        )


async def test_split_rules(sandbox, trendyol):
    order = next(o for o in await fetch(trendyol) if len(o.lines) >= 2)
    everything = [line.line_id for line in order.lines]
    with pytest.raises(RemoteRejectedError):  # one group with every line is not a split
        await trendyol.split_package(order, [everything])
    with pytest.raises(InvalidInputError):
        await trendyol.split_package(order, [[everything[0]], [everything[0]]])
    with pytest.raises(InvalidInputError):
        await trendyol.split_package(order, [["999"]])
    sandbox.set_status(int(order.package_id), "Shipped")
    with pytest.raises(RemoteRejectedError):  # shipped packages cannot be split
        await trendyol.split_package(order, [[everything[0]]])


async def test_an_invoiced_package_can_be_split(sandbox, trendyol):
    """Created, Picking and Invoiced packages may be split (Trendyol's split guide)."""
    order = next(o for o in await fetch(trendyol) if len(o.lines) >= 2)
    await trendyol.mark_invoiced(order, "KRV2026000000003")
    await trendyol.split_package(order, [[order.lines[0].line_id]])
    sandbox.clock.advance(SPLIT_TAKES.total_seconds())
    assert order_of(await fetch(trendyol), order.package_id).remote_status == "UnPacked"


async def test_cancel_lines_unsupplies_and_moves_the_rest_to_a_new_package(sandbox, trendyol):
    order = next(o for o in await fetch(trendyol) if len(o.lines) >= 2)
    gone = order.lines[0]
    await trendyol.cancel_lines(order, {gone.line_id: int(gone.quantity)}, "out_of_stock")
    after = await fetch(trendyol)
    original = order_of(after, order.package_id)
    assert original.source_cancelled and original.remote_status == "UnSupplied"
    (child,) = [o for o in after if o.order_number == order.order_number and o.id != order.id]
    assert gone.line_id not in {line.line_id for line in child.lines}
    assert len(child.lines) == len(order.lines) - 1
    assert sandbox.packages[int(order.package_id)]["cancelReasonCode"] == 500
    assert (await trendyol.cancel_lines(order, {gone.line_id: 1}, "500")).already_done


async def test_cancel_lines_validates_quantities(trendyol):
    order = (await fetch(trendyol))[0]
    line = order.lines[0]
    with pytest.raises(InvalidInputError):
        await trendyol.cancel_lines(order, {line.line_id: int(line.quantity) + 1}, "500")


async def test_tracking_number_for_seller_contract_carrier(sandbox, trendyol):
    """The seller's own carrier: alternative delivery with the carrier's tracking link, and
    Trendyol marks the package Shipped."""
    orders = await fetch(trendyol)
    own = next(o for o in orders if not o.cargo_tracking_number)
    tex = next(o for o in orders if o.cargo_tracking_number)
    ref = await trendyol.send_tracking_number(own, "72512345678901", "yurtici")
    assert ref.already_done is False
    pkg = sandbox.packages[int(own.package_id)]
    assert pkg["cargoTrackingLink"].endswith("code=72512345678901")
    assert pkg["status"] == "Shipped"
    again = await trendyol.send_tracking_number(own, "72512345678901", "yurtici")
    assert again.already_done is True
    with pytest.raises(RemoteRejectedError) as err:  # Trendyol arranged this one's carrier
        await trendyol.send_tracking_number(tex, "72500000000000", "yurtici")
    assert "Edilebilir" in err.value.remote_message
    shipped = order_of(await fetch(trendyol), own.package_id)
    assert shipped.remote_status == "Shipped"
    assert shipped.cargo_tracking_number and shipped.cargo_tracking_number.startswith("732")


async def test_tracking_number_needs_a_known_carrier_or_a_template(sandbox, trendyol):
    own = next(o for o in await fetch(trendyol) if not o.cargo_tracking_number)
    with pytest.raises(InvalidInputError, match="tracking_link_template"):
        await trendyol.send_tracking_number(own, "123", "somecarrier")
    custom = make_connector(sandbox, tracking_link_template="https://k.example/t/{number}")
    await custom.send_tracking_number(own, "123", "somecarrier")
    await custom.aclose()
    assert sandbox.packages[int(own.package_id)]["cargoTrackingLink"] == "https://k.example/t/123"


async def test_common_label_for_trendyol_arranged_cargo(sandbox, trendyol):
    orders = await fetch(trendyol)
    tex = next(o for o in orders if o.cargo_tracking_number)
    label = await trendyol.fetch_label(tex)
    assert label is not None
    assert label.zpl.startswith("^XA") and tex.cargo_tracking_number in label.zpl
    assert label.pdf == b""  # drawn from the ZPL when first printed (test_label.py)
    # Trendyol's flow: one request, then one fetch (no fetch before the request)
    assert sandbox.count("POST", "*/common-label/*") == 1
    assert sandbox.count("GET", "*/common-label/*") == 1
    again = await trendyol.fetch_label(tex)  # asked again: the same label (the core keeps it)
    assert again is not None and again.zpl == label.zpl
    own = next(o for o in orders if not o.cargo_tracking_number)
    assert await trendyol.fetch_label(own) is None


async def test_labelled_package_ships_and_is_delivered_on_the_clock(sandbox, trendyol):
    tex = next(o for o in await fetch(trendyol) if o.cargo_tracking_number)
    await trendyol.accept(tex)
    await trendyol.fetch_label(tex)
    sandbox.clock.advance(6 * 3600)
    assert order_of(await fetch(trendyol), tex.package_id).remote_status == "Shipped"


async def test_sample_file_loads_in_trendyol_format(trendyol):
    from pathlib import Path

    sandbox = TrendyolSandbox(seed=5)
    sample = Path(__file__).parents[1] / "kervan_trendyol" / "samples" / "packages.json"
    pids = sandbox.load_file(sample)  # captured 2026-11-20; rebased onto the sandbox's now
    assert len(pids) == 4
    connector = make_connector(sandbox)
    orders = await fetch(connector)
    assert sorted(o.package_id for o in orders) == sorted(str(p) for p in pids)
    assert {o.buyer.kind for o in orders} == {PartyKind.PERSON, PartyKind.COMPANY}
    newest = max(o.remote_updated_at for o in orders)
    assert newest == sandbox.clock.now().replace(microsecond=newest.microsecond)
    raw = json.loads(sample.read_text(encoding="utf-8"))["content"][0]
    pkg = sandbox.packages[raw["shipmentPackageId"]]
    shift = pkg["lastModifiedDate"] - raw["lastModifiedDate"]
    assert pkg["orderDate"] - raw["orderDate"] == shift  # relative times are kept
    assert pkg["lines"] == raw["lines"]
    await connector.aclose()


async def test_sample_file_can_keep_its_dates():
    from pathlib import Path

    sandbox = TrendyolSandbox(seed=5)
    sample = Path(__file__).parents[1] / "kervan_trendyol" / "samples" / "packages.json"
    sandbox.load_file(sample, rebase=False)
    sandbox.clock.set(datetime(2026, 11, 20, 10, 0, tzinfo=UTC))
    connector = make_connector(sandbox)
    assert len(await fetch(connector, datetime(2026, 11, 19, tzinfo=UTC))) == 4
    await connector.aclose()


async def test_seed_packages_accepts_legacy_field_names():
    sandbox = TrendyolSandbox()
    pkg = {
        "id": 77,
        "orderNumber": "1",
        "status": "Created",
        "orderDate": sandbox.now_ms(),
        "lastModifiedDate": sandbox.now_ms(),
        "invoiceAddress": {
            "firstName": "Ali",
            "lastName": "Veli",
            "address1": "Bir Sok. 1",
            "city": "Ankara",
            "district": "Çankaya",
            "countryCode": "TR",
        },
        "lines": [
            {
                "id": 1,
                "quantity": 1,
                "barcode": "X1",
                "merchantSku": "S1",
                "productName": "Ürün",
                "amount": 50.0,
                "discount": 0,
                "price": 50.0,
                "vatBaseAmount": 20,
            }
        ],
    }
    (pid,) = sandbox.seed_packages([pkg])
    connector = make_connector(sandbox)
    (order,) = await fetch(connector)
    assert order.package_id == "77" == str(pid)
    assert order.lines[0].sku == "S1" and order.lines[0].unit_price == Decimal("50.00")
    await connector.aclose()


async def test_awaiting_packages_cannot_be_worked_until_payment_is_confirmed():
    sandbox = TrendyolSandbox(seed=6)
    pids = sandbox.seed_random(4, awaiting=1)
    connector = make_connector(sandbox)
    waiting = order_of(await fetch(connector), pids[-1])
    assert waiting.remote_status == "Awaiting" and not waiting.source_cancelled
    with pytest.raises(RemoteRejectedError) as err:
        await connector.accept(waiting)
    assert err.value.detail["keys"] == ["package.awaiting"]
    sandbox.clock.advance(15 * 60)
    confirmed = order_of(await fetch(connector), pids[-1])
    assert confirmed.remote_status == "Created"
    assert (await connector.accept(confirmed)).already_done is False
    await connector.aclose()
