from __future__ import annotations

from decimal import Decimal

import pytest
from kervan import ConnectorContext
from kervan.domain import Dimensions, TrackingStatus
from kervan.errors import AuthError, InvalidInputError, RemoteRejectedError
from kervan_sdk.sandbox import Fault
from kervan_yurtici import Yurtici, YurticiSettings
from kervan_yurtici.sandbox import PATH

BASE = "http://yurtici.sandbox"


def statuses(events):
    return [e.status for e in events]


async def test_sending_the_same_package_twice_gives_the_same_shipment(
    carrier, sandbox, make_package
):
    package = make_package("KRVTWICE01")
    first = await carrier.create_shipment(package)
    second = await carrier.create_shipment(package)
    assert not first.already_existed and second.already_existed
    assert second.tracking_number == first.tracking_number == "KRVTWICE01"
    assert second.label.zpl == first.label.zpl
    assert len(sandbox.shipments) == 1


async def test_booking_again_after_pickup_returns_yurticis_tracking_number(
    carrier, sandbox, clock, make_package
):
    package = make_package("KRVAGAIN01")
    await carrier.create_shipment(package)
    clock.advance(3 * 3600)
    again = await carrier.create_shipment(package)
    doc_id = sandbox.shipments["KRVAGAIN01"].doc_id
    assert again.already_existed
    assert again.tracking_number == doc_id
    assert again.tracking_url and doc_id in again.tracking_url


async def test_a_create_whose_answer_was_lost_is_looked_up_not_sent_again(
    carrier, sandbox, clock, make_package
):
    sandbox.faults.add(Fault("timeout", path=PATH))
    booking = await carrier.create_shipment(make_package("KRVLOST001"))
    assert booking.already_existed
    sent = [e for e in sandbox.envelopes if b"createShipment>" in e]
    assert len(sent) == 1, "the create reached Yurtiçi once; the retry was a lookup"
    assert len(sandbox.shipments) == 1
    assert clock.slept > 0, "waited (simulated) before looking up"


async def test_a_create_refused_with_503_is_sent_again_after_a_lookup(
    carrier, sandbox, make_package
):
    sandbox.faults.add(Fault("status", path=PATH, status=503))
    booking = await carrier.create_shipment(make_package("KRV503X001"))
    assert not booking.already_existed
    assert list(sandbox.shipments) == ["KRV503X001"]


async def test_wrong_password_is_an_auth_error_without_the_password(sandbox, context, make_package):
    settings = {**sandbox.demo_settings(BASE), "password": "hunter2-wrong"}
    connector = Yurtici(YurticiSettings.parse(settings), context)
    with pytest.raises(AuthError) as info:
        await connector.create_shipment(make_package())
    assert "hunter2-wrong" not in str(info.value)
    check = await connector.check()
    assert not check.ok
    await connector.aclose()


async def test_check_passes_with_good_credentials(carrier):
    assert (await carrier.check()).ok


async def test_a_refused_package_says_why(carrier, sandbox, make_package):
    sandbox.collection_types = frozenset({"1"})  # this contract collects by card only
    package = make_package("KRVCASH001", cod_amount="100.00")
    with pytest.raises(RemoteRejectedError) as info:
        await carrier.create_shipment(package)
    assert info.value.detail["errCode"] == "82512"
    assert "ödeme tipi" in info.value.message and not info.value.retryable


async def test_a_short_address_keeps_district_and_city(carrier, sandbox, make_package):
    from kervan.domain import Address

    package = make_package(
        "KRVSHORT01", address=Address(lines=["Ev"], district="Kale", city="Ordu")
    )
    await carrier.create_shipment(package)
    assert sandbox.shipments["KRVSHORT01"].fields["receiverAddress"] == "Ev, Kale/Ordu"


async def test_pickup_is_reported_when_the_branch_scans_the_cargo_key(
    carrier, sandbox, clock, make_package
):
    await carrier.create_shipment(make_package("KRVPICK001"))
    clock.advance(3600)
    assert statuses((await carrier.track(["KRVPICK001"]))["KRVPICK001"]) == [TrackingStatus.CREATED]
    clock.advance(3600 + 1)
    events = (await carrier.track(["KRVPICK001"]))["KRVPICK001"]
    assert statuses(events) == [TrackingStatus.PICKED_UP]
    assert events[0].at == sandbox.shipments["KRVPICK001"].created_at + __import__(
        "datetime"
    ).timedelta(hours=2)
    assert events[0].location and "ÇIKIŞ" in events[0].location


