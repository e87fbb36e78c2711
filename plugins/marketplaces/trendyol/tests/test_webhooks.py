"""Webhook verification (x-api-key or Basic) and parsing of the pushed package."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from kervan import RecordProblem
from kervan.errors import InvalidInputError, InvalidResponseError
from kervan_trendyol import TrendyolSettings, parse_webhook, verify_webhook
from kervan_trendyol.webhooks import parse_webhook_all

SAMPLES = Path(__file__).parents[1] / "kervan_trendyol" / "samples" / "packages.json"
BASE = {"seller_id": "274901", "api_key": "k", "api_secret": "s"}


def package(index: int = 0) -> dict:
    return json.loads(SAMPLES.read_text(encoding="utf-8"))["content"][index]


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_api_key_webhook_is_verified_by_x_api_key():
    settings = TrendyolSettings(**BASE, webhook_api_key="hook-secret-1")
    assert verify_webhook({"X-Api-Key": "hook-secret-1"}, settings)
    assert not verify_webhook({"x-api-key": "hook-secret-2"}, settings)
    assert not verify_webhook({}, settings)


def test_basic_webhook_is_verified_by_authorization_header():
    settings = TrendyolSettings(
        **BASE,
        webhook_auth="BASIC_AUTHENTICATION",
        webhook_username="kervan",
        webhook_password="p@ss:word",
    )
    assert verify_webhook({"Authorization": basic("kervan", "p@ss:word")}, settings)
    assert not verify_webhook({"Authorization": basic("kervan", "nope")}, settings)
    assert not verify_webhook({"Authorization": basic("other", "p@ss:word")}, settings)
    assert not verify_webhook({"Authorization": "Basic !!notbase64"}, settings)
    assert not verify_webhook({"Authorization": "Bearer x"}, settings)
    assert not verify_webhook({"x-api-key": "p@ss:word"}, settings)


def test_without_webhook_credentials_every_call_is_refused():
    assert not verify_webhook({"x-api-key": ""}, TrendyolSettings(**BASE))


def test_webhook_mode_needs_its_credentials():
    with pytest.raises(ValueError, match="webhook_api_key"):
        TrendyolSettings(**BASE, webhook_auth="API_KEY")
    with pytest.raises(ValueError, match="webhook_username"):
        TrendyolSettings(**BASE, webhook_auth="BASIC_AUTHENTICATION")


def test_parse_webhook_maps_like_polling():
    pkg = package(1)
    order = parse_webhook(json.dumps(pkg).encode(), tenant_id="t1", connection_id="c1")
    assert order.id == f"c1:{pkg['shipmentPackageId']}"
    assert order.buyer.tax_id == pkg["invoiceAddress"]["taxNumber"]
    assert order.remote_status == "Created"


def test_parse_webhook_accepts_old_field_names():
    pkg = package(0)
    pkg["id"] = pkg.pop("shipmentPackageId")
    order = parse_webhook(json.dumps(pkg).encode(), tenant_id="t1", connection_id="c1")
    assert order.package_id == str(pkg["id"])


def test_parse_webhook_all_reads_lists_and_envelopes():
    body = SAMPLES.read_bytes()
    assert len(parse_webhook_all(body, tenant_id="t", connection_id="c")) == 4
    listed = json.dumps([package(0), package(2)]).encode()
    assert len(parse_webhook_all(listed, tenant_id="t", connection_id="c")) == 2
    with pytest.raises(InvalidInputError):
        parse_webhook(listed, tenant_id="t", connection_id="c")


@pytest.mark.parametrize("body", [b"", b"not json", b"[]", b'"text"', b"[1, 2]"])
def test_garbage_webhook_bodies_are_invalid_input(body):
    with pytest.raises(InvalidInputError):
        parse_webhook(body, tenant_id="t", connection_id="c")


def test_connector_webhook_methods_use_the_connection(sandbox):
    from .conftest import make_connector

    connector = make_connector(sandbox, webhook_api_key="hook-secret-9")
    assert connector.verify_webhook({"x-api-key": "hook-secret-9"})
    assert not connector.verify_webhook({"x-api-key": "other"})
    (order,) = connector.parse_webhook(json.dumps(package(2)).encode())
    assert order.id == f"c1:{package(2)['shipmentPackageId']}" and order.tenant_id == "t1"


def test_a_package_whose_parts_have_the_wrong_shape_is_a_problem_and_the_others_arrive():
    broken = {**package(1), "shipmentPackageId": 7003, "lines": "oops"}
    body = json.dumps([package(0), broken, "not a package", package(2)]).encode()
    items = parse_webhook_all(body, tenant_id="t", connection_id="c")
    orders = [i for i in items if not isinstance(i, RecordProblem)]
    problems = [i for i in items if isinstance(i, RecordProblem)]
    assert [o.package_id for o in orders] == [
        str(package(0)["shipmentPackageId"]),
        str(package(2)["shipmentPackageId"]),
    ]
    first, second = problems
    assert first.kind == "order" and first.remote_id == "7003" and first.raw == broken
    assert "7003 cannot be mapped (lines: not a list)" in first.reason
    assert package(1)["customerLastName"] not in first.reason  # names the part, not the buyer
    assert second.remote_id is None and second.raw == {"value": "not a package"}
    with pytest.raises(InvalidResponseError, match="7003 cannot be mapped"):
        parse_webhook(json.dumps(broken).encode(), tenant_id="t", connection_id="c")
