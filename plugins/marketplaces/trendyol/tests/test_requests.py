"""Fidelity of what the client sends: documented paths, bodies and field names per endpoint."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from kervan import ClaimFile
from kervan.domain import StockUpdate
from kervan_trendyol.sandbox import SELLER_ID

from .conftest import fetch, make_connector
from .test_orders import invoice_for

PHOTO = b"\xff\xd8\xff\xe0 jpeg"


@pytest.fixture
def spied(sandbox):
    connector = make_connector(sandbox)
    inner = connector.client._http._transport
    sent: list[httpx.Request] = []

    class Spy(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            await request.aread()
            sent.append(request)
            return await inner.handle_async_request(request)

    connector.client._http._transport = Spy()
    return connector, sent


def last(sent: list[httpx.Request], method: str, suffix: str) -> httpx.Request:
    return [r for r in sent if r.method == method and r.url.path.endswith(suffix)][-1]


def body(request: httpx.Request) -> dict:
    return json.loads(request.content)


def form_fields(request: httpx.Request) -> dict[str, bytes]:
    """Multipart parts by name (a tiny parser: enough to pin field names and values)."""
    boundary = request.headers["content-type"].split("boundary=")[1].encode()
    fields = {}
    for part in request.content.split(b"--" + boundary)[1:-1]:
        head, _, value = part.strip(b"\r\n").partition(b"\r\n\r\n")
        name = head.split(b'name="')[1].split(b'"')[0].decode()
        fields[name] = value
    return fields


async def test_update_package_body(spied):
    connector, sent = spied
    order = (await fetch(connector))[0]
    await connector.accept(order)
    request = last(sent, "PUT", f"/shipment-packages/{order.package_id}")
    assert request.url.path == (
        f"/integration/order/sellers/{SELLER_ID}/shipment-packages/{order.package_id}"
    )
    assert body(request) == {
        "lines": [{"lineId": int(x.line_id), "quantity": int(x.quantity)} for x in order.lines],
        "params": {},
        "status": "Picking",
    }
    await connector.mark_invoiced(order, "KRV2026000000009")
    assert body(last(sent, "PUT", order.package_id))["params"] == {
        "invoiceNumber": "KRV2026000000009"
    }


async def test_invoice_link_body(spied, sandbox):
    connector, sent = spied
    order = next(o for o in await fetch(connector) if not o.micro_export)
    invoice = invoice_for(order, at=sandbox.clock.now())
    await connector.send_invoice_link(order, invoice, "https://e.example/i.pdf")
    sent_body = body(last(sent, "POST", "/seller-invoice-links"))
    assert sent_body == {
        "invoiceLink": "https://e.example/i.pdf",
        "shipmentPackageId": int(order.package_id),
        "invoiceDateTime": int(invoice.issued_at.timestamp() * 1000),
        "invoiceNumber": "KRV2026000000001",
    }
    assert len(str(sent_body["invoiceDateTime"])) == 13


async def test_invoice_file_is_multipart_with_documented_fields(spied, sandbox):
    connector, sent = spied
    order = (await fetch(connector))[0]
    await connector.send_invoice_file(order, invoice_for(order, at=sandbox.clock.now()), b"%PDF")
    request = last(sent, "POST", "/seller-invoice-file")
    assert request.headers["content-type"].startswith("multipart/form-data")
    fields = form_fields(request)
    assert fields["shipmentPackageId"] == order.package_id.encode()
    assert fields["invoiceNumber"] == b"KRV2026000000001"
    assert fields["file"] == b"%PDF"
    assert b"application/pdf" in request.content


async def test_unsupplied_split_and_tracking_bodies(spied):
    connector, sent = spied
    orders = await fetch(connector)
    multi = next(o for o in orders if len(o.lines) >= 2)
    await connector.split_package(multi, [[multi.lines[0].line_id]])
    assert body(last(sent, "POST", "/multi-split")) == {
        "splitGroups": [{"orderLineIds": [int(multi.lines[0].line_id)]}]
    }
    by_units = next(o for o in orders if o.id != multi.id and o.lines[0].quantity >= 2)
    first = by_units.lines[0]
    parcels = [{first.line_id: 1}, {ln.line_id: int(ln.quantity) for ln in by_units.lines}]
    parcels[1][first.line_id] -= 1
    await connector.split_package_by_quantity(by_units, parcels)
    assert body(last(sent, "POST", "/split-packages")) == {
        "splitPackages": [
            {
                "packageDetails": [
                    {"orderLineId": int(line_id), "quantities": quantity}
                    for line_id, quantity in parcel.items()
                ]
            }
            for parcel in parcels
        ]
    }
    other = next(
        o for o in orders if o.id not in (multi.id, by_units.id) and not o.cargo_tracking_number
    )
    line = other.lines[0]
    await connector.cancel_lines(other, {line.line_id: 1}, "defective")
    assert body(last(sent, "PUT", "/items/unsupplied")) == {
        "lines": [{"lineId": int(line.line_id), "quantity": 1}],
        "reasonId": 501,
    }
    own = next(
        o
        for o in await fetch(connector)
        if not o.cargo_tracking_number and o.remote_status == "Created"
    )
    await connector.send_tracking_number(own, "7251234", "yurtici")
    assert body(last(sent, "PUT", "/alternative-delivery")) == {
        "isPhoneNumber": False,
        "trackingInfo": "https://www.yurticikargo.com/tr/online-servisler/gonderi-sorgula?code=7251234",
        "params": {},
    }
    assert not [r for r in sent if r.url.path.endswith("/update-tracking-number")]


async def test_common_label_request(spied):
    connector, sent = spied
    tex = next(o for o in await fetch(connector) if o.cargo_tracking_number)
    await connector.fetch_label(tex)
    request = last(sent, "POST", f"/common-label/{tex.cargo_tracking_number}")
    assert request.url.path == (
        f"/integration/sellers/{SELLER_ID}/common-label/{tex.cargo_tracking_number}"
    )
    assert body(request) == {"format": "ZPL", "boxQuantity": 1}


async def test_claim_bodies(spied, sandbox):
    connector, sent = spied
    pid = next(
        p for p, pkg in sandbox.packages.items() if sum(x["quantity"] for x in pkg["lines"]) >= 2
    )
    claim_id = sandbox.customer_return(pid)
    (claim,) = [c async for c in connector.fetch_claims(sandbox.clock.now() - timedelta(hours=1))]
    first, second = claim.lines[0].id, claim.lines[-1].id
    assert first != second
    await connector.approve_claim(claim, [first])
    assert body(last(sent, "PUT", "/items/approve")) == {
        "claimLineItemIdList": [first],
        "params": {},
    }
    evidence = ClaimFile(name="paket.pdf", data=b"%PDF-1.4 scans", content_type="application/pdf")
    photo = ClaimFile(name="kirik.jpg", data=PHOTO)
    await connector.reject_claim(claim, [second], "251", "Kırık geldi", [photo, evidence])
    request = last(sent, "POST", f"/claims/{claim_id}/issue")
    assert request.headers["content-type"].startswith("multipart/form-data")
    fields = form_fields(request)
    assert fields["claimIssueReasonId"] == b"251"
    assert fields["claimItemIdList"] == second.encode()
    assert fields["description"] == "Kırık geldi".encode()
    parts = request.content.split(b'name="files"')[1:]  # the binary array: one part a file
    assert [
        p.split(b"\r\n\r\n", 1)[1].startswith(f.data)
        for p, f in zip(parts, [photo, evidence], strict=True)
    ] == [True, True]
    assert b'filename="kirik.jpg"' in parts[0] and b"Content-Type: application/pdf" in parts[1]
    order = (await fetch(connector))[1]
    sandbox.set_status(int(order.package_id), "Delivered")  # claims are of delivered goods
    await connector.create_claim(order, {order.lines[0].line_id: 1}, "401", "kodsuz")
    assert body(last(sent, "POST", "/claims/create")) == {
        "orderNumber": order.order_number,
        "claimItems": [
            {
                "barcode": order.lines[0].barcode,
                "quantity": 1,
                "reasonId": 401,
                "customerNote": "kodsuz",
            }
        ],
        "excludeListing": False,
        "forcePackageCreation": False,
    }


async def test_price_and_inventory_body(spied, sandbox):
    connector, sent = spied
    barcode = next(iter(sandbox.products))
    await connector.push_stock(
        [
            StockUpdate(
                barcode=barcode,
                quantity=5,
                sale_price=Decimal("99.90"),
                list_price=Decimal("129.90"),
            )
        ]
    )
    request = last(sent, "POST", "/price-and-inventory")
    assert request.url.path == (
        f"/integration/inventory/sellers/{SELLER_ID}/products/price-and-inventory"
    )
    assert body(request) == {
        "items": [{"barcode": barcode, "quantity": 5, "salePrice": 99.9, "listPrice": 129.9}]
    }
    poll = last(sent, "GET", "")
    assert f"/integration/product/sellers/{SELLER_ID}/products/batch-requests/" in poll.url.path
