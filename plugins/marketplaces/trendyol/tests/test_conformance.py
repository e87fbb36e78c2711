"""Conformance: the Trendyol sandbox against Trendyol's published API reference, with raw HTTP.

Written from the reference, never through our client: each request is what any integration
could send per the spec. Sources (facts only, nothing copied):

- TY-SPEC: Trendyol's OpenAPI definitions as captured from developers.trendyol.com/reference
  (``loncadev/lonca``, ``specs/trendyol/marketplace.json``, ``invoice.json``, ``product.json``,
  captured 2026-10-09); see ../shared/reference/apis-2.md.
- TY-EN: the English developer docs, see ../shared/reference/apis.md section 1.

Each test names the operation and the documented rule it checks.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

import httpx
import pytest
from kervan_trendyol.sandbox import API_KEY, API_SECRET, SELLER_ID, TrendyolSandbox

ORDERS = f"/integration/order/sellers/{SELLER_ID}/orders"
PACKAGE = f"/integration/order/sellers/{SELLER_ID}/shipment-packages/{{}}"
LINKS = f"/integration/sellers/{SELLER_ID}/seller-invoice-links"
FILE = f"/integration/sellers/{SELLER_ID}/seller-invoice-file"
PRODUCTS = f"/integration/product/sellers/{SELLER_ID}/products/approved"
STOCK = f"/integration/inventory/sellers/{SELLER_ID}/products/price-and-inventory"
#: getShipmentPackages ``status`` enum (TY-SPEC): one value per call
DOCUMENTED_STATUSES = (
    "Awaiting",
    "Created",
    "Picking",
    "Invoiced",
    "Shipped",
    "Cancelled",
    "Delivered",
    "UnDelivered",
    "Returned",
    "AtCollectionPoint",
    "UnSupplied",
)


def http(sandbox: TrendyolSandbox) -> httpx.AsyncClient:
    token = base64.b64encode(f"{API_KEY}:{API_SECRET}".encode()).decode()
    return httpx.AsyncClient(
        base_url="https://apigw.trendyol.com",
        transport=sandbox.transport(),
        headers={"User-Agent": f"{SELLER_ID} - SelfIntegration", "Authorization": f"Basic {token}"},
    )


def package_in(sandbox: TrendyolSandbox, status: str, **where: Any) -> int:
    for pid, pkg in sandbox.packages.items():
        if pkg["status"] == status and all(pkg.get(k) == v for k, v in where.items()):
            return pid
    pid = next(
        p for p, pkg in sandbox.packages.items() if all(pkg.get(k) == v for k, v in where.items())
    )
    sandbox.packages[pid]["status"] = status
    return pid


def assert_error_message(response: httpx.Response, status: int) -> dict[str, Any]:
    """TY-SPEC marketplace.json ``Error``: ``{error, message}`` (no ``errors`` list)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert "errors" not in body
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["message"], str) and body["message"]
    return body


# -- getShipmentPackages: one documented status per call ------------------------------------


@pytest.mark.parametrize("status", ["Cancelled,UnSupplied", "Cancelled,UnSupplied,UnPacked"])
async def test_get_shipment_packages_refuses_a_comma_list_of_statuses(sandbox, status):
    async with http(sandbox) as client:
        response = await client.get(ORDERS, params={"status": status})
    assert_error_message(response, 400)


@pytest.mark.parametrize("status", ["UnPacked", "Bogus", "created"])
async def test_get_shipment_packages_refuses_an_undocumented_status(sandbox, status):
    async with http(sandbox) as client:
        response = await client.get(ORDERS, params={"status": status})
    assert_error_message(response, 400)


async def test_get_shipment_packages_refuses_the_status_parameter_twice(sandbox):
    async with http(sandbox) as client:
        response = await client.get(ORDERS, params=[("status", "Cancelled"), ("status", "Created")])
    assert_error_message(response, 400)


async def test_get_shipment_packages_filters_on_each_documented_status(sandbox):
    cancelled = package_in(sandbox, "Created")
    sandbox.set_status(cancelled, "Cancelled")
    async with http(sandbox) as client:
        for status in DOCUMENTED_STATUSES:
            response = await client.get(ORDERS, params={"status": status})
            assert response.status_code == 200, (status, response.text)
            body = response.json()
            assert {"page", "size", "totalPages", "totalElements", "content"} <= set(body)
            assert all(p["status"] == status for p in body["content"])
            if status == "Cancelled":
                assert cancelled in [p["shipmentPackageId"] for p in body["content"]]


async def test_get_shipment_packages_errors_are_error_and_message(sandbox):
    """TY-SPEC: getShipmentPackages answers 400 with ``Error`` = ``{error, message}``."""
    async with http(sandbox) as client:
        response = await client.get(ORDERS, params={"size": 201})  # size maximum 200
    assert_error_message(response, 400)


# -- updatePackageStatus: only ``status`` is required --------------------------------------


async def test_update_package_status_with_status_only(sandbox):
    pid = package_in(sandbox, "Created")
    async with http(sandbox) as client:
        response = await client.put(PACKAGE.format(pid), json={"status": "Picking"})
    assert response.status_code == 200, response.text
    assert sandbox.packages[pid]["status"] == "Picking"


