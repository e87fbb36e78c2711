"""The connector's changes before pickup, by-day sweeps and 429 handling, against the sandbox
(return orders: test_returns.py)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from kervan import ConnectorContext
from kervan.domain import TrackingStatus
from kervan.errors import RemoteRejectedError, RemoteUnavailableError
from kervan_mng import Mng, MngSettings
from kervan_mng.client import TR_TIME
from kervan_mng.sandbox import MngSandbox, PlanLimit
from kervan_sdk.sandbox import Fault

BASE = "http://mng.sandbox"
API = "/mngapi/api"


async def test_amend_before_pickup_uses_updateorder_then_updateshipment(
    carrier, sandbox, clock, make_package
):
    sandbox.hold_destination("KRVAMEND01", timedelta(days=1))
    with pytest.raises(RemoteUnavailableError):  # the destination is not resolved for a day
        await carrier.create_shipment(make_package("KRVAMEND01"))
    heavier = make_package("KRVAMEND01", weight_kg=Decimal("6"), desi=Decimal("6"))
    await carrier.amend_shipment(heavier)
    assert sandbox.count("PUT", f"{API}/standardcmdapi/updateorder") == 1
    assert sandbox.orders["KRVAMEND01"].pieces[0]["kg"] == 6

    await carrier.create_shipment(make_package("KRVAMEND02"))
    ref = await carrier.amend_shipment(make_package("KRVAMEND02", weight_kg=Decimal("9")))
    assert ref.remote_id == sandbox.orders["KRVAMEND02"].shipment.shipment_id
    assert sandbox.count("PUT", f"{API}/barcodecmdapi/updateshipment") == 1
    assert sandbox.orders["KRVAMEND02"].pieces[0]["kg"] == 9
    clock.advance(2 * 3600)  # picked up
    with pytest.raises(RemoteRejectedError, match="3008"):
        await carrier.amend_shipment(make_package("KRVAMEND02"))


async def test_sweeps_by_day(carrier, sandbox, clock, make_package):
    await carrier.create_shipment(make_package("KRVSWEEP01"))
    await carrier.create_shipment(make_package("KRVSWEEP02"))
    today = clock.now().astimezone(TR_TIME).date()
    assert await carrier.shipments_on(today) == {
        "KRVSWEEP01": TrackingStatus.CREATED,
        "KRVSWEEP02": TrackingStatus.CREATED,
    }
    assert await carrier.shipments_on(today - timedelta(days=1)) == {}
    sandbox.force("KRVSWEEP02", TrackingStatus.DELIVERED)
    delivered = await carrier.delivered_on(clock.now().astimezone(TR_TIME).date())
    assert list(delivered) == ["KRVSWEEP02"]
    assert delivered["KRVSWEEP02"] is not None


async def test_quote_sends_the_cbs_codes_as_strings(carrier, sandbox, make_package):
    quote = await carrier.quote(make_package("KRVQUOTE01"))
    assert quote.price > 0


def connector(sandbox: MngSandbox, **settings: object) -> Mng:
    context = ConnectorContext(
        tenant_id="t1",
        connection_id="mng",
        transport=sandbox.transport(),
        clock=sandbox.clock.now,
        sleep=sandbox.clock.sleep,
    )
    return Mng(MngSettings.parse({**sandbox.demo_settings(BASE), **settings}), context)


async def test_a_429_from_the_plan_limit_is_retried_after_backing_off(clock, make_package):
    sandbox = MngSandbox(
        clock=clock, plan_limits={"Standard Query": PlanLimit(2, timedelta(minutes=1))}
    )
    carrier = connector(sandbox)
    try:
        start = clock.now()
        for n in range(4):
            await carrier.quote(make_package(f"KRV42900{n}"))
    finally:
        await carrier.aclose()
    assert sandbox.gateway.throttled, "the plan limit was reached"
    assert sandbox.count("POST", f"{API}/standardqueryapi/calculate") == 4 + len(
        sandbox.gateway.throttled
    )
    assert clock.now() - start >= timedelta(minutes=1)  # waited on the sandbox clock


async def test_a_known_plan_figure_paces_the_client_under_it(clock, make_package):
    sandbox = MngSandbox(clock=clock, plan_limits={"*": PlanLimit(3, timedelta(minutes=1))})
    carrier = connector(sandbox, plan_rate_limit=3)
    try:
        for n in range(5):
            await carrier.quote(make_package(f"KRVPACE0{n}"))
    finally:
        await carrier.aclose()
    assert sandbox.gateway.throttled == []
    assert sandbox.count("POST", f"{API}/standardqueryapi/calculate") == 5


async def test_a_retry_after_that_does_come_is_honoured(carrier, sandbox, clock, make_package):
    await carrier.quote(make_package("KRVWAIT001"))  # token and CBS lists fetched
    sandbox.faults.add(
        Fault("rate_limit", path=f"{API}/standardqueryapi/calculate", retry_after=90)
    )
    start = clock.now()
    quote = await carrier.quote(make_package("KRVWAIT002"))
    assert quote.price > 0
    assert timedelta(seconds=90) <= clock.now() - start < timedelta(seconds=120)


async def test_not_delivered_and_coming_back_are_tracked(carrier, sandbox, clock, make_package):
    await carrier.create_shipment(make_package("KRVBACK001"))
    sandbox.force("KRVBACK001", TrackingStatus.EXCEPTION)
    assert (await carrier.track(["KRVBACK001"]))["KRVBACK001"][-1].status is (
        TrackingStatus.EXCEPTION
    )
    sandbox.force("KRVBACK001", TrackingStatus.RETURNED)
    history = (await carrier.track(["KRVBACK001"]))["KRVBACK001"]
    assert [e.status for e in history][-2:] == [TrackingStatus.EXCEPTION, TrackingStatus.RETURNED]
