"""Conformance of the MNG sandbox with the published REST contract, driven with raw HTTP.

Requests are written here from ../shared/reference/apis.md §8.4 (and its MNG correction) and
the public sources the kervan_mng.sandbox docstring names, not through Kervan's client or
connector. Each test is one documented behaviour. The other suites: test_conformance_requests
(request models), _returns (createReturnOrder), _updates (updateorder/updateshipment, the cancel
day), _bulk (Bulk Query), _gateway (API Connect), _outcomes (statuses 6, 7, 8).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from kervan_mng.sandbox import CLIENT_ID, CLIENT_SECRET, CUSTOMER_NUMBER, PASSWORD, MngSandbox
from kervan_sdk.sandbox import SimClock

BASE = "http://mng.sandbox/mngapi/api/"
IBM = {"X-IBM-Client-Id": CLIENT_ID, "X-IBM-Client-Secret": CLIENT_SECRET}


async def login(http: httpx.AsyncClient) -> None:
    """``POST /token``; the jwt goes in ``Authorization: Bearer`` (it lives 8 hours)."""
    answer = await http.post(
        "token",
        json={"customerNumber": CUSTOMER_NUMBER, "password": PASSWORD, "identityType": 1},
    )
    assert answer.status_code == 200, answer.text
    http.headers["Authorization"] = f"Bearer {answer.json()['jwt']}"


@asynccontextmanager
async def session(sandbox: MngSandbox) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the sandbox's ASGI app, logged in with ``POST /token``."""
    async with httpx.AsyncClient(base_url=BASE, transport=sandbox.transport(), headers=IBM) as http:
        await login(http)
        yield http


async def codes(http: httpx.AsyncClient, city_name: str) -> tuple[str, list[dict[str, Any]]]:
    """A city's code and its districts, from the CBS Info lists."""
    cities = (await http.get("cbsinfoapi/getcities")).json()
    (city,) = [c for c in cities if c["name"].split()[0] == city_name]
    return city["code"], (await http.get(f"cbsinfoapi/getdistricts/{city['code']}")).json()


def order(ref: str, city_code: Any, district_code: Any) -> dict[str, Any]:
    return {
        "order": {
            "referenceId": ref,
            "barcode": ref,
            "shipmentServiceType": 1,
            "packagingType": 3,
            "content": "Kitap",
            "description": "Kitap siparişi",
            "marketPlaceShortCode": "",
            "marketPlaceSaleCode": "",
            "paymentType": 1,
            "deliveryType": 1,
            "smsPreference1": 0,
            "smsPreference2": 0,
            "smsPreference3": 0,
            "isCOD": 0,
            "codAmount": 0,
        },
        "orderPieceList": [{"barcode": f"{ref}1", "desi": 2, "kg": 1, "content": "Kitap"}],
        "recipient": {
            "fullName": "Ayşe Yılmaz",
            "address": "Caferağa Mah. Moda Cad. No:5",
            "cityCode": city_code,
            "districtCode": district_code,
            "mobilePhoneNumber": "5321234567",
            "email": "ayse@example.com",
            "taxNumber": "11111111111",
        },
    }


def assert_error(answer: httpx.Response, status: int, codes: set[str]) -> None:
    """MNG's error envelope: 400 (model binding) in camelCase, the rest in PascalCase."""
    assert answer.status_code == status, answer.text
    body = answer.json()
    keys = (
        ("code", "message", "description") if status == 400 else ("Code", "Message", "Description")
    )
    assert set(body) == {"error"} and set(body["error"]) == set(keys), body
    code, _message, description = (body["error"][k] for k in keys)
    assert code in codes and description, body


@pytest.fixture
def clock() -> SimClock:
    return SimClock()


# -- destination not resolved yet (20001 / 20011) ----------------------------------------------


