"""Conformance, Bulk Query: ``getShipmentByDate/{yyyyMMdd}`` and
``getDeliveredShipment/{dd-MM-yyyy}`` (404 = none; rows ``{shipment, shipmentPieceList,
shipper, recipient}``), with raw HTTP written from the sources in the sandbox docstring."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from kervan_mng.client import TR_TIME as TR
from kervan_mng.sandbox import MngSandbox
from kervan_sdk.sandbox import SimClock

from .test_conformance import assert_error, codes, login, order, session

HOUR = 3600
START = datetime(2026, 12, 7, 10, 0, tzinfo=TR)


async def ship(http: httpx.AsyncClient, ref: str) -> None:
    city, districts = await codes(http, "BURSA")
    body = order(ref, int(city), int(districts[0]["code"]))
    assert (await http.post("standardcmdapi/createOrder", json=body)).status_code == 200
    answer = await http.post("barcodecmdapi/createbarcode", json={"referenceId": ref})
    assert answer.status_code == 200, answer.text


async def test_shipments_by_date_lists_the_days_shipments_in_the_documented_shape():
    clock = SimClock(START)
    async with session(MngSandbox(clock=clock)) as http:
        await ship(http, "BLK0000001")
        await ship(http, "BLK0000002")
        answer = await http.get("bulkqueryapi/getShipmentByDate/20261207")
        assert answer.status_code == 200, answer.text
        rows = answer.json()
        assert {r["shipment"]["referenceId"] for r in rows} == {"BLK0000001", "BLK0000002"}
        row = rows[0]
        assert set(row) == {"shipment", "shipmentPieceList", "shipper", "recipient"}
        shipment = row["shipment"]
        for key in (
            "shipmentId",
            "shipmentDateTime",
            "shipmentStatusCode",
            "pieceCount",
            "totalKg",
            "totalDesi",
            "isCOD",
            "isDelivered",
        ):
            assert key in shipment, key
        assert shipment["shipmentStatusCode"] == 1 and shipment["shipmentDateTime"].startswith(
            "07-12-2026"
        )
        assert row["shipmentPieceList"][0]["barcode"] and row["recipient"]["fullName"]
        assert (await http.get("bulkqueryapi/getShipmentByDate/20261206")).status_code == 404


async def test_shipments_by_date_is_read_on_turkish_days():
    clock = SimClock(datetime(2026, 12, 7, 23, 30, tzinfo=TR))  # 20:30 UTC
    async with session(MngSandbox(clock=clock)) as http:
        await ship(http, "BLK0000003")
        clock.advance(HOUR)  # 00:30 in Istanbul, still the 7th in UTC
        assert (await http.get("bulkqueryapi/getShipmentByDate/20261208")).status_code == 404
        assert (await http.get("bulkqueryapi/getShipmentByDate/20261207")).status_code == 200


async def test_delivered_shipments_by_their_delivery_day():
    clock = SimClock(START)
    async with session(MngSandbox(clock=clock)) as http:
        await ship(http, "BLK0000004")
        assert (await http.get("bulkqueryapi/getDeliveredShipment/08-12-2026")).status_code == 404
        clock.advance(30 * HOUR)  # delivered 8 Dec 16:00
        await login(http)
        answer = await http.get("bulkqueryapi/getDeliveredShipment/08-12-2026")
        assert answer.status_code == 200, answer.text
        (row,) = answer.json()
        assert row["shipment"]["referenceId"] == "BLK0000004"
        assert row["shipment"]["isDelivered"] == 1
        assert row["shipment"]["deliveryDate"].startswith("08-12-2026 16:00")
        assert (await http.get("bulkqueryapi/getDeliveredShipment/07-12-2026")).status_code == 404


async def test_bulk_dates_must_be_in_their_documented_formats():
    clock = SimClock(START)
    async with session(MngSandbox(clock=clock)) as http:
        for path in (
            "bulkqueryapi/getShipmentByDate/07-12-2026",
            "bulkqueryapi/getShipmentByDate/2026127",
            "bulkqueryapi/getDeliveredShipment/20261208",
            "bulkqueryapi/getStatusChangedShipments/20261207/2026120710",
        ):
            assert_error(await http.get(path), 400, {"26150"})


async def test_a_cancelled_shipment_is_not_listed():
    clock = SimClock(START)
    sandbox = MngSandbox(clock=clock)
    async with session(sandbox) as http:
        await ship(http, "BLK0000005")
        await ship(http, "BLK0000006")
        shipment = sandbox.orders["BLK0000005"].shipment
        assert shipment is not None
        cancel = {"referenceId": "BLK0000005", "shipmentId": shipment.shipment_id}
        assert (await http.put("barcodecmdapi/cancelshipment", json=cancel)).status_code == 200
        listed = await http.get("bulkqueryapi/getShipmentByDate/20261207")
        assert [r["shipment"]["referenceId"] for r in listed.json()] == ["BLK0000006"]
        clock.advance(timedelta(days=2).total_seconds())
        await login(http)
        delivered = await http.get("bulkqueryapi/getDeliveredShipment/08-12-2026")
        assert [r["shipment"]["referenceId"] for r in delivered.json()] == ["BLK0000006"]
