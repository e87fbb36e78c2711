"""What the MNG client sends (paths, headers, bodies) against the documented REST shapes."""

from __future__ import annotations

import json

import httpx
import pytest
from kervan import ConnectorContext
from kervan.errors import AuthError
from kervan_mng import Mng, MngSettings
from kervan_mng.sandbox import CLIENT_ID, CLIENT_SECRET

BASE = "http://mng.sandbox"


class Recorder(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        return await self.inner.handle_async_request(request)


@pytest.fixture
async def recorded(sandbox, clock):
    recorder = Recorder(sandbox.transport())
    context = ConnectorContext(
        tenant_id="t1", connection_id="mng", transport=recorder, clock=clock.now, sleep=clock.sleep
    )
    connector = Mng(MngSettings.parse(sandbox.demo_settings(BASE)), context)
    yield connector, recorder
    await connector.aclose()


def paths(recorder: Recorder) -> list[str]:
    return [f"{r.method} {r.url.path.removeprefix('/mngapi/api')}" for r in recorder.requests]


async def test_token_flow_and_headers_on_every_call(recorded, make_package):
    connector, recorder = recorded
    await connector.create_shipment(make_package("KRVHDR0001"))
    assert paths(recorder) == [
        "POST /token",
        "GET /cbsinfoapi/getcities",
        "GET /cbsinfoapi/getdistricts/34",
        "POST /standardcmdapi/createOrder",
        "POST /barcodecmdapi/createbarcode",
    ]
    for request in recorder.requests:
        assert request.headers["x-ibm-client-id"] == CLIENT_ID
        assert request.headers["x-ibm-client-secret"] == CLIENT_SECRET
    token = recorder.requests[0]
    assert json.loads(token.content) == {
        "customerNumber": "312947702",
        "password": "demo-password",
        "identityType": 1,
    }
    assert "authorization" not in token.headers
    for request in recorder.requests[1:]:
        assert request.headers["authorization"].startswith("Bearer eyJ")


async def test_create_order_body_is_the_documented_shape(recorded, make_package):
    connector, recorder = recorded
    await connector.create_shipment(make_package("krvbody001", parcel_count=2))
    body = json.loads(recorder.requests[3].content)
    assert set(body) == {"order", "orderPieceList", "recipient"}
    order = body["order"]
    assert order["referenceId"] == order["barcode"] == "KRVBODY001", (
        "MNG keeps references upper-case"
    )
    for key, value in {
        "shipmentServiceType": 1,
        "packagingType": 3,
        "paymentType": 1,
        "deliveryType": 1,
        "isCOD": 0,
        "codAmount": 0,
    }.items():
        assert order[key] == value
    assert {
        "content",
        "description",
        "smsPreference1",
        "smsPreference2",
        "smsPreference3",
        "marketPlaceShortCode",
        "marketPlaceSaleCode",
        "pudoId",
    } <= set(order)
    assert body["orderPieceList"] == [
        {"barcode": "KRVBODY001-1", "desi": 2, "kg": 2, "content": "Kitap"},
        {"barcode": "KRVBODY001-2", "desi": 2, "kg": 2, "content": "Kitap"},
    ]
    recipient = body["recipient"]
    assert (recipient["cityCode"], recipient["cityName"], recipient["districtName"]) == (
        34,
        "İstanbul",
        "Kadıköy",
    )
    assert isinstance(recipient["districtCode"], int)
    assert recipient["fullName"] == "Ayşe Yılmaz"
    assert recipient["mobilePhoneNumber"] == "5321234567", "10 digits, no 0 or +90"
    assert recipient["email"] == "ayse@example.com"
    assert recipient["taxNumber"] == "11111111111"
    barcode = json.loads(recorder.requests[4].content)
    assert barcode["referenceId"] == "KRVBODY001"
    assert [p["barcode"] for p in barcode["orderPieceList"]] == ["KRVBODY001-1", "KRVBODY001-2"]


async def test_one_token_serves_many_calls_until_it_expires(recorded, clock, make_package):
    connector, recorder = recorded
    await connector.create_shipment(make_package("KRVTOKEN01"))
    await connector.track(["KRVTOKEN01"])
    assert paths(recorder).count("POST /token") == 1
    clock.advance(8 * 3600)  # the jwt lives 8 hours: a new one is fetched before it lapses
    await connector.track(["KRVTOKEN01"])
    assert paths(recorder).count("POST /token") == 2


async def test_a_revoked_token_is_refreshed_once_on_401(recorded, sandbox, make_package):
    connector, recorder = recorded
    await connector.create_shipment(make_package("KRVREVOKE1"))
    sandbox.expire_tokens()
    events = await connector.track(["KRVREVOKE1"])
    assert events["KRVREVOKE1"]
    assert paths(recorder).count("POST /token") == 2
    assert [r.status for r in sandbox.requests].count(401) == 1


async def test_wrong_customer_password_is_an_auth_error(sandbox, context, make_package):
    settings = {**sandbox.demo_settings(BASE), "password": "nope-nope"}
    connector = Mng(MngSettings.parse(settings), context)
    with pytest.raises(AuthError) as info:
        await connector.create_shipment(make_package())
    assert "nope-nope" not in str(info.value)
    assert not (await connector.check()).ok
    await connector.aclose()


async def test_wrong_app_secret_is_an_auth_error(sandbox, context, make_package):
    connector = Mng(
        MngSettings.parse({**sandbox.demo_settings(BASE), "client_secret": "bad"}), context
    )
    with pytest.raises(AuthError):
        await connector.quote(make_package())
    await connector.aclose()


async def test_check_passes_with_good_credentials(carrier):
    result = await carrier.check()
    assert result.ok and result.details["cities"] == 81