async def test_update_package_status_invoiced_without_invoice_number(sandbox):
    """``params`` is optional and ``invoiceNumber`` inside it only "may" come with Invoiced."""
    pid = package_in(sandbox, "Picking")
    pkg = sandbox.packages[pid]
    lines = [{"lineId": x["lineId"], "quantity": x["quantity"]} for x in pkg["lines"]]
    async with http(sandbox) as client:
        response = await client.put(
            PACKAGE.format(pid), json={"lines": lines, "params": {}, "status": "Invoiced"}
        )
    assert response.status_code == 200, response.text
    assert sandbox.packages[pid]["status"] == "Invoiced"


async def test_update_package_status_refuses_an_undocumented_status_with_error_and_message(
    sandbox,
):
    pid = package_in(sandbox, "Created")
    async with http(sandbox) as client:
        response = await client.put(PACKAGE.format(pid), json={"status": "Shipped"})
    assert_error_message(response, 400)
    assert sandbox.packages[pid]["status"] == "Created"


# -- sendInvoiceLink / uploadInvoiceFile -----------------------------------------------------


async def test_send_invoice_link_without_invoice_date_time(sandbox):
    """invoiceNumber and invoiceDateTime are mandatory for micro export only (TY-SPEC)."""
    pid = package_in(sandbox, "Invoiced", micro=False)
    body = {
        "invoiceLink": f"https://efatura.example.com/{uuid.uuid4()}.pdf",
        "shipmentPackageId": pid,
    }
    async with http(sandbox) as client:
        response = await client.post(LINKS, json=body)
    assert response.status_code == 201, response.text


async def test_send_invoice_link_takes_a_lower_case_series(sandbox):
    """TY-SPEC pattern ``^[A-Za-z0-9]{3}(20[2-9][0-9])\\d{9}$``: the series may be lower case."""
    pid = package_in(sandbox, "Invoiced", micro=False)
    body = {
        "invoiceLink": f"https://efatura.example.com/{uuid.uuid4()}.pdf",
        "shipmentPackageId": pid,
        "invoiceNumber": "ab12026000000001",
    }
    async with http(sandbox) as client:
        response = await client.post(LINKS, json=body)
    assert response.status_code == 201, response.text


async def test_invoice_link_conflict_has_the_invoice_error_shape(sandbox):
    """TY-SPEC invoice.json ``Error``: ``{error, message, timestamp, path, status}``; 409 when
    the package already has an invoice."""
    pid = package_in(sandbox, "Invoiced", micro=False)
    async with http(sandbox) as client:
        first = {"invoiceLink": f"https://e.example.com/{uuid.uuid4()}", "shipmentPackageId": pid}
        assert (await client.post(LINKS, json=first)).status_code == 201
        again = {"invoiceLink": f"https://e.example.com/{uuid.uuid4()}", "shipmentPackageId": pid}
        response = await client.post(LINKS, json=again)
    body = assert_error_message(response, 409)
    assert body["status"] == 409
    assert body["path"] == LINKS
    assert isinstance(body["timestamp"], int)


def multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, str]:
    """A multipart body whose file part carries no Content-Type header (RFC 7578 makes it
    optional, defaulting to text/plain; the spec asks for a PDF/JPEG/PNG file)."""
    boundary = uuid.uuid4().hex
    out = b""
    for name, value in fields.items():
        out += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        ).encode()
    out += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"'
        "\r\n\r\n"
    ).encode()
    out += data + f"\r\n--{boundary}--\r\n".encode()
    return out, f"multipart/form-data; boundary={boundary}"


async def test_upload_invoice_file_part_without_content_type(sandbox):
    pid = package_in(sandbox, "Invoiced", micro=False)
    body, content_type = multipart({"shipmentPackageId": str(pid)}, "fatura.pdf", b"%PDF-1.7\n%")
    async with http(sandbox) as client:
        response = await client.post(FILE, content=body, headers={"Content-Type": content_type})
    assert response.status_code in (200, 201), response.text


async def test_upload_invoice_file_refuses_a_text_file_with_the_invoice_error_shape(sandbox):
    pid = package_in(sandbox, "Invoiced", micro=False)
    body, content_type = multipart({"shipmentPackageId": str(pid)}, "fatura.txt", b"not a pdf")
    async with http(sandbox) as client:
        response = await client.post(FILE, content=body, headers={"Content-Type": content_type})
    error = assert_error_message(response, 400)
    assert ".txt" in error["message"]


# -- product services keep ``{errors:[…]}`` --------------------------------------------------


async def test_product_filter_size_cap_and_error_list(sandbox):
    """TY-SPEC product.json: filterApprovedProducts ``size`` maximum 100; the product services
    answer ``{"errors":[{key,message,errorCode}]}`` (TY-EN "Service Responses")."""
    async with http(sandbox) as client:
        assert (await client.get(PRODUCTS, params={"size": 100})).status_code == 200
        response = await client.get(PRODUCTS, params={"size": 101})
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["errorCode"] == "400" and error["key"] and error["message"]
