"""Conformance, changes before pickup: ``standardcmdapi/updateorder`` and
``barcodecmdapi/updateshipment`` (PUT; ``{referenceId, [shipmentId], billOfLandingId, isCOD,
codAmount, orderPieceList}``), and the cancel window of ``cancelshipment``. Raw HTTP written
from the sources in the kervan_mng.sandbox docstring."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from kervan_mng.client import TR_TIME as TR
from kervan_mng.sandbox import MngSandbox
from kervan_sdk.sandbox import SimClock

from .test_conformance import assert_error, codes, order, session

HOUR = 3600


async def registered(http: httpx.AsyncClient, ref: str) -> None:
    city, districts = await codes(http, "İZMİR")
    created = await http.post(
        "standardcmdapi/createOrder", json=order(ref, int(city), int(districts[0]["code"]))
    )
    assert created.status_code == 200, created.text


async def shipped(http: httpx.AsyncClient, ref: str) -> str:
    await registered(http, ref)
    answer = await http.post("barcodecmdapi/createbarcode", json={"referenceId": ref})
    assert answer.status_code == 200, answer.text
    shipment_id: str = answer.json()[0]["shipmentId"]
    return shipment_id


def update(ref: str, shipment_id: str | None = None, desi: Any = 4, kg: Any = 3) -> dict[str, Any]:
    body: dict[str, Any] = {"referenceId": ref}
    if shipment_id is not None:
        body["shipmentId"] = shipment_id
    body.update(
        billOfLandingId="IRS-2026-1",
        isCOD=0,
        codAmount=0,
        orderPieceList=[{"barcode": f"{ref}1", "desi": desi, "kg": kg, "content": "Kitap"}],
    )
    return body


async def test_updateorder_changes_the_pieces_of_an_order_not_yet_a_shipment(clock):
    async with session(MngSandbox(clock=clock)) as http:
        await registered(http, "UPD0000001")
        answer = await http.put("standardcmdapi/updateorder", json=update("UPD0000001"))
        assert answer.status_code == 200, answer.text
        got = (await http.get("standardqueryapi/getorder/UPD0000001")).json()[0]
        assert got["orderPieceList"][0]["desi"] == 4 and got["billOfLandingId"] == "IRS-2026-1"


async def test_updateorder_is_refused_for_an_unknown_order_or_once_it_is_a_shipment(clock):
    async with session(MngSandbox(clock=clock)) as http:
        assert_error(
            await http.put("standardcmdapi/updateorder", json=update("UPD0000404")), 500, {"3001"}
        )
        await shipped(http, "UPD0000002")
        assert_error(
            await http.put("standardcmdapi/updateorder", json=update("UPD0000002")), 500, {"3009"}
        )


async def test_updateshipment_changes_the_shipment_until_the_branch_accepts_it(clock):
    async with session(MngSandbox(clock=clock)) as http:
        shipment_id = await shipped(http, "UPD0000003")
        answer = await http.put(
            "barcodecmdapi/updateshipment", json=update("UPD0000003", shipment_id, desi=7, kg=5)
        )
        assert answer.status_code == 200, answer.text
        day = clock.now().astimezone(TR).strftime("%Y%m%d")
        rows = (await http.get(f"bulkqueryapi/getShipmentByDate/{day}")).json()
        (row,) = [r for r in rows if r["shipment"]["referenceId"] == "UPD0000003"]
        assert row["shipmentPieceList"][0]["desi"] == 7 and row["shipment"]["totalKg"] == 5
        clock.advance(2 * HOUR)  # picked up
        assert_error(
            await http.put("barcodecmdapi/updateshipment", json=update("UPD0000003", shipment_id)),
            500,
            {"3008"},
        )


async def test_updateshipment_needs_the_right_shipment_and_int32_pieces(clock):
    async with session(MngSandbox(clock=clock)) as http:
        shipment_id = await shipped(http, "UPD0000004")
        assert_error(
            await http.put("barcodecmdapi/updateshipment", json=update("UPD0000004", "1")),
            500,
            {"3004"},
        )
        assert_error(
            await http.put(
                "barcodecmdapi/updateshipment", json=update("UPD0000004", shipment_id, desi=1.5)
            ),
            400,
            {"4002"},
        )
        cancel = {"referenceId": "UPD0000004", "shipmentId": shipment_id}
        assert (await http.put("barcodecmdapi/cancelshipment", json=cancel)).status_code == 200
        assert_error(
            await http.put("barcodecmdapi/updateshipment", json=update("UPD0000004", shipment_id)),
            500,
            {"3006"},
        )


async def test_cancelshipment_only_on_the_day_the_barcode_was_printed():
    clock = SimClock(datetime(2026, 12, 7, 23, 0, tzinfo=TR))  # 23:00 in Istanbul
    async with session(MngSandbox(clock=clock)) as http:
        today = {"referenceId": "UPD0000005", "shipmentId": await shipped(http, "UPD0000005")}
        late = {"referenceId": "UPD0000006", "shipmentId": await shipped(http, "UPD0000006")}
        clock.advance(HOUR / 2)  # 23:30, same day, not picked up
        assert (await http.put("barcodecmdapi/cancelshipment", json=today)).status_code == 200
        clock.advance(HOUR)  # 00:30 next day, still not picked up (pickup at 01:00)
        assert_error(await http.put("barcodecmdapi/cancelshipment", json=late), 500, {"3007"})
