"""Conformance, request models: what createOrder and calculate accept and refuse, with raw HTTP
written from MNG's published request models (sources: the kervan_mng.sandbox docstring)."""

from __future__ import annotations

from typing import Any

import pytest
from kervan_mng.sandbox import MngSandbox

from .test_conformance import assert_error, codes, order, session


async def create(sandbox: MngSandbox, change: Any) -> Any:
    """createOrder for a valid Istanbul order after ``change(body)`` edits it."""
    async with session(sandbox) as http:
        city, districts = await codes(http, "İSTANBUL")
        body = order("CNFMODEL01", int(city), int(districts[0]["code"]))
        change(body)
        return await http.post("standardcmdapi/createOrder", json=body)


def setting(part: str, **values: Any) -> Any:
    return lambda body: body[part].update(values)


def dropping(part: str, key: str) -> Any:
    return lambda body: body[part].pop(key)


async def test_a_complete_order_is_registered_and_answered_in_a_one_element_array(clock):
    answer = await create(MngSandbox(clock=clock), lambda body: None)
    assert answer.status_code == 200, answer.text
    (row,) = answer.json()
    assert row["referenceId"] == "CNFMODEL01"
    assert {"orderInvoiceId", "orderInvoiceDetailId", "shipperBranchCode"} <= set(row)


async def test_barcode_must_be_the_reference(clock):
    answer = await create(MngSandbox(clock=clock), setting("order", barcode="OTHER"))
    assert_error(answer, 400, {"26103"})


@pytest.mark.parametrize("field", ["content", "description"])
@pytest.mark.parametrize("value", ["", "   ", None])
async def test_content_and_description_are_required_and_not_empty(clock, field, value):
    answer = await create(MngSandbox(clock=clock), setting("order", **{field: value}))
    assert_error(answer, 400, {"4002"})


async def test_marketplace_short_code_is_required_even_when_empty(clock):
    assert_error(
        await create(MngSandbox(clock=clock), dropping("order", "marketPlaceShortCode")),
        400,
        {"26029"},
    )
    assert_error(
        await create(MngSandbox(clock=clock), setting("order", marketPlaceShortCode="AMZN")),
        400,
        {"26029"},
    )
    trendyol = await create(MngSandbox(clock=clock), setting("order", marketPlaceShortCode="TRND"))
    assert trendyol.status_code == 200, trendyol.text


@pytest.mark.parametrize("email", ["", "ayse", "ayse@example"])
async def test_recipient_email_must_be_an_address(clock, email):
    answer = await create(MngSandbox(clock=clock), setting("recipient", email=email))
    assert_error(answer, 400, {"26039"})


@pytest.mark.parametrize("phone", ["05321234567", "+905321234567", "532123456"])
async def test_mobile_is_ten_digits_without_zero_or_country_code(clock, phone):
    answer = await create(MngSandbox(clock=clock), setting("recipient", mobilePhoneNumber=phone))
    assert_error(answer, 400, {"26106"})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("paymentType", 3),  # "CreateOrder does not apply to payment type 3"
        ("packagingType", 5),
        ("shipmentServiceType", 2),
        ("deliveryType", 3),
        ("isCOD", 2),
    ],
)
async def test_enum_fields_take_only_their_documented_values(clock, field, value):
    answer = await create(MngSandbox(clock=clock), setting("order", **{field: value}))
    assert_error(answer, 400, {"26104"})


@pytest.mark.parametrize(("field", "value"), [("evening", 8), ("same day", 7)])
async def test_other_service_types_are_accepted(clock, field, value):
    answer = await create(MngSandbox(clock=clock), setting("order", shipmentServiceType=value))
    assert answer.status_code == 200, (field, answer.text)


@pytest.mark.parametrize("value", [2.5, "2", True])
async def test_desi_and_kg_are_int32(clock, value):
    def piece(body: dict[str, Any]) -> None:
        body["orderPieceList"][0]["desi"] = value

    answer = await create(MngSandbox(clock=clock), piece)
    assert_error(answer, 400, {"4002"})
    assert "Int32" in answer.json()["error"]["description"]


async def test_a_registered_customer_id_excludes_the_name(clock):
    answer = await create(MngSandbox(clock=clock), setting("recipient", customerId="12345"))
    assert_error(answer, 400, {"26105"})


async def test_an_empty_tax_number_is_26056_with_http_500(clock):
    answer = await create(MngSandbox(clock=clock), setting("recipient", taxNumber=""))
    assert_error(answer, 500, {"26056"})


async def test_the_same_reference_twice_is_3002(clock):
    sandbox = MngSandbox(clock=clock)
    assert (await create(sandbox, lambda body: None)).status_code == 200
    assert_error(await create(sandbox, lambda body: None), 500, {"3002"})


def priced(city: Any, district: Any) -> dict[str, Any]:
    return {
        "shipmentServiceType": 1,
        "packagingType": 3,
        "paymentType": 1,
        "pickUpType": 1,
        "deliveryType": 1,
        "cityCode": city,
        "districtCode": district,
        "address": "Moda Cad. No:5",
        "orderPieceList": [{"barcode": "P1", "desi": 2, "kg": 1, "content": "Kitap"}],
    }


async def test_calculate_binds_city_and_district_codes_as_strings(clock):
    async with session(MngSandbox(clock=clock)) as http:
        city, districts = await codes(http, "ANKARA")
        district = districts[0]["code"]
        as_numbers = await http.post(
            "standardqueryapi/calculate", json=priced(int(city), int(district))
        )
        assert_error(as_numbers, 400, {"4002"})
        assert "System.String" in as_numbers.json()["error"]["description"]
        as_strings = await http.post("standardqueryapi/calculate", json=priced(city, district))
        assert as_strings.status_code == 200, as_strings.text
        assert as_strings.json()[0]["finalTotal"] > 0
