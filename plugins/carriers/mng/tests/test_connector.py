from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from kervan.domain import Address, Dimensions, TrackingStatus
from kervan.errors import InvalidInputError, RemoteRejectedError, RemoteUnavailableError
from kervan_mng import Mng
from kervan_sdk.sandbox import Fault

API = "/mngapi/api"


def statuses(events):
    return [e.status for e in events]


def barcode_500(code: str, text: str) -> Fault:
    return Fault(
        "status",
        path=f"{API}/barcodecmdapi/createbarcode",
        status=500,
        body=json.dumps({"error": {"Code": code, "Description": text}}),
    )


async def test_sending_the_same_package_twice_gives_the_same_shipment(
    carrier, sandbox, make_package
):
    package = make_package("KRVTWICE01")
    first = await carrier.create_shipment(package)
    second = await carrier.create_shipment(package)
    assert not first.already_existed and second.already_existed
    assert second.tracking_number == first.tracking_number
    assert second.tracking_url and first.tracking_number in second.tracking_url
    assert len(sandbox.orders) == 1
    assert sandbox.count("POST", f"{API}/barcodecmdapi/createbarcode") == 1


async def test_a_lost_create_order_answer_is_looked_up_not_sent_again(
    carrier, sandbox, make_package
):
    sandbox.faults.add(Fault("timeout", path=f"{API}/standardcmdapi/createOrder"))
    booking = await carrier.create_shipment(make_package("KRVLOST001"))
    assert [c[1] for c in sandbox.calls] == ["createOrder", "createbarcode"]
    assert booking.tracking_number == sandbox.orders["KRVLOST001"].shipment.shipment_id
    assert sandbox.count("GET", f"{API}/standardqueryapi/getorder/KRVLOST001") == 1


async def test_a_lost_create_barcode_answer_is_found_by_getshipment(
    carrier, sandbox, make_package, decode_pdf_barcodes
):
    sandbox.faults.add(Fault("timeout", path=f"{API}/barcodecmdapi/createbarcode"))
    booking = await carrier.create_shipment(make_package("KRVLOST002"))
    shipment = sandbox.orders["KRVLOST002"].shipment
    assert booking.already_existed
    assert booking.tracking_number == shipment.shipment_id
    assert [c[1] for c in sandbox.calls] == ["createOrder", "createbarcode"]
    # MNG's ZPL was in the lost answer: the label is drawn here with MNG's piece barcode
    assert shipment.pieces[0]["barcode"] in booking.label.zpl
    (page,) = decode_pdf_barcodes(carrier.label_pdf(booking.label))
    assert set(page) == {shipment.pieces[0]["barcode"], shipment.shipment_id}


async def test_no_destination_branch_yet_is_retried_with_a_growing_delay(
    carrier, sandbox, clock, make_package
):
    sandbox.hold_destination("KRVBRANCH0", timedelta(minutes=20), code="20011")
    booking = await carrier.create_shipment(make_package("KRVBRANCH0"))
    assert booking.tracking_number == sandbox.orders["KRVBRANCH0"].shipment.shipment_id
    assert clock.sleeps == [300, 600, 900]  # 5 min × attempt, on the connector's sleep
    assert sandbox.count("POST", f"{API}/barcodecmdapi/createbarcode") == 4


async def test_no_destination_branch_after_five_retries_is_retryable_and_a_later_try_completes(
    carrier, sandbox, clock, make_package
):
    sandbox.hold_destination("KRVBRANCH1", timedelta(hours=2))
    package = make_package("KRVBRANCH1")
    with pytest.raises(RemoteUnavailableError) as info:
        await carrier.create_shipment(package)
    assert info.value.retryable and info.value.detail == {"code": "20001"}
    assert clock.sleeps == [300, 600, 900, 1200, 1500]
    assert sandbox.count("POST", f"{API}/barcodecmdapi/createbarcode") == 6
    assert (await carrier.track(["KRVBRANCH1"]))["KRVBRANCH1"][0].status is TrackingStatus.CREATED
    clock.advance(3600)
    booking = await carrier.create_shipment(package)  # order exists (3002): on to its shipment
    assert booking.already_existed
    assert len(sandbox.orders) == 1 and sandbox.orders["KRVBRANCH1"].shipment is not None


async def test_a_share_of_fresh_orders_waits_for_its_destination(clock, make_package):
    from kervan import ConnectorContext
    from kervan_mng import MngSettings
    from kervan_mng.sandbox import MngSandbox

    sandbox = MngSandbox(clock=clock, unresolved_share=1.0)
    context = ConnectorContext(
        tenant_id="t1",
        connection_id="mng",
        transport=sandbox.transport(),
        clock=clock.now,
        sleep=clock.sleep,
    )
    carrier = Mng(MngSettings.parse(sandbox.demo_settings("http://mng.sandbox")), context)
    try:
        booking = await carrier.create_shipment(make_package("KRVSHARE01"))
    finally:
        await carrier.aclose()
    assert booking.tracking_number
    assert clock.sleeps and clock.sleeps[0] == 300


