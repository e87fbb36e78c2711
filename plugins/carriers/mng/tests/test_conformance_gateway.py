"""Conformance, IBM API Connect in front of MNG: app keys, subscriptions, the 8-hour jwt, the
Identity error and plan rate limits, each in API Connect's own body ``{"httpCode",
"httpMessage", "moreInformation"}``. Raw HTTP; sources in the kervan_mng.sandbox docstring."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from kervan_mng import sandbox as mng
from kervan_mng.sandbox import CUSTOMER_NUMBER, MngSandbox

from .test_conformance import BASE, IBM, assert_error, login, session

HOUR = 3600


def assert_ibm(answer: httpx.Response, status: int, message: str, more: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json() == {
        "httpCode": str(status),
        "httpMessage": message,
        "moreInformation": more,
    }


async def test_wrong_app_keys_are_refused_by_the_gateway(clock):
    sandbox = MngSandbox(clock=clock)
    headers = {**IBM, "X-IBM-Client-Secret": "wrong"}
    async with httpx.AsyncClient(
        base_url=BASE, transport=sandbox.transport(), headers=headers
    ) as http:
        assert_ibm(
            await http.get("cbsinfoapi/getcities"),
            401,
            "Unauthorized",
            "Invalid client id or secret.",
        )


async def test_cbs_info_needs_no_jwt_but_the_other_products_do(clock):
    sandbox = MngSandbox(clock=clock)
    async with httpx.AsyncClient(base_url=BASE, transport=sandbox.transport(), headers=IBM) as http:
        assert (await http.get("cbsinfoapi/getcities")).status_code == 200
        assert_ibm(
            await http.get("standardqueryapi/getorder/X"),
            401,
            "Unauthorized",
            "Invalid or expired JWT.",
        )


async def test_the_jwt_expires_after_eight_hours(clock):
    async with session(MngSandbox(clock=clock)) as http:
        clock.advance(8 * HOUR - 60)
        assert (await http.get("standardqueryapi/getorder/NONE")).status_code == 404
        clock.advance(60)
        assert_ibm(
            await http.get("standardqueryapi/getorder/NONE"),
            401,
            "Unauthorized",
            "Invalid or expired JWT.",
        )
        await login(http)
        assert (await http.get("standardqueryapi/getorder/NONE")).status_code == 404


async def test_a_wrong_password_is_20013_with_http_401(clock):
    sandbox = MngSandbox(clock=clock)
    async with httpx.AsyncClient(base_url=BASE, transport=sandbox.transport(), headers=IBM) as http:
        answer = await http.post(
            "token",
            json={"customerNumber": CUSTOMER_NUMBER, "password": "nope", "identityType": 1},
        )
        assert_error(answer, 401, {"20013"})


async def test_a_product_the_app_is_not_subscribed_to_is_refused(clock):
    sandbox = MngSandbox(
        clock=clock, subscriptions={"Identity", "Standard Command", "Standard Query", "CBS Info"}
    )
    async with session(sandbox) as http:
        assert (await http.get("standardqueryapi/getorder/NONE")).status_code == 404
        assert_ibm(
            await http.get("bulkqueryapi/getShipmentByDate/20261207"),
            401,
            "Unauthorized",
            "Cannot find valid subscription for the incoming API request.",
        )


async def test_an_unknown_path_is_the_gateways_404(clock):
    async with session(MngSandbox(clock=clock)) as http:
        assert_ibm(
            await http.get("nosuchapi/anything"),
            404,
            "Not Found",
            "No resources match requested URI",
        )


async def test_a_plan_limit_answers_429_in_api_connects_shape_per_product(clock):
    limit = mng.PlanLimit(3, timedelta(minutes=1))
    sandbox = MngSandbox(clock=clock, plan_limits={"Standard Query": limit})
    async with session(sandbox) as http:
        for _ in range(3):
            assert (await http.get("standardqueryapi/getorder/NONE")).status_code == 404
        over = await http.get("standardqueryapi/trackshipment/NONE")  # same product, shared
        assert_ibm(over, 429, "Too Many Requests", "Rate Limit exceeded")
        assert "retry-after" not in over.headers
        assert (await http.get("cbsinfoapi/getcities")).status_code == 200  # another product
        clock.advance(60)
        assert (await http.get("standardqueryapi/getorder/NONE")).status_code == 404
    assert sandbox.gateway.throttled == ["Standard Query"]


async def test_the_default_plan_limit_covers_every_product(clock):
    sandbox = MngSandbox(clock=clock, plan_limits={"*": mng.PlanLimit(2, timedelta(seconds=10))})
    async with httpx.AsyncClient(base_url=BASE, transport=sandbox.transport(), headers=IBM) as http:
        statuses = [(await http.get("cbsinfoapi/getcities")).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_plan_limits_name_real_products():
    with pytest.raises(ValueError, match="unknown API products"):
        MngSandbox(plan_limits={"Standard Commands": None})