async def test_createbarcode_answers_destination_not_resolved_until_it_is(clock):
    sandbox = MngSandbox(clock=clock, unresolved_share=1.0, unresolved_for=timedelta(minutes=20))
    async with session(sandbox) as http:
        city, districts = await codes(http, "İSTANBUL")
        created = await http.post(
            "standardcmdapi/createOrder", json=order("CNF0000001", int(city), districts[0]["code"])
        )
        assert created.status_code == 200, created.text
        barcode = {
            "referenceId": "CNF0000001",
            "orderPieceList": order("x", 0, 0)["orderPieceList"],
        }
        first = await http.post("barcodecmdapi/createbarcode", json=barcode)
        assert_error(first, 500, {"20001", "20011"})
        clock.advance(10 * 60)
        assert_error(
            await http.post("barcodecmdapi/createbarcode", json=barcode), 500, {"20001", "20011"}
        )
        clock.advance(10 * 60)
        later = await http.post("barcodecmdapi/createbarcode", json=barcode)
        assert later.status_code == 200, later.text
        assert later.json()[0]["shipmentId"]


async def test_fresh_orders_resolve_at_once_by_default_and_a_share_waits(clock):
    sandbox = MngSandbox(clock=clock, seed=7, unresolved_share=0.5)
    answers = []
    async with session(sandbox) as http:
        city, districts = await codes(http, "ANKARA")
        for n in range(40):
            ref = f"CNFSHARE{n:02d}"
            created = await http.post(
                "standardcmdapi/createOrder", json=order(ref, city, districts[0]["code"])
            )
            assert created.status_code == 200, created.text
            answer = await http.post("barcodecmdapi/createbarcode", json={"referenceId": ref})
            answers.append(answer.status_code)
    held = answers.count(500)
    assert answers.count(200) + held == 40 and 8 <= held <= 32


# -- city and district codes (CBS Info) --------------------------------------------------------


async def test_createorder_takes_codes_from_the_cbs_lists(clock):
    sandbox = MngSandbox(clock=clock)
    async with session(sandbox) as http:
        city, districts = await codes(http, "İZMİR")
        ok = await http.post(
            "standardcmdapi/createOrder", json=order("CNFCODE001", city, districts[-1]["code"])
        )
        assert ok.status_code == 200, ok.text
        assert ok.json()[0]["referenceId"] == "CNFCODE001"


@pytest.mark.parametrize("city_code", [99, 100, "İstanbul", None])
async def test_createorder_refuses_a_city_code_not_in_getcities(clock, city_code):
    sandbox = MngSandbox(clock=clock)
    async with session(sandbox) as http:
        answer = await http.post(
            "standardcmdapi/createOrder", json=order("CNFCITY001", city_code, 1)
        )
        if city_code is None:  # a required field left out
            assert_error(answer, 400, {"4002"})
        else:
            assert_error(answer, 400, {"26101"})
        assert "CNFCITY001" not in sandbox.orders


async def test_createorder_refuses_a_district_code_not_in_that_citys_list(clock):
    sandbox = MngSandbox(clock=clock)
    async with session(sandbox) as http:
        city, districts = await codes(http, "BURSA")
        unknown = max(int(d["code"]) for d in districts) + 1
        answer = await http.post(
            "standardcmdapi/createOrder", json=order("CNFDIST001", city, unknown)
        )
        assert_error(answer, 400, {"26102"})
        assert "CNFDIST001" not in sandbox.orders


async def test_calculate_refuses_codes_not_in_the_cbs_lists(clock):
    sandbox = MngSandbox(clock=clock)
    async with session(sandbox) as http:
        city, districts = await codes(http, "İSTANBUL")
        body = {
            "shipmentServiceType": 1,
            "packagingType": 3,
            "paymentType": 1,
            "cityCode": "99",
            "districtCode": "1",
            "orderPieceList": [{"barcode": "P1", "desi": 2, "kg": 1, "content": "Kitap"}],
        }
        assert_error(await http.post("standardqueryapi/calculate", json=body), 400, {"26101"})
        body.update(cityCode=city, districtCode=districts[0]["code"])
        priced = await http.post("standardqueryapi/calculate", json=body)
        assert priced.status_code == 200 and priced.json()[0]["finalTotal"] > 0