async def test_an_unknown_business_error_is_a_rejection(carrier, sandbox, make_package):
    sandbox.faults.add(barcode_500("99999", "Bilinmeyen hata"))
    with pytest.raises(RemoteRejectedError, match="Bilinmeyen hata"):
        await carrier.create_shipment(make_package("KRVREJECT1"))


async def test_shipments_move_over_simulated_time(carrier, sandbox, clock, make_package):
    await carrier.create_shipment(make_package("KRVMOVE001"))
    assert statuses((await carrier.track(["KRVMOVE001"]))["KRVMOVE001"]) == [TrackingStatus.CREATED]
    clock.advance(2 * 3600)
    events = (await carrier.track(["KRVMOVE001"]))["KRVMOVE001"]
    assert statuses(events) == [
        TrackingStatus.CREATED,
        TrackingStatus.PICKED_UP,
        TrackingStatus.IN_TRANSIT,
    ]
    created_at = sandbox.orders["KRVMOVE001"].shipment.created_at
    assert events[1].at == created_at + timedelta(hours=2)
    sandbox.force("KRVMOVE001", TrackingStatus.DELIVERED)
    assert statuses((await carrier.track(["KRVMOVE001"]))["KRVMOVE001"])[-2:] == [
        TrackingStatus.OUT_FOR_DELIVERY,
        TrackingStatus.DELIVERED,
    ]


async def test_bulk_status_changes_since_a_time(carrier, sandbox, clock, make_package):
    await carrier.create_shipment(make_package("KRVBULK001"))
    await carrier.create_shipment(make_package("KRVBULK002"))
    start = clock.now()
    assert await carrier.changed_since(start + timedelta(seconds=1)) == {}  # 404 = nothing
    clock.advance(2 * 3600)
    sandbox.force("KRVBULK002", TrackingStatus.OUT_FOR_DELIVERY)
    changed = await carrier.changed_since(start + timedelta(minutes=1))
    assert changed == {
        "KRVBULK001": TrackingStatus.IN_TRANSIT,
        "KRVBULK002": TrackingStatus.OUT_FOR_DELIVERY,
    }


async def test_cancel_before_pickup_uses_cancelshipment_and_stops_the_shipment(
    carrier, sandbox, clock, make_package
):
    await carrier.create_shipment(make_package("KRVSTOP001"))
    ref = await carrier.cancel_shipment("KRVSTOP001")
    assert (
        not ref.already_done and ref.remote_id == sandbox.orders["KRVSTOP001"].shipment.shipment_id
    )
    assert sandbox.count("PUT", f"{API}/barcodecmdapi/cancelshipment") == 1
    clock.advance(48 * 3600)
    assert statuses((await carrier.track(["KRVSTOP001"]))["KRVSTOP001"]) == [
        TrackingStatus.CREATED,
        TrackingStatus.CANCELLED,
    ]
    assert (await carrier.cancel_shipment("KRVSTOP001")).already_done


async def test_cancel_an_order_that_never_became_a_shipment(carrier, sandbox, make_package):
    sandbox.hold_destination("KRVORDER01", timedelta(days=1))
    with pytest.raises(RemoteUnavailableError):
        await carrier.create_shipment(make_package("KRVORDER01"))
    ref = await carrier.cancel_shipment("KRVORDER01")
    assert not ref.already_done
    assert sandbox.count("PUT", f"{API}/standardcmdapi/cancelorder/KRVORDER01") == 1
    assert statuses((await carrier.track(["KRVORDER01"]))["KRVORDER01"]) == [
        TrackingStatus.CANCELLED
    ]
    assert (await carrier.cancel_shipment("KRVORDER01")).already_done


async def test_cancel_after_pickup_is_refused(carrier, clock, make_package):
    await carrier.create_shipment(make_package("KRVLATE001"))
    clock.advance(3 * 3600)
    with pytest.raises(RemoteRejectedError, match="picked up"):
        await carrier.cancel_shipment("KRVLATE001")


async def test_unknown_keys_track_to_nothing(carrier):
    assert await carrier.track(["NEVERBOOKED"]) == {"NEVERBOOKED": []}


async def test_quote_comes_from_mngs_calculate(carrier, sandbox, make_package):
    quote = await carrier.quote(make_package(desi=Decimal("3.2"), weight_kg=Decimal("1.5")))
    assert (quote.carrier, quote.billable_desi, quote.price) == ("mng", 4, Decimal("88.75"))
    away = make_package(
        desi=Decimal(1),
        weight_kg=Decimal("5.5"),
        address=Address(lines=["Atatürk Cad. 1"], district="Konak", city="IZMIR"),
    )
    quote = await carrier.quote(away)
    assert (quote.billable_desi, quote.price) == (6, Decimal("132.81"))
    assert sandbox.count("POST", f"{API}/standardqueryapi/calculate") == 2