async def test_forcing_a_status_moves_the_shipment_now(carrier, sandbox, make_package):
    await carrier.create_shipment(make_package("KRVFORCE01"))
    sandbox.force("KRVFORCE01", TrackingStatus.OUT_FOR_DELIVERY)
    assert (
        statuses((await carrier.track(["KRVFORCE01"]))["KRVFORCE01"])[-1]
        is TrackingStatus.OUT_FOR_DELIVERY
    )
    sandbox.force("KRVFORCE01", TrackingStatus.RETURNED)
    assert (
        statuses((await carrier.track(["KRVFORCE01"]))["KRVFORCE01"])[-1] is TrackingStatus.RETURNED
    )


async def test_cancel_before_pickup_stops_the_shipment(carrier, sandbox, clock, make_package):
    await carrier.create_shipment(make_package("KRVSTOP001"))
    ref = await carrier.cancel_shipment("KRVSTOP001")
    assert not ref.already_done
    clock.advance(48 * 3600)
    assert statuses((await carrier.track(["KRVSTOP001"]))["KRVSTOP001"]) == [
        TrackingStatus.CANCELLED
    ]
    again = await carrier.cancel_shipment("KRVSTOP001")
    assert again.already_done


async def test_cancel_after_pickup_is_refused(carrier, clock, make_package):
    await carrier.create_shipment(make_package("KRVLATE001"))
    clock.advance(3 * 3600)
    with pytest.raises(RemoteRejectedError, match="iptal edilemez"):
        await carrier.cancel_shipment("KRVLATE001")


async def test_cancelling_an_unknown_key_is_already_done(carrier):
    assert (await carrier.cancel_shipment("NEVERBOOKED")).already_done


async def test_unknown_keys_track_to_nothing(carrier):
    assert await carrier.track(["NEVERBOOKED"]) == {"NEVERBOOKED": []}


async def test_desi_from_dimensions_weight_takes_over_where_heavier(carrier):
    light = Dimensions(
        length_cm=Decimal(30), width_cm=Decimal(20), height_cm=Decimal(10), weight_kg=Decimal(1)
    )  # 2 desi
    heavy = Dimensions(
        length_cm=Decimal(10), width_cm=Decimal(10), height_cm=Decimal(10), weight_kg=Decimal(5)
    )  # 0.33 desi, 5 kg
    odd = Dimensions(
        length_cm=Decimal(31), width_cm=Decimal(20), height_cm=Decimal(10), weight_kg=Decimal(1)
    )  # 2.07 → 3
    assert carrier.billable_desi([light]) == 2
    assert carrier.billable_desi([light, heavy]) == 7
    assert carrier.billable_desi([odd]) == 3


async def test_desi_step_follows_the_contract(sandbox, context):
    settings = YurticiSettings.parse({**sandbox.demo_settings(BASE), "desi_step": "0.5"})
    connector = Yurtici(settings, context)
    odd = Dimensions(
        length_cm=Decimal(31), width_cm=Decimal(20), height_cm=Decimal(10), weight_kg=Decimal(1)
    )
    assert connector.billable_desi([odd]) == Decimal("2.5")
    await connector.aclose()


async def test_quote_uses_the_tariff_by_zone_and_billable_desi(carrier, make_package):
    from kervan.domain import Address

    same_city = await carrier.quote(make_package(desi=Decimal("3.2"), weight_kg=Decimal(1)))
    assert (same_city.billable_desi, same_city.price, same_city.carrier) == (
        4,
        Decimal("80.00"),
        "yurtici",
    )
    away = make_package(
        desi=Decimal(1),
        weight_kg=Decimal(12),
        address=Address(lines=["Atatürk Cad. No:1"], district="Konak", city="İzmir"),
    )
    quote = await carrier.quote(away)
    assert (quote.billable_desi, quote.price) == (12, Decimal("210.00"))
    huge = await carrier.quote(make_package(desi=Decimal(32), weight_kg=Decimal(1)))
    assert huge.price == Decimal("220.00") + 2 * Decimal("7.00")


