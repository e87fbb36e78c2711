"""Conformance, the statuses after "out to the address" that are not a delivery: 6 not
delivered, 7 coming back, 8 support needed (apis.md §8.4), read with raw HTTP."""

from __future__ import annotations

import httpx
from kervan_mng.sandbox import MngSandbox

from .test_conformance import codes, login, order, session

HOUR = 3600


async def shipped(http: httpx.AsyncClient, ref: str) -> None:
    city, districts = await codes(http, "KONYA")
    body = order(ref, int(city), int(districts[0]["code"]))
    assert (await http.post("standardcmdapi/createOrder", json=body)).status_code == 200
    answer = await http.post("barcodecmdapi/createbarcode", json={"referenceId": ref})
    assert answer.status_code == 200, answer.text


async def where(http: httpx.AsyncClient, ref: str) -> tuple[int, int, set[str]]:
    """(getshipmentstatus code, number of trackshipment events, their names), never delivered."""
    await login(http)
    status = (await http.get(f"standardqueryapi/getshipmentstatus/{ref}")).json()[0]
    events = (await http.get(f"standardqueryapi/trackshipment/{ref}")).json()
    assert status["isDelivered"] == 0 and status["deliveryDateTime"] is None
    return status["shipmentStatusCode"], len(events), {e["eventStatus"] for e in events}


async def test_a_parcel_not_delivered_reports_6_then_comes_back_as_7(clock):
    sandbox = MngSandbox(clock=clock)
    sandbox.set_outcome("OUT0000001", "undelivered")
    async with session(sandbox) as http:
        await shipped(http, "OUT0000001")
        clock.advance(31 * HOUR)
        code, seen, names = await where(http, "OUT0000001")
        assert (code, seen) == (6, 5) and "Teslim Edilemedi" in names
        clock.advance(10 * HOUR)
        code, seen, names = await where(http, "OUT0000001")
        assert (code, seen) == (7, 6) and "Geri Geliyor" in names


async def test_a_parcel_needing_support_reports_8(clock):
    sandbox = MngSandbox(clock=clock)
    async with session(sandbox) as http:
        await shipped(http, "OUT0000002")
        sandbox.set_outcome("OUT0000002", "support")
        clock.advance(31 * HOUR)
        code, seen, names = await where(http, "OUT0000002")
        assert (code, seen) == (8, 5) and "Destek Gerekiyor" in names


async def test_a_share_of_parcels_is_not_delivered(clock):
    sandbox = MngSandbox(clock=clock, seed=3, undelivered_share=0.5)
    async with session(sandbox) as http:
        for n in range(20):
            await shipped(http, f"OUTSHARE{n:02d}")
        clock.advance(31 * HOUR)
        await login(http)
        codes_seen = [
            (await http.get(f"standardqueryapi/getshipmentstatus/OUTSHARE{n:02d}")).json()[0][
                "shipmentStatusCode"
            ]
            for n in range(20)
        ]
    assert set(codes_seen) == {5, 6} and 4 <= codes_seen.count(6) <= 16