async def test_an_unknown_place_is_invalid_input_naming_the_field(carrier, make_package):
    with pytest.raises(InvalidInputError) as info:
        await carrier.create_shipment(
            make_package(address=Address(lines=["Bir sokak 1"], district="Yokilçe", city="Ankara"))
        )
    assert info.value.errors[0]["loc"] == ["address", "district"]
    with pytest.raises(InvalidInputError):
        await carrier.quote(
            make_package(address=Address(lines=["x sokak 1"], district="Merkez", city="Atlantis"))
        )


async def test_seed_scenario_adds_the_districts_orders_ship_to(sandbox):
    from datetime import UTC, datetime

    from kervan.domain import Order, OrderLine, Party, PartyKind

    address = Address(lines=["Liman Cad. 3"], district="Ortahisar", city="Trabzon")
    buyer = Party(kind=PartyKind.PERSON, tax_id="11111111111", first_name="A", last_name="B")
    line = OrderLine.model_construct(id="l1")
    order = Order.model_construct(
        id="o1", shipping_address=address, buyer=buyer, lines=[line], ordered_at=datetime.now(UTC)
    )
    sandbox.seed_scenario(SimpleNamespace(seller=buyer, orders=[order]))  # a Scenario's shape
    assert any(d["name"] == "ORTAHİSAR" for d in sandbox.districts["61"])


async def test_desi_is_whole_and_weight_takes_over(carrier):
    box = Dimensions(
        length_cm=Decimal(31), width_cm=Decimal(20), height_cm=Decimal(10), weight_kg=Decimal(1)
    )  # 2.07 → 3
    heavy = Dimensions(
        length_cm=Decimal(10), width_cm=Decimal(10), height_cm=Decimal(10), weight_kg=Decimal(4)
    )
    assert carrier.billable_desi([box]) == 3
    assert carrier.billable_desi([box, heavy]) == 7


def test_plugin_registers_the_connector_through_its_entry_point_and_hook():
    from importlib.metadata import entry_points

    import kervan_mng

    (entry,) = [e for e in entry_points(group="kervan.plugins") if e.name == "mng"]
    assert entry.load() is kervan_mng
    assert hasattr(kervan_mng.register_carriers, "kervan_impl"), "marked with @kervan.hookimpl"
    seen: list[type] = []
    kervan_mng.register_carriers(register=seen.append)
    assert seen == [Mng]
    assert Mng.key == "mng" and Mng.roles() == ["carrier"]


async def test_polling_an_order_without_a_shipment_gives_the_same_event(
    carrier, sandbox, clock, make_package
):
    sandbox.hold_destination("KRVSTABLE1", timedelta(days=1))
    booked_at = clock.now()
    with pytest.raises(RemoteUnavailableError):
        await carrier.create_shipment(make_package("KRVSTABLE1"))
    clock.advance(600)
    first = await carrier.track(["KRVSTABLE1"])
    clock.advance(600)
    assert await carrier.track(["KRVSTABLE1"]) == first
    assert first["KRVSTABLE1"][0].at == booked_at


def test_the_connector_names_its_sandbox_class_for_the_demo():
    import importlib

    from kervan_mng import MngSettings

    module, _, name = Mng.sandbox.partition(":")
    sandbox = getattr(importlib.import_module(module), name)()
    assert sandbox.name == "mng"
    settings = MngSettings.parse(sandbox.demo_settings("http://127.0.0.1:8124"))
    assert settings.base_url == "http://127.0.0.1:8124/mngapi/api"


async def test_works_over_loopback_as_the_demo_runs_it(make_package):
    from kervan import ConnectorContext
    from kervan_mng import MngSettings
    from kervan_mng.sandbox import MngSandbox

    sandbox = MngSandbox()
    url = sandbox.serve("127.0.0.1", 0)
    try:
        context = ConnectorContext(tenant_id="t", connection_id="c", clock=sandbox.clock.now)
        connector = Mng(MngSettings.parse(sandbox.demo_settings(url)), context)
        booking = await connector.create_shipment(make_package("KRVLOOP001"))
        sandbox.clock.advance(4 * 3600)
        events = await connector.track([booking.cargo_key])
        assert TrackingStatus.PICKED_UP in statuses(events["KRVLOOP001"])
        await connector.aclose()
    finally:
        sandbox.stop()


async def test_booking_a_cancelled_cargo_key_again_is_a_conflict(carrier, sandbox, make_package):
    from kervan.errors import ConflictError

    package = make_package("KRVCNLAGN1")
    await carrier.create_shipment(package)
    await carrier.cancel_shipment(package.cargo_key)
    with pytest.raises(ConflictError, match="new cargo key"):
        await carrier.create_shipment(package)
    # an order cancelled before it became a shipment, too
    sandbox.hold_destination("KRVCNLAGN2", timedelta(days=1))
    other = make_package("KRVCNLAGN2")
    with pytest.raises(RemoteUnavailableError):
        await carrier.create_shipment(other)
    await carrier.cancel_shipment(other.cargo_key)
    with pytest.raises(ConflictError):
        await carrier.create_shipment(other)
