"""Conformance, package actions: alternative delivery, the four splits, box info, extended
agreed delivery date, with raw HTTP written from Trendyol's reference (see
test_conformance.py for the sources). Never through our client."""

from __future__ import annotations

from typing import Any

import pytest
from kervan_trendyol.sandbox import TrendyolSandbox

from .test_conformance import ORDERS, PACKAGE, http, package_in

SPLIT_WAIT = 10 * 60  # seconds: longer than any asynchronous split the sandbox takes


def seller_shipped(sandbox: TrendyolSandbox, status: str = "Picking") -> int:
    """A package whose carrier the seller arranges (no Trendyol tracking number)."""
    pid = next(p for p, m in sandbox.meta.items() if not m["ty_tracking"])
    sandbox.set_status(pid, status)
    return pid


def a_multi_line_package(sandbox: TrendyolSandbox) -> int:
    return next(
        p
        for p, pkg in sandbox.packages.items()
        if len(pkg["lines"]) >= 2 and pkg["status"] == "Created"
    )


def a_package_with_units(sandbox: TrendyolSandbox, units: int = 2) -> int:
    return next(
        p
        for p, pkg in sandbox.packages.items()
        if pkg["status"] == "Created" and any(x["quantity"] >= units for x in pkg["lines"])
    )


async def read(client: Any, pid: int) -> dict[str, Any]:
    body = (await client.get(ORDERS, params={"shipmentPackageIds": pid})).json()
    (pkg,) = body["content"]
    return dict(pkg)


async def packages_of(client: Any, order_number: str) -> list[dict[str, Any]]:
    body = (await client.get(ORDERS, params={"orderNumber": order_number, "size": 200})).json()
    return list(body["content"])


# -- processAlternativeDelivery ---------------------------------------------------------------


async def test_alternative_delivery_with_a_tracking_link_ships_the_package(sandbox):
    """TY-SPEC: ``isPhoneNumber``, ``trackingInfo``, ``params`` required; the package is
    Shipped at once; getShipmentPackages then carries Trendyol's tracking number."""
    pid = seller_shipped(sandbox)
    body = {"isPhoneNumber": False, "trackingInfo": "https://kargo.example/t/1", "params": {}}
    async with http(sandbox) as client:
        response = await client.put(PACKAGE.format(pid) + "/alternative-delivery", json=body)
        assert response.status_code == 200, response.text
        pkg = await read(client, pid)
    assert pkg["status"] == "Shipped"
    assert pkg["cargoTrackingLink"] == "https://kargo.example/t/1"
    assert str(pkg["cargoTrackingNumber"]).startswith("732")  # Alternatif Teslimat


async def test_alternative_delivery_by_phone_with_box_quantity_and_deci(sandbox):
    pid = seller_shipped(sandbox, "Invoiced")
    body = {
        "isPhoneNumber": True,
        "trackingInfo": "5555555555",
        "params": {},
        "boxQuantity": 1,
        "deci": 1.4,
    }
    async with http(sandbox) as client:
        response = await client.put(PACKAGE.format(pid) + "/alternative-delivery", json=body)
    assert response.status_code == 200, response.text
    assert sandbox.packages[pid]["status"] == "Shipped"


@pytest.mark.parametrize(
    "body",
    [
        {"trackingInfo": "https://kargo.example/t/1", "params": {}},  # no isPhoneNumber
        {"isPhoneNumber": False, "params": {}},  # no trackingInfo
        {"isPhoneNumber": False, "trackingInfo": "https://kargo.example/t/1"},  # no params
        {"isPhoneNumber": "no", "trackingInfo": "https://kargo.example/t/1", "params": {}},
        {"isPhoneNumber": False, "trackingInfo": "https://k.example/1", "params": {"a": 1}},
        {"isPhoneNumber": False, "trackingInfo": "x", "params": {}, "boxQuantity": 1.5},
    ],
)
async def test_alternative_delivery_refuses_what_the_schema_refuses(sandbox, body):
    pid = seller_shipped(sandbox)
    async with http(sandbox) as client:
        response = await client.put(PACKAGE.format(pid) + "/alternative-delivery", json=body)
    assert response.status_code == 400
    assert sandbox.packages[pid]["status"] == "Picking"


