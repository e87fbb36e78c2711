"""Fidelity: the sandbox answers like Trendyol's documented API, and the client asks like
Trendyol's integration team expects (paths, headers, field names, status values, errors)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from kervan.errors import AuthError, ConflictError, RateLimitedError, RemoteRejectedError
from kervan_trendyol.mapping import to_epoch_ms
from kervan_trendyol.sandbox import API_KEY, API_SECRET, SELLER_ID, TrendyolSandbox

from .conftest import fetch, make_connector

ORDERS = f"/integration/order/sellers/{SELLER_ID}/orders"
PACKAGE = f"/integration/order/sellers/{SELLER_ID}/shipment-packages/{{}}"
LINKS = f"/integration/sellers/{SELLER_ID}/seller-invoice-links"
STOCK = f"/integration/inventory/sellers/{SELLER_ID}/products/price-and-inventory"
AGENT = f"{SELLER_ID} - SelfIntegration"
NEW_PACKAGE_FIELDS = {
    "shipmentPackageId",
    "orderNumber",
    "packageGrossAmount",
    "packageSellerDiscount",
    "packageTyDiscount",
    "packageTotalDiscount",
    "packageTotalPrice",
    "invoiceAddress",
    "shipmentAddress",
    "customerFirstName",
    "customerLastName",
    "customerEmail",
    "customerId",
    "cargoTrackingNumber",
    "cargoProviderName",
    "lines",
    "orderDate",
    "lastModifiedDate",
    "packageHistories",
    "status",
    "shipmentPackageStatus",
    "currencyCode",
    "commercial",
    "micro",
    "deliveryAddressType",
    "createdBy",
    "originPackageIds",
    "supplierId",
}
NEW_LINE_FIELDS = {
    "lineId",
    "quantity",
    "barcode",
    "stockCode",
    "productName",
    "contentId",
    "sellerId",
    "lineGrossAmount",
    "lineSellerDiscount",
    "lineTyDiscount",
    "lineTotalDiscount",
    "lineUnitPrice",
    "vatRate",
    "currencyCode",
    "orderLineItemStatusName",
    "discountDetails",
}
OLD_NAMES = {
    "id",
    "merchantSku",
    "amount",
    "discount",
    "price",
    "vatBaseAmount",
    "grossAmount",
    "totalPrice",
    "totalDiscount",
    "productCode",
    "merchantId",
    "sku",
}
STATUSES = {
    "Awaiting",
    "Created",
    "Picking",
    "Invoiced",
    "Shipped",
    "AtCollectionPoint",
    "Cancelled",
    "UnPacked",
    "Delivered",
    "UnDelivered",
    "Returned",
    "UnSupplied",
}


def auth(user: str = API_KEY, password: str = API_SECRET) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def raw(sandbox: TrendyolSandbox, **headers: str) -> httpx.AsyncClient:
    base = {"User-Agent": AGENT, "Authorization": auth()}
    base.update(headers)
    return httpx.AsyncClient(
        base_url="http://trendyol.sandbox",
        transport=sandbox.transport(),
        headers={k: v for k, v in base.items() if v},
    )


def assert_error_body(response: httpx.Response, status: int, key: str | None = None) -> None:
    assert response.status_code == status
    body = response.json()
    if "errors" not in body:  # the order and invoice services answer ``{error, message}``
        assert body["message"]
        if key:
            assert body["error"] == key
        return
    (error,) = body["errors"]
    assert set(error) == {"key", "message", "errorCode"}
    assert error["errorCode"] == str(status)
    assert error["message"]
    if key:
        assert error["key"] == key


# -- gateway ---------------------------------------------------------------------------------


async def test_bad_credentials_get_401_client_api_authentication_exception(sandbox):
    async with raw(sandbox, Authorization=auth(password="wrong")) as http:
        response = await http.get(ORDERS)
    assert response.status_code == 401
    assert response.json()["exception"] == "ClientApiAuthenticationException"


async def test_another_sellers_path_is_refused(sandbox):
    async with raw(sandbox) as http:
        # the User-Agent names the path's seller, the credentials are another seller's
        response = await http.get(
            "/integration/order/sellers/999/orders", headers={"User-Agent": "999 - Kervan"}
        )
    assert response.status_code == 401


async def test_a_user_agent_naming_another_seller_gets_403(sandbox):
    async with raw(sandbox) as http:
        response = await http.get(ORDERS, headers={"User-Agent": "999 - Kervan"})
    assert response.status_code == 403


@pytest.mark.parametrize("agent", ["", "python-httpx/0.28", "274901 - Has Space", "x - Kervan"])
async def test_missing_or_malformed_user_agent_gets_403(sandbox, agent):
    async with raw(sandbox) as http:
        response = await http.get(ORDERS, headers={"User-Agent": agent})
    assert response.status_code == 403


async def test_51st_request_in_10_seconds_gets_429_too_many_requests(sandbox):
    async with raw(sandbox) as http:
        statuses = [(await http.get(ORDERS, params={"size": 1})).status_code for _ in range(51)]
        assert statuses[:50] == [200] * 50
        assert statuses[50] == 429
        response = await http.get(ORDERS, params={"size": 1})
        assert "too.many.requests" in response.text
        # the limit is per endpoint: another endpoint is still open
        assert (await http.get(f"/integration/order/sellers/{SELLER_ID}/claims")).status_code == 200
        sandbox.clock.advance(10)
        assert (await http.get(ORDERS, params={"size": 1})).status_code == 200


async def test_client_sends_basic_auth_and_integrator_user_agent(sandbox):
    seen: list[httpx.Request] = []
    connector = make_connector(sandbox, integrator_name="Kervan")
    inner = connector.client._http._transport

    class Spy(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return await inner.handle_async_request(request)

    connector.client._http._transport = Spy()
    await fetch(connector)
    request = seen[0]
    assert request.headers["user-agent"] == f"{SELLER_ID} - Kervan"
    assert request.headers["authorization"] == auth()
    assert request.url.path == ORDERS
    params = request.url.params
    assert params["orderByField"] == "PackageLastModifiedDate"
    assert params["orderByDirection"] == "DESC"
    assert int(params["size"]) <= 200
    assert int(params["endDate"]) - int(params["startDate"]) <= 14 * 24 * 3600 * 1000
    await connector.aclose()


# -- getShipmentPackages ----------------------------------------------------------------------


async def test_package_page_has_documented_envelope_and_new_field_names(sandbox):
    async with raw(sandbox) as http:
        body = (await http.get(ORDERS, params={"size": 5, "page": 0})).json()
    assert set(body) == {"page", "size", "totalPages", "totalElements", "content"}
    assert (body["page"], body["size"], body["totalElements"], body["totalPages"]) == (0, 5, 12, 3)
    for pkg in body["content"]:
        assert set(pkg) >= NEW_PACKAGE_FIELDS
        assert not OLD_NAMES & set(pkg)
        assert pkg["status"] in STATUSES
        for line in pkg["lines"]:
            assert set(line) >= NEW_LINE_FIELDS
            assert not OLD_NAMES & set(line)
            assert len(line["discountDetails"]) == line["quantity"]


async def test_v2_orders_path_is_served_too(sandbox):
    async with raw(sandbox) as http:
        response = await http.get(f"/integration/order/sellers/{SELLER_ID}/v2/orders")
    assert response.status_code == 200 and response.json()["totalElements"] == 12


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"size": 201}, "invalid.size"),
        ({"page": 50, "size": 200}, "maxQueryWindowResult"),
        ({"startDate": 0, "endDate": 15 * 24 * 3600 * 1000}, "invalid.date.range"),
        ({"startDate": 2_000, "endDate": 1_000}, "invalid.date.range"),
        ({"orderByField": "OrderDate"}, "invalid.orderByField"),
        ({"orderByDirection": "UP"}, "invalid.orderByDirection"),
    ],
)
async def test_paging_and_date_window_rules(sandbox, params, key):
    async with raw(sandbox) as http:
        response = await http.get(ORDERS, params=params)
    assert_error_body(response, 400, key)


async def test_status_filter_takes_one_documented_status(sandbox):
    pid = next(iter(sandbox.packages))
    sandbox.set_status(pid, "Cancelled")
    async with raw(sandbox) as http:
        body = (await http.get(ORDERS, params={"status": "Cancelled"})).json()
        assert [p["shipmentPackageId"] for p in body["content"]] == [pid]
        for bad in ("Cancelled,UnSupplied", "UnPacked", "Bogus"):
            assert_error_body(await http.get(ORDERS, params={"status": bad}), 400, "invalid.status")


# -- package actions -------------------------------------------------------------------------


def lines_of(sandbox: TrendyolSandbox, pid: int) -> list[dict[str, Any]]:
    return [
        {"lineId": x["lineId"], "quantity": x["quantity"]} for x in sandbox.packages[pid]["lines"]
    ]


@pytest.mark.parametrize(
    ("start", "target", "ok"),
    [
        ("Created", "Picking", True),
        ("Created", "Invoiced", True),
        ("Picking", "Invoiced", True),
        ("Picking", "Picking", False),
        ("Invoiced", "Picking", False),
        ("Shipped", "Invoiced", False),
        ("Awaiting", "Picking", False),
        ("Created", "Shipped", False),
        ("Created", "Delivered", False),
    ],
)
async def test_only_documented_status_transitions_are_allowed(sandbox, start, target, ok):
    pid = next(iter(sandbox.packages))
    sandbox.packages[pid]["status"] = start
    body = {
        "lines": lines_of(sandbox, pid),
        "params": {"invoiceNumber": "KRV2026000000001"},
        "status": target,
    }
    async with raw(sandbox) as http:
        response = await http.put(PACKAGE.format(pid), json=body)
    if ok:
        assert response.status_code == 200
        assert sandbox.packages[pid]["status"] == target
    else:
        assert_error_body(response, 400)
        assert sandbox.packages[pid]["status"] == start


async def test_invoiced_needs_no_invoice_number_nor_lines(sandbox):
    """Only ``status`` is required by updatePackageStatus; lines and params are optional."""
    pid = next(iter(sandbox.packages))
    async with raw(sandbox) as http:
        response = await http.put(PACKAGE.format(pid), json={"status": "Invoiced"})
    assert response.status_code == 200
    assert sandbox.packages[pid]["status"] == "Invoiced"


async def test_second_invoice_link_gets_409_and_reused_link_gets_409(sandbox):
    first, second = list(sandbox.packages)[:2]
    when = sandbox.now_ms()
    async with raw(sandbox) as http:
        body = {
            "invoiceLink": "https://e.example/a.pdf",
            "shipmentPackageId": first,
            "invoiceDateTime": when,
            "invoiceNumber": "KRV2026000000001",
        }
        assert (await http.post(LINKS, json=body)).status_code == 201
        again = await http.post(LINKS, json={**body, "invoiceLink": "https://e.example/b.pdf"})
        assert_error_body(again, 409, "invoice.already.exists")
        reused = await http.post(LINKS, json={**body, "shipmentPackageId": second})
        assert_error_body(reused, 409, "invoiceLink.already.used")


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"invoiceDateTime": 123}, "invoiceDateTime.invalid"),
        ({"invoiceNumber": "ABC123"}, "invoiceNumber.invalid"),
        ({"invoiceLink": "not a url"}, "invoiceLink.invalid"),
        ({"shipmentPackageId": 1}, "shipment.package.not.found"),
    ],
)
async def test_invoice_link_validation(sandbox, change, key):
    pid = next(iter(sandbox.packages))
    body = {
        "invoiceLink": "https://e.example/x.pdf",
        "shipmentPackageId": pid,
        "invoiceDateTime": sandbox.now_ms(),
        **change,
    }
    async with raw(sandbox) as http:
        assert_error_body(await http.post(LINKS, json=body), 400, key)


async def test_future_invoice_date_is_refused(sandbox):
    pid = next(iter(sandbox.packages))
    future = sandbox.now_ms() + 86_400_000
    async with raw(sandbox) as http:
        response = await http.post(
            LINKS,
            json={
                "invoiceLink": "https://e.example/f.pdf",
                "shipmentPackageId": pid,
                "invoiceDateTime": future,
            },
        )
    assert_error_body(response, 400, "invoiceDateTime.future")


# -- stock and price ---------------------------------------------------------------------------


async def test_more_than_1000_items_per_stock_request_is_refused(sandbox):
    items = [{"barcode": f"B{i}", "quantity": 1} for i in range(1001)]
    async with raw(sandbox) as http:
        assert_error_body(await http.post(STOCK, json={"items": items}), 400, "items.size.exceeded")


async def test_identical_stock_request_within_15_minutes_is_refused(sandbox):
    barcode = next(iter(sandbox.products))
    body = {"items": [{"barcode": barcode, "quantity": 3, "salePrice": 99.0, "listPrice": 120.0}]}
    async with raw(sandbox) as http:
        first = await http.post(STOCK, json=body)
        assert set(first.json()) == {"batchRequestId"}
        again = await http.post(STOCK, json=body)
        assert_error_body(again, 400, "duplicate.request")
        assert "15 dakika" in again.json()["errors"][0]["message"]
        sandbox.clock.advance(15 * 60)
        assert (await http.post(STOCK, json=body)).status_code == 200


async def test_batch_result_shape(sandbox):
    barcode = next(iter(sandbox.products))
    async with raw(sandbox) as http:
        batch = (
            await http.post(
                STOCK,
                json={
                    "items": [
                        {"barcode": barcode, "quantity": 2},
                        {"barcode": "nope", "quantity": 1},
                    ]
                },
            )
        ).json()
        path = (
            f"/integration/product/sellers/{SELLER_ID}/products/batch-requests/"
            + batch["batchRequestId"]
        )
        early = (await http.get(path)).json()
        assert early["items"] == []  # still processing: no per-item results yet
        sandbox.clock.advance(3)
        body = (await http.get(path)).json()
        sandbox.clock.advance(4 * 3600)
        expired = await http.get(path)
    assert {
        "batchRequestId",
        "items",
        "creationDate",
        "lastModification",
        "sourceType",
        "itemCount",
        "failedItemCount",
        "batchRequestType",
    } <= set(body)
    assert body["batchRequestType"] == "ProductInventoryUpdate"
    assert [i["status"] for i in body["items"]] == ["SUCCESS", "FAILED"]
    assert body["items"][1]["failureReasons"] and body["failedItemCount"] == 1
    assert body["items"][0]["requestItem"] == {"barcode": barcode, "quantity": 2}
    assert expired.status_code == 404


# -- client error mapping ------------------------------------------------------------------------


async def test_client_maps_401_to_auth_error(sandbox):
    connector = make_connector(sandbox, api_secret="wrong")
    with pytest.raises(AuthError) as err:
        await fetch(connector)
    assert err.value.status == 401 and "wrong" not in str(err.value.to_dict())
    result = await connector.check()
    assert result.ok is False and result.details["code"] == "auth"
    await connector.aclose()


async def test_client_maps_409_to_conflict_with_trendyol_key(sandbox, client):
    pid = next(iter(sandbox.packages))
    sandbox.packages[pid]["invoiceLink"] = "https://e.example/old.pdf"
    with pytest.raises(ConflictError) as err:
        await client.send_invoice_link(
            {
                "invoiceLink": "https://e.example/n.pdf",
                "shipmentPackageId": pid,
                "invoiceDateTime": sandbox.now_ms(),
            }
        )
    assert err.value.detail["keys"] == ["invoice.already.exists"]
    assert "zaten" in err.value.remote_message


async def test_client_maps_400_to_remote_rejected_with_message(sandbox, client):
    with pytest.raises(RemoteRejectedError) as err:
        await client.update_package(str(next(iter(sandbox.packages))), [], "Picking")
    assert err.value.status == 400 and err.value.detail["keys"] == ["lines.empty"]


async def test_client_surfaces_429_when_the_remote_keeps_refusing(sandbox, client):
    from kervan_sdk.sandbox import Fault

    sandbox.faults.add(Fault("rate_limit", path=ORDERS, times=10, retry_after=1))
    with pytest.raises(RateLimitedError):
        await client.get_packages({"size": 1})


async def test_orders_path_moves_to_v2_on_426(sandbox, client):
    from kervan_sdk.sandbox import Fault

    sandbox.faults.add(
        Fault(
            "status",
            path=ORDERS,
            status=426,
            body=json.dumps(
                {"errors": [{"key": "upgrade.required", "message": "use v2", "errorCode": "426"}]}
            ),
        )
    )
    body = await client.get_packages({"size": 1})
    assert body["totalElements"] == 12
    assert client.orders_path_version == "v2"
    assert sandbox.count("GET", "*/v2/orders") == 1


async def test_stage_and_production_hosts_are_settings(sandbox):
    connector = make_connector(sandbox)
    assert str(connector.client._http.base_url).startswith("http://trendyol.sandbox")
    from kervan_trendyol.settings import PRODUCTION_URL, TrendyolSettings

    default = TrendyolSettings(seller_id="1", api_key="k", api_secret="s")
    assert default.base_url == PRODUCTION_URL == "https://apigw.trendyol.com"
    assert default.user_agent == "1 - SelfIntegration"
    await connector.aclose()


def test_settings_schema_marks_secrets_write_only_and_validates_integrator_name():
    from kervan.errors import InvalidInputError
    from kervan_trendyol.settings import TrendyolSettings

    schema = TrendyolSettings.model_json_schema()
    for name in ("api_key", "api_secret"):
        assert schema["properties"][name]["writeOnly"] is True
    with pytest.raises(InvalidInputError) as err:
        TrendyolSettings.parse(
            {
                "seller_id": "1",
                "api_key": "k",
                "api_secret": "topsecret",
                "integrator_name": "Not Alnum!",
                "typo": 1,
            }
        )
    text = json.dumps(err.value.to_dict())
    assert "integrator_name" in text and "typo" in text and "topsecret" not in text


async def test_time_moves_shipped_packages_to_delivered(sandbox, trendyol):
    orders = await fetch(trendyol)
    order = next(o for o in orders if o.cargo_tracking_number)
    await trendyol.mark_invoiced(order, "KRV2026000000001")
    sandbox.clock.advance(timedelta(hours=7).total_seconds())
    (shipped,) = [o for o in await fetch(trendyol) if o.package_id == order.package_id]
    assert shipped.remote_status == "Shipped"
    sandbox.clock.advance(timedelta(hours=37).total_seconds())
    (delivered,) = [
        o
        for o in await fetch(trendyol, sandbox.clock.now() - timedelta(days=3))
        if o.package_id == order.package_id
    ]
    assert delivered.remote_status == "Delivered"


# -- other read endpoints ------------------------------------------------------------------------


async def test_common_label_endpoint_shapes(sandbox):
    tex = next(p for p, m in sandbox.meta.items() if m["ty_tracking"])
    tracking = str(sandbox.packages[tex]["cargoTrackingNumber"])
    path = f"/integration/sellers/{SELLER_ID}/common-label/{tracking}"
    async with raw(sandbox) as http:
        assert (await http.get(path)).json() == {"data": []}
        created = await http.post(path, json={"format": "ZPL", "boxQuantity": 2})
        assert created.status_code == 200 and created.content == b""
        data = (await http.get(path)).json()["data"]
        assert [d["format"] for d in data] == ["ZPL", "ZPL"]
        assert all(d["label"].startswith("^XA") and d["label"].endswith("^XZ") for d in data)
        pdf = await http.post(path, json={"format": "PDF"})
        assert_error_body(pdf, 400, "format.invalid")
        bad = await http.post(f"/integration/sellers/{SELLER_ID}/common-label/123", json={})
        assert_error_body(bad, 400, "cargoTrackingNumber.invalid")


async def test_approved_products_envelope_and_fields(sandbox):
    path = f"/integration/product/sellers/{SELLER_ID}/products/approved"
    async with raw(sandbox) as http:
        body = (await http.get(path, params={"page": 0, "size": 2})).json()
        too_big = await http.get(path, params={"size": 101})
    assert set(body) == {"page", "size", "totalPages", "totalElements", "content"}
    product = body["content"][0]
    assert {
        "contentId",
        "productMainId",
        "title",
        "brand",
        "category",
        "attributes",
        "variants",
    } <= set(product)
    variant = product["variants"][0]
    assert {"variantId", "barcode", "stockCode", "onSale", "attributes"} <= set(variant)
    assert {"attributeName", "attributeValue"} <= set(product["attributes"][0])
    assert_error_body(too_big, 400, "invalid.size")


async def test_claim_audit_and_reasons_shapes(sandbox):
    claim_id = sandbox.customer_return(next(iter(sandbox.packages)))
    item = sandbox.claims[claim_id]["items"][0]["claimItems"][0]["id"]
    async with raw(sandbox) as http:
        audit = (
            await http.get(f"/integration/order/sellers/{SELLER_ID}/claims/items/{item}/audit")
        ).json()
        reasons = (await http.get("/integration/order/claim-issue-reasons")).json()
    assert set(audit[0]) == {
        "claimId",
        "claimItemId",
        "previousStatus",
        "newStatus",
        "userInfoDocument",
        "date",
    }
    assert set(audit[0]["userInfoDocument"]) == {"executorId", "executorApp", "executorUser"}
    assert all(set(r) == {"id", "name"} for r in reasons)


async def test_a_clock_jump_passes_through_every_status_stamped_when_it_happened(sandbox):
    """Shipped at +6 h and Delivered 36 h later, stamped then, not at the next request: a
    poll whose window ends now sees the move, and the history reads like Trendyol's."""
    pid = next(iter(sandbox.packages))
    sandbox.set_status(pid, "Invoiced")
    start = sandbox.clock.now()
    sandbox.clock.advance(50 * 3600)
    sandbox.tick()
    pkg = sandbox.packages[pid]
    assert pkg["status"] == "Delivered"
    stamps = {h["status"]: h["createdDate"] for h in pkg["packageHistories"]}
    shipped = to_epoch_ms(start) + 6 * 3600 * 1000
    assert stamps["Shipped"] == shipped
    assert stamps["Delivered"] == shipped + 36 * 3600 * 1000 == pkg["lastModifiedDate"]
