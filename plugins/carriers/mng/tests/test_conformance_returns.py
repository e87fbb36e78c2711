"""Conformance, return orders (``standardcmdapi/createReturnOrder``), with raw HTTP written from
the public clients named in the kervan_mng.sandbox docstring: the buyer is the ``shipper``, the
answer carries ``returnOrderLabelURL``, the shipment exists once the parcel is handed in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from kervan_mng.sandbox import MngSandbox

from .test_conformance import assert_error, codes, login, order, session

DAY = 24 * 3600


async def return_body(http: httpx.AsyncClient, ref: str) -> dict[str, Any]:
    """A return from a buyer in Kadıköy: ``order`` + ``orderPieceList`` + ``shipper``."""
    city, districts = await codes(http, "İSTANBUL")
    body = order(ref, int(city), int(districts[0]["code"]))
    body["shipper"] = body.pop("recipient")
    body["shipper"]["taxNumber"] = ""  # a buyer returning a parcel gives none
    body["order"].pop("pudoId", None)
    return body


async def test_a_return_order_answers_its_ids_and_a_label_link(clock):
    async with session(MngSandbox(clock=clock)) as http:
        answer = await http.post(
            "standardcmdapi/createReturnOrder", json=await return_body(http, "RTN0000001")
        )
        assert answer.status_code == 200, answer.text
        (row,) = answer.json()
        assert row["referenceId"] == "RTN0000001"
        assert row["orderInvoiceId"] and row["orderInvoiceDetailId"]
        assert row["returnOrderLabelURL"].startswith("https://mn.tc?rtnid=")


async def test_the_shipper_is_checked_like_a_recipient(clock):
    async with session(MngSandbox(clock=clock)) as http:
        body = await return_body(http, "RTN0000002")
        no_shipper = {k: v for k, v in body.items() if k != "shipper"}
        assert_error(
            await http.post("standardcmdapi/createReturnOrder", json=no_shipper), 400, {"4002"}
        )
        body["shipper"]["cityCode"] = 99
        assert_error(await http.post("standardcmdapi/createReturnOrder", json=body), 400, {"26101"})
        body["shipper"].update(cityCode=34, email="")
        assert_error(await http.post("standardcmdapi/createReturnOrder", json=body), 400, {"26039"})


async def test_a_registered_shipper_may_be_named_by_customer_id_alone(clock):
    async with session(MngSandbox(clock=clock)) as http:
        body = await return_body(http, "RTN0000003")
        body["shipper"] = {"customerId": "987654", "fullName": "", "address": ""}
        answer = await http.post("standardcmdapi/createReturnOrder", json=body)
        assert answer.status_code == 200, answer.text


async def test_the_same_return_reference_twice_is_3002(clock):
    async with session(MngSandbox(clock=clock)) as http:
        body = await return_body(http, "RTN0000004")
        assert (await http.post("standardcmdapi/createReturnOrder", json=body)).status_code == 200
        assert_error(await http.post("standardcmdapi/createReturnOrder", json=body), 500, {"3002"})


async def test_no_shipment_until_the_buyer_hands_the_parcel_in_then_it_travels_to_the_seller(
    clock,
):
    sandbox = MngSandbox(clock=clock, return_drop_off_after=timedelta(hours=6))
    async with session(sandbox) as http:
        await http.post(
            "standardcmdapi/createReturnOrder", json=await return_body(http, "RTN0000005")
        )
        assert (await http.get("standardqueryapi/getshipmentstatus/RTN0000005")).status_code == 404
        assert (await http.get("standardqueryapi/trackshipment/RTN0000005")).status_code == 404
        got = await http.get("standardqueryapi/getorder/RTN0000005")
        assert got.status_code == 200 and got.json()[0]["shipper"]["fullName"] == "Ayşe Yılmaz"
        clock.advance(6 * 3600)
        status = await http.get("standardqueryapi/getshipmentstatus/RTN0000005")
        assert status.status_code == 200, status.text
        assert status.json()[0]["shipmentStatusCode"] == 1 and status.json()[0]["shipmentId"]
        clock.advance(DAY + 6 * 3600)
        await login(http)  # the first jwt has expired
        delivered = (await http.get("standardqueryapi/getshipmentstatus/RTN0000005")).json()[0]
        assert delivered["shipmentStatusCode"] == 5 and delivered["isDelivered"] == 1
        events = (await http.get("standardqueryapi/trackshipment/RTN0000005")).json()
        assert [e["eventSequence"] for e in events] == [1, 2, 3, 4, 5]


async def test_a_return_is_not_turned_into_a_shipment_by_createbarcode(clock):
    async with session(MngSandbox(clock=clock)) as http:
        await http.post(
            "standardcmdapi/createReturnOrder", json=await return_body(http, "RTN0000006")
        )
        answer = await http.post("barcodecmdapi/createbarcode", json={"referenceId": "RTN0000006"})
        assert_error(answer, 500, {"3001"})


async def test_a_return_order_can_be_cancelled_before_the_drop_off_only(clock):
    sandbox = MngSandbox(clock=clock, return_drop_off_after=None)
    async with session(sandbox) as http:
        for ref in ("RTN0000007", "RTN0000008"):
            await http.post("standardcmdapi/createReturnOrder", json=await return_body(http, ref))
        assert (await http.put("standardcmdapi/cancelorder/RTN0000007")).status_code == 200
        assert (await http.get("standardqueryapi/getorder/RTN0000007")).json()[0]["isDeleted"]
        sandbox.hand_in_return("RTN0000008")
        assert_error(await http.put("standardcmdapi/cancelorder/RTN0000008"), 500, {"3005"})


async def test_a_parcel_handed_in_on_demand_travels_to_the_seller_and_ends_delivered(clock):
    sandbox = MngSandbox(clock=clock, return_drop_off_after=None)  # buyers act only when told
    async with session(sandbox) as http:
        await http.post(
            "standardcmdapi/createReturnOrder", json=await return_body(http, "RTN0000009")
        )
        clock.advance(3 * DAY)
        await login(http)  # the jwt lives 8 hours
        assert (await http.get("standardqueryapi/trackshipment/RTN0000009")).status_code == 404
        shipment = sandbox.hand_in_return("rtn0000009")  # the code as the buyer may say it
        events = (await http.get("standardqueryapi/trackshipment/RTN0000009")).json()
        assert [e["eventStatusEn"] for e in events] == ["Shipment Prepared"]
        clock.advance(31 * 3600)
        await login(http)
        events = (await http.get("standardqueryapi/trackshipment/RTN0000009")).json()
        assert events[-1]["eventStatusEn"] == "Delivered" and len(events) == 5
        status = (await http.get("standardqueryapi/getshipmentstatus/RTN0000009")).json()[0]
        assert status["shipmentId"] == shipment.shipment_id and status["isDelivered"] == 1
        assert sandbox.hand_in_return("RTN0000009") is shipment  # handed in once


async def test_only_an_open_return_order_can_be_handed_in(clock):
    sandbox = MngSandbox(clock=clock, return_drop_off_after=None)
    async with session(sandbox) as http:
        city, districts = await codes(http, "İSTANBUL")
        outbound = order("KRVOUT0001", int(city), int(districts[0]["code"]))
        assert (await http.post("standardcmdapi/createOrder", json=outbound)).status_code == 200
        await http.post(
            "standardcmdapi/createReturnOrder", json=await return_body(http, "RTN0000010")
        )
        await http.put("standardcmdapi/cancelorder/RTN0000010")
    for code in ("NOSUCH", "KRVOUT0001", "RTN0000010"):
        with pytest.raises(ValueError, match="not an open return order"):
            sandbox.hand_in_return(code)