async def test_alternative_delivery_refuses_a_shipped_package(sandbox):
    pid = seller_shipped(sandbox, "Delivered")
    body = {"isPhoneNumber": False, "trackingInfo": "https://kargo.example/t/1", "params": {}}
    async with http(sandbox) as client:
        response = await client.put(PACKAGE.format(pid) + "/alternative-delivery", json=body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"]


async def test_update_tracking_number_is_not_served(sandbox):
    """The current reference has no ``update-tracking-number`` (alternative-delivery
    replaces it): the sandbox does not serve it either."""
    pid = seller_shipped(sandbox)
    async with http(sandbox) as client:
        response = await client.put(
            PACKAGE.format(pid) + "/update-tracking-number", json={"trackingNumber": "7251234"}
        )
    assert response.status_code in (404, 405)
    assert not sandbox.packages[pid].get("cargoTrackingNumber")


async def ship_alternatively(client: Any, sandbox: TrendyolSandbox) -> int:
    pid = seller_shipped(sandbox)
    body = {"isPhoneNumber": False, "trackingInfo": "https://kargo.example/t/9", "params": {}}
    response = await client.put(PACKAGE.format(pid) + "/alternative-delivery", json=body)
    assert response.status_code == 200, response.text
    return pid


async def test_manual_delivery_of_an_alternative_delivery_package(sandbox):
    """TY-SPEC manualDeliverByPackageId; TY-DOCS: not within 6 h of shipping, then the
    buyer's three days to confirm; until reported the package stays Shipped."""
    async with http(sandbox) as client:
        pid = await ship_alternatively(client, sandbox)
        early = await client.put(PACKAGE.format(pid) + "/manual-invoice-delivery")
        sandbox.clock.advance(7 * 3600)
        assert (await read(client, pid))["status"] == "Shipped"  # not without a report
        reported = await client.put(PACKAGE.format(pid) + "/manual-invoice-delivery")
        twice = await client.put(PACKAGE.format(pid) + "/manual-invoice-delivery")
        sandbox.clock.advance(3 * 86400 + 60)
        delivered = await read(client, pid)
    assert early.status_code == 400
    assert reported.status_code == 200, reported.text
    assert twice.status_code == 400
    assert delivered["status"] == "Delivered"


async def test_manual_return_by_tracking_number_returns_and_accepts_a_claim(sandbox):
    async with http(sandbox) as client:
        pid = await ship_alternatively(client, sandbox)
        number = (await read(client, pid))["cargoTrackingNumber"]
        sandbox.clock.advance(7 * 3600)
        path = PACKAGE.format("manual-return-by-tracking-number") + f"/{number}"
        response = await client.put(path)
        assert response.status_code == 200, response.text
        assert (await read(client, pid))["status"] == "Returned"
        claims = (await client.get(ORDERS.replace("/orders", "/claims"))).json()["content"]
    (claim,) = [c for c in claims if c["orderShipmentPackageId"] == pid]
    statuses = {i["claimItemStatus"]["name"] for g in claim["items"] for i in g["claimItems"]}
    assert statuses == {"Accepted"}


async def test_manual_reports_refuse_a_package_trendyol_carries(sandbox):
    pid = next(p for p, m in sandbox.meta.items() if m["ty_tracking"])
    sandbox.set_status(pid, "Shipped")
    sandbox.clock.advance(7 * 3600)
    async with http(sandbox) as client:
        delivered = await client.put(PACKAGE.format(pid) + "/manual-invoice-delivery")
        returned = await client.put(PACKAGE.format(pid) + "/manual-return")
    assert [delivered.status_code, returned.status_code] == [400, 400]


# -- the four splits: asynchronous, documented answers -----------------------------------------


async def test_quantity_split_answers_new_package_ids_and_splits_later(sandbox):
    """TY-SPEC splitShipmentPackageByQuantity: ``{quantitySplit:[{orderLineId,
    quantities}]}`` → 200 ``{newPackageIds:[…]}``; the new packages are made asynchronously."""
    pid = a_package_with_units(sandbox)
    pkg = sandbox.packages[pid]
    line = next(x for x in pkg["lines"] if x["quantity"] >= 2)
    body = {"quantitySplit": [{"orderLineId": line["lineId"], "quantities": [1]}]}
    async with http(sandbox) as client:
        response = await client.post(PACKAGE.format(pid) + "/quantity-split", json=body)
        assert response.status_code == 200, response.text
        new_ids = response.json()["newPackageIds"]
        assert len(new_ids) == 2 and all(isinstance(i, int) for i in new_ids)
        # not yet: the original is still there as it was, the new ids are not
        assert (await read(client, pid))["status"] == "Created"
        listed = {p["shipmentPackageId"] for p in await packages_of(client, pkg["orderNumber"])}
        assert not set(new_ids) & listed
        sandbox.clock.advance(SPLIT_WAIT)
        assert (await read(client, pid))["status"] == "UnPacked"
        after = {p["shipmentPackageId"]: p for p in await packages_of(client, pkg["orderNumber"])}
    assert set(new_ids) <= set(after)
    units = sum(x["quantity"] for i in new_ids for x in after[i]["lines"])
    assert units == sum(x["quantity"] for x in pkg["lines"])
    assert [x["quantity"] for x in after[new_ids[0]]["lines"]] == [1]


@pytest.mark.parametrize(
    "entry",
    [
        {"quantities": [1]},  # no orderLineId
        {"orderLineId": "LINE"},  # no quantities
        {"orderLineId": "LINE", "quantities": [0]},  # minimum 1
        {"orderLineId": "LINE", "quantities": [99]},  # more than the line has
        {"orderLineId": "LINE", "quantities": 1},  # an array, not a number
    ],
)
async def test_quantity_split_refuses_bad_entries(sandbox, entry):
    pid = a_package_with_units(sandbox)
    line = next(x for x in sandbox.packages[pid]["lines"] if x["quantity"] >= 2)
    entry = {k: line["lineId"] if v == "LINE" else v for k, v in entry.items()}
    async with http(sandbox) as client:
        response = await client.post(
            PACKAGE.format(pid) + "/quantity-split", json={"quantitySplit": [entry]}
        )
    assert response.status_code == 400
    assert pid not in sandbox.pending_splits


async def test_split_answers_new_package_id(sandbox):
    """TY-SPEC splitShipmentPackage: ``{orderLineIds}`` → 200 ``{newPackageId}``."""
    pid = a_multi_line_package(sandbox)
    line_id = sandbox.packages[pid]["lines"][0]["lineId"]
    async with http(sandbox) as client:
        response = await client.post(
            PACKAGE.format(pid) + "/split", json={"orderLineIds": [line_id]}
        )
        assert response.status_code == 200, response.text
        new_id = response.json()["newPackageId"]
        sandbox.clock.advance(SPLIT_WAIT)
        child = await read(client, new_id)
    assert [x["lineId"] for x in child["lines"]] == [line_id]
    assert child["originPackageIds"] == [pid]


async def test_multi_split_answers_results_with_new_package_ids(sandbox):
    """TY-SPEC multiSplitShipmentPackage → 200 ``{results:[{newPackageId}]}``."""
    pid = a_multi_line_package(sandbox)
    lines = [x["lineId"] for x in sandbox.packages[pid]["lines"]]
    body = {"splitGroups": [{"orderLineIds": [lines[0]]}, {"orderLineIds": lines[1:]}]}
    async with http(sandbox) as client:
        response = await client.post(PACKAGE.format(pid) + "/multi-split", json=body)
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert len(results) == 2 and all("newPackageId" in r for r in results)
        sandbox.clock.advance(SPLIT_WAIT)
        for result in results:
            assert (await read(client, result["newPackageId"]))["status"] == "Created"


async def test_split_packages_is_asynchronous_too(sandbox):
    """TY-SPEC splitMultiPackagesByQuantity: 200, "Yeni paketler asenkron olarak
    oluşturulacak"."""
    pid = a_package_with_units(sandbox)
    line = next(x for x in sandbox.packages[pid]["lines"] if x["quantity"] >= 2)
    body = {
        "splitPackages": [{"packageDetails": [{"orderLineId": line["lineId"], "quantities": 1}]}]
    }
    async with http(sandbox) as client:
        response = await client.post(PACKAGE.format(pid) + "/split-packages", json=body)
        assert response.status_code == 200, response.text
        assert (await read(client, pid))["status"] == "Created"
        sandbox.clock.advance(SPLIT_WAIT)
        assert (await read(client, pid))["status"] == "UnPacked"


async def test_an_invoiced_package_may_be_split(sandbox):
    """TY-DOCS split guide: a package in Created, Picking or Invoiced may be split."""
    pid = a_multi_line_package(sandbox)
    sandbox.set_status(pid, "Invoiced")
    line_id = sandbox.packages[pid]["lines"][0]["lineId"]
    async with http(sandbox) as client:
        response = await client.post(
            PACKAGE.format(pid) + "/split", json={"orderLineIds": [line_id]}
        )
    assert response.status_code == 200, response.text


async def test_a_shipped_package_cannot_be_split(sandbox):
    pid = a_multi_line_package(sandbox)
    sandbox.set_status(pid, "Shipped")
    line_id = sandbox.packages[pid]["lines"][0]["lineId"]
    async with http(sandbox) as client:
        response = await client.post(
            PACKAGE.format(pid) + "/split", json={"orderLineIds": [line_id]}
        )
    assert response.status_code == 400


# -- updateBoxInfo ------------------------------------------------------------------------------


def a_package_of(sandbox: TrendyolSandbox, carrier: str) -> int:
    pid = next(p for p, pkg in sandbox.packages.items() if pkg["status"] == "Created")
    sandbox.packages[pid]["cargoProviderName"] = carrier
    return pid


async def test_box_info_for_a_ups_package(sandbox):
    """TY-SPEC updateBoxInfo: ``{deci, boxQuantity}`` for UPS and CEVA packages."""
    pid = a_package_of(sandbox, "UPS Kargo Marketplace")
    async with http(sandbox) as client:
        response = await client.put(
            PACKAGE.format(pid) + "/box-info", json={"deci": 4.4, "boxQuantity": 4}
        )
        assert response.status_code == 200, response.text
        assert (await read(client, pid))["cargoDeci"] == 4.4


async def test_box_info_refuses_another_carrier_and_bad_values(sandbox):
    yurtici = a_package_of(sandbox, "Yurtiçi Kargo Marketplace")
    ceva = next(
        p for p, pkg in sandbox.packages.items() if pkg["status"] == "Created" and p != yurtici
    )
    sandbox.packages[ceva]["cargoProviderName"] = "CEVA Marketplace"
    async with http(sandbox) as client:
        path = PACKAGE + "/box-info"
        other = await client.put(path.format(yurtici), json={"deci": 2, "boxQuantity": 1})
        zero = await client.put(path.format(ceva), json={"deci": 2, "boxQuantity": 0})
        text = await client.put(path.format(ceva), json={"deci": "2", "boxQuantity": 1})
        good = await client.put(path.format(ceva), json={"deci": 2, "boxQuantity": 1})
    assert [other.status_code, zero.status_code, text.status_code] == [400, 400, 400]
    assert good.status_code == 200


# -- extendAgreedDeliveryDate ------------------------------------------------------------------


@pytest.mark.parametrize("days", [1, 2, 3])
async def test_extended_agreed_delivery_date_moves_the_date(sandbox, days):
    """TY-SPEC: ``{extendedDayCount}`` one of 1, 2, 3."""
    pid = package_in(sandbox, "Created")
    sandbox.make_extendible(pid)
    before = sandbox.packages[pid]["agreedDeliveryDate"]
    async with http(sandbox) as client:
        response = await client.put(
            PACKAGE.format(pid) + "/extended-agreed-delivery-date",
            json={"extendedDayCount": days},
        )
        assert response.status_code == 200, response.text
        pkg = await read(client, pid)
    assert pkg["agreedDeliveryDate"] == before + days * 24 * 3600 * 1000


@pytest.mark.parametrize("body", [{}, {"extendedDayCount": 4}, {"extendedDayCount": "1"}])
async def test_extended_agreed_delivery_date_refuses_other_day_counts(sandbox, body):
    pid = package_in(sandbox, "Created")
    sandbox.make_extendible(pid)
    async with http(sandbox) as client:
        response = await client.put(
            PACKAGE.format(pid) + "/extended-agreed-delivery-date", json=body
        )
    assert response.status_code == 400


async def test_extended_agreed_delivery_date_needs_an_extendible_package(sandbox):
    """TY-DOCS "Ek Tedarik Süresi Tanımlama": while agreedDeliveryDateExtendible is false
    the request gets an error."""
    pid = package_in(sandbox, "Created")
    async with http(sandbox) as client:
        response = await client.put(
            PACKAGE.format(pid) + "/extended-agreed-delivery-date",
            json={"extendedDayCount": 1},
        )
    assert response.status_code == 400


async def test_an_unknown_package_is_a_400(sandbox):
    async with http(sandbox) as client:
        response = await client.put(PACKAGE.format(1) + "/box-info", json={"deci": 1})
    assert response.status_code == 400
    assert response.json()["errors"]
