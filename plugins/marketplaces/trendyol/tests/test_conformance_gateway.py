"""Conformance, gateway and time: the User-Agent's seller id, per-endpoint rate limits, the
carrier states the sandbox clock produces, and claims only on goods the buyer received; raw
HTTP written from Trendyol's reference (sources in test_conformance.py and sandbox/app.py)."""

from __future__ import annotations

from collections import Counter

import pytest
from kervan_trendyol.sandbox import SELLER_ID, TrendyolSandbox
from kervan_trendyol.sandbox.app import DELIVER_AFTER, SHIP_AFTER

from .test_conformance import ORDERS, PACKAGE, http, package_in

CLAIMS = f"/integration/order/sellers/{SELLER_ID}/claims"


# -- User-Agent ---------------------------------------------------------------------------------


async def test_a_user_agent_naming_another_seller_is_refused(sandbox):
    """TY-SPEC UserAgent: "{sellerId} - {integrator}" names the seller of the request."""
    async with http(sandbox) as client:
        other = await client.get(ORDERS, headers={"User-Agent": "111111 - SelfIntegration"})
        same = await client.get(ORDERS, headers={"User-Agent": f"{SELLER_ID} - Kervan"})
    assert other.status_code == 403
    assert same.status_code == 200


# -- per-endpoint limits ------------------------------------------------------------------------


async def test_split_and_unsupply_share_a_100_a_minute_limit(sandbox):
    """TY-EN "Service Limitations": cancel/split 100–200 a minute (the lowest tier here),
    under the generic 50 per 10 s."""
    statuses: Counter[int] = Counter()
    async with http(sandbox) as client:
        for n in range(110):
            if n and n % 45 == 0:
                sandbox.clock.advance(10.5)  # stay under the generic 50 per 10 s
            response = await client.post(PACKAGE.format(1) + "/split", json={"orderLineIds": [1]})
            statuses[response.status_code] += 1
    assert statuses[429] == 10 and statuses[400] == 100


async def test_claim_approve_is_5_a_minute(sandbox):
    async with http(sandbox) as client:
        codes = [
            (
                await client.put(
                    f"{CLAIMS}/nope/items/approve", json={"claimLineItemIdList": ["x"]}
                )
            ).status_code
            for _ in range(6)
        ]
        sandbox.clock.advance(61)
        later = await client.put(f"{CLAIMS}/nope/items/approve", json={"claimLineItemIdList": []})
    assert codes[-1] == 429 and 429 not in codes[:5]
    assert later.status_code != 429


async def test_the_generic_limit_still_holds_on_an_endpoint_with_a_larger_one(sandbox):
    """getShipmentPackages allows 2000 a minute, and still 50 per 10 s (TY-EN
    "Authorization")."""
    async with http(sandbox) as client:
        codes = [(await client.get(ORDERS, params={"size": 1})).status_code for _ in range(51)]
    assert codes.count(429) == 1 and codes[-1] == 429


# -- carrier states on the sandbox clock ----------------------------------------------------------


async def test_some_shipped_packages_are_returned_and_some_wait_at_a_collection_point():
    """States UnDelivered, Returned, AtCollectionPoint (getShipmentPackages status enum) are
    produced by the sandbox clock for a share of shipped packages, the same per seed."""
    counts = []
    for _ in range(2):
        sb = TrendyolSandbox(seed=5, undelivered_share=0.2, collection_point_share=0.2)
        sb.seed_random(60)
        for pid in list(sb.packages):
            sb.set_status(pid, "Invoiced")
        sb.clock.advance((SHIP_AFTER + DELIVER_AFTER).total_seconds() + 60)
        async with http(sb) as client:  # one request lets the clock act
            await client.get(ORDERS, params={"size": 1})
        counts.append(Counter(p["status"] for p in sb.packages.values()))
    assert counts[0] == counts[1]  # deterministic
    assert counts[0]["UnDelivered"] > 0 and counts[0]["AtCollectionPoint"] > 0
    assert counts[0]["Delivered"] > counts[0]["UnDelivered"]


@pytest.mark.parametrize(
    ("outcome", "path"),
    [
        ("AtCollectionPoint", ["Shipped", "AtCollectionPoint", "Delivered"]),
        ("Returned", ["Shipped", "UnDelivered", "Returned"]),
        ("UnDelivered", ["Shipped", "UnDelivered"]),
        ("Delivered", ["Shipped", "Delivered"]),
    ],
)
async def test_a_forced_outcome_passes_through_its_states(sandbox, outcome, path):
    pid = package_in(sandbox, "Created")
    sandbox.force_outcome(pid, outcome)
    sandbox.set_status(pid, "Invoiced")
    seen: list[str] = []
    async with http(sandbox) as client:
        for _ in range(12):
            sandbox.clock.advance(12 * 3600)
            body = (await client.get(ORDERS, params={"shipmentPackageIds": pid})).json()
            (pkg,) = body["content"]
            if not seen or seen[-1] != pkg["status"]:
                seen.append(pkg["status"])
    assert seen == path
    history = [h["status"] for h in sandbox.packages[pid]["packageHistories"]]
    assert history[-len(path) :] == path


async def test_the_new_states_are_status_filters(sandbox):
    pid = package_in(sandbox, "Created")
    sandbox.set_status(pid, "AtCollectionPoint")
    async with http(sandbox) as client:
        body = (await client.get(ORDERS, params={"status": "AtCollectionPoint"})).json()
    assert [p["shipmentPackageId"] for p in body["content"]] == [pid]


# -- createClaim only on goods the buyer had ------------------------------------------------


def claim_body(sb: TrendyolSandbox, pid: int) -> dict[str, object]:
    pkg = sb.packages[pid]
    line = pkg["lines"][0]
    return {
        "claimItems": [{"barcode": line["barcode"], "quantity": 1, "reasonId": 401}],
        "orderNumber": pkg["orderNumber"],
        "customerId": pkg["customerId"],
        "excludeListing": False,
        "forcePackageCreation": True,
        "shipmentCompanyId": 4,
    }


@pytest.mark.parametrize("status", ["Created", "Picking", "Invoiced"])
async def test_create_claim_refuses_a_package_never_shipped(sandbox, status):
    pid = package_in(sandbox, status)
    async with http(sandbox) as client:
        response = await client.post(f"{CLAIMS}/create", json=claim_body(sandbox, pid))
    assert response.status_code == 400
    assert not sandbox.claims


@pytest.mark.parametrize("status", ["Shipped", "Delivered"])
async def test_create_claim_on_shipped_or_delivered_goods(sandbox, status):
    pid = package_in(sandbox, "Created")
    sandbox.set_status(pid, status)
    async with http(sandbox) as client:
        response = await client.post(f"{CLAIMS}/create", json=claim_body(sandbox, pid))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["claimId"] in sandbox.claims and body["claimItemIds"]