async def test_quote_without_a_price_for_the_zone_is_invalid_input(sandbox, context, make_package):
    tariff = {"bands": [{"max_desi": 10, "prices": {"yurt_ici": "100.00"}}]}
    connector = Yurtici(
        YurticiSettings.parse({**sandbox.demo_settings(BASE), "tariff": tariff}), context
    )
    with pytest.raises(InvalidInputError):
        await connector.quote(make_package())  # İstanbul → İstanbul is sehir_ici: no price
    await connector.aclose()


def test_settings_keep_the_password_secret():
    schema = YurticiSettings.model_json_schema()
    assert schema["properties"]["password"]["writeOnly"] is True
    with pytest.raises(InvalidInputError) as info:
        YurticiSettings.parse({"username": "u", "password": "s3cret", "bogus": 1})
    assert "s3cret" not in str(info.value.errors)


def test_plugin_registers_the_connector_through_its_entry_point_and_hook():
    from importlib.metadata import entry_points

    import kervan_yurtici

    (entry,) = [e for e in entry_points(group="kervan.plugins") if e.name == "yurtici"]
    assert entry.load() is kervan_yurtici
    assert hasattr(kervan_yurtici.register_carriers, "kervan_impl"), "marked with @kervan.hookimpl"
    seen: list[type] = []
    kervan_yurtici.register_carriers(register=seen.append)
    assert seen == [Yurtici]
    assert Yurtici.key == "yurtici" and Yurtici.roles() == ["carrier"]


async def test_yurticis_tracking_number_appears_after_pickup(carrier, sandbox, clock, make_package):
    await carrier.create_shipment(make_package("KRVDOCID01"))
    assert await carrier.tracking_numbers(["KRVDOCID01"]) == {}
    clock.advance(2 * 3600)
    assert await carrier.tracking_numbers(["KRVDOCID01", "NEVERBOOKED"]) == {
        "KRVDOCID01": sandbox.shipments["KRVDOCID01"].doc_id
    }


async def test_polling_again_gives_the_same_events(carrier, clock, make_package):
    """The engine dedupes events by (time, status): an undated 'created' must not move."""
    booked_at = clock.now()
    await carrier.create_shipment(make_package("KRVSTABLE1"))
    clock.advance(600)
    first = await carrier.track(["KRVSTABLE1"])
    clock.advance(600)
    assert await carrier.track(["KRVSTABLE1"]) == first
    assert first["KRVSTABLE1"][0].at == booked_at
    clock.advance(3 * 3600)
    moved = await carrier.track(["KRVSTABLE1"])
    clock.advance(600)
    assert await carrier.track(["KRVSTABLE1"]) == moved


def test_the_connector_names_its_sandbox_class_for_the_demo():
    import importlib

    module, _, name = Yurtici.sandbox.partition(":")
    sandbox = getattr(importlib.import_module(module), name)()
    assert sandbox.name == "yurtici"
    settings = YurticiSettings.parse(sandbox.demo_settings("http://127.0.0.1:8123"))
    assert (
        settings.endpoint == "http://127.0.0.1:8123/KOPSWebServices/ShippingOrderDispatcherServices"
    )


async def test_works_over_loopback_as_the_demo_runs_it(make_package):
    from kervan_yurtici.sandbox import YurticiSandbox

    sandbox = YurticiSandbox()
    url = sandbox.serve("127.0.0.1", 0)
    try:
        context = ConnectorContext(tenant_id="t", connection_id="c", clock=sandbox.clock.now)
        connector = Yurtici(YurticiSettings.parse(sandbox.demo_settings(url)), context)
        booking = await connector.create_shipment(make_package("KRVLOOP001"))
        sandbox.clock.advance(4 * 3600)
        events = await connector.track([booking.cargo_key])
        assert TrackingStatus.PICKED_UP in statuses(events["KRVLOOP001"])
        await connector.aclose()
    finally:
        sandbox.stop()


async def test_booking_a_cancelled_cargo_key_again_is_a_conflict(carrier, make_package):
    from kervan.errors import ConflictError

    package = make_package("KRVCNLAGN1")
    await carrier.create_shipment(package)
    await carrier.cancel_shipment(package.cargo_key)
    with pytest.raises(ConflictError, match="new key"):
        await carrier.create_shipment(package)
