"""Claims (returns): list by status, approve, reject with a photo, create, audit, clock rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from kervan import ClaimFile
from kervan.domain import ClaimLineStatus
from kervan.errors import InvalidInputError, RemoteRejectedError

from .conftest import fetch

PHOTO = ClaimFile(name="iade.jpg", data=b"\xff\xd8\xff\xe0 fake jpeg")


async def claims(trendyol, days: int = 3):
    return [c async for c in trendyol.fetch_claims(trendyol.context.clock() - timedelta(days=days))]


@pytest.fixture
def returned(sandbox):
    """Two packages came back: one already at the seller, one still on its way."""
    first, second = list(sandbox.packages)[:2]
    waiting = sandbox.customer_return(first, reason_id=501, note="küçük geldi")
    on_way = sandbox.customer_return(second, arrived=False)
    return waiting, on_way


async def test_fetch_claims_maps_items_and_statuses(sandbox, trendyol, returned):
    waiting_id, on_way_id = returned
    got = {c.external_id: c for c in await claims(trendyol)}
    assert set(got) == {waiting_id, on_way_id}
    waiting = got[waiting_id]
    assert {line.status for line in waiting.lines} == {ClaimLineStatus.WAITING}
    assert {line.reason.code for line in waiting.lines} == {"501"}
    assert waiting.lines[0].customer_note == "küçük geldi"
    units = sum(line["quantity"] for line in sandbox.packages[int(waiting.package_id)]["lines"])
    assert len(waiting.lines) == units  # one claim line per returned unit
    line_ids = {str(x["lineId"]) for x in sandbox.packages[int(waiting.package_id)]["lines"]}
    assert {line.order_line_id for line in waiting.lines} == line_ids
    assert {line.status for line in got[on_way_id].lines} == {ClaimLineStatus.CREATED}


async def test_claims_are_listed_by_status(sandbox, client, returned):
    waiting_id, _ = returned
    body = await client.get_claims({"claimItemStatus": "WaitingInAction"})
    assert [c["claimId"] for c in body["content"]] == [waiting_id]
    assert set(body) == {"totalElements", "totalPages", "page", "size", "content"}
    claim = body["content"][0]
    assert {
        "claimId",
        "orderNumber",
        "claimDate",
        "orderShipmentPackageId",
        "items",
        "lastModifiedDate",
        "cargoTrackingNumber",
    } <= set(claim)
    item = claim["items"][0]["claimItems"][0]
    assert {
        "id",
        "orderLineItemId",
        "customerClaimItemReason",
        "claimItemStatus",
        "autoAccepted",
        "acceptedBySeller",
        "resolved",
    } <= set(item)


async def test_approve_accepts_the_lines_and_is_idempotent(sandbox, trendyol, returned):
    waiting_id, _ = returned
    claim = next(c for c in await claims(trendyol) if c.external_id == waiting_id)
    ids = [line.id for line in claim.lines]
    assert (await trendyol.approve_claim(claim, ids)).already_done is False
    assert (await trendyol.approve_claim(claim, ids)).already_done is True
    refreshed = next(c for c in await claims(trendyol) if c.external_id == waiting_id)
    assert {line.status for line in refreshed.lines} == {ClaimLineStatus.ACCEPTED}
    audit = await trendyol.claim_audit(ids[0])
    assert [(a["previousStatus"], a["newStatus"]) for a in audit] == [
        ("", "Created"),
        ("Created", "WaitingInAction"),
        ("WaitingInAction", "Accepted"),
    ]
    assert audit[-1]["userInfoDocument"]["executorApp"] == "SellerIntegrationApi"


async def test_only_waiting_in_action_items_can_be_approved(trendyol, returned):
    _, on_way_id = returned
    claim = next(c for c in await claims(trendyol) if c.external_id == on_way_id)
    with pytest.raises(RemoteRejectedError) as err:
        await trendyol.approve_claim(claim, [claim.lines[0].id])
    assert err.value.detail["keys"] == ["claim.item.not.waiting"]


async def test_reject_with_photo_puts_items_in_dispute(sandbox, trendyol, returned):
    waiting_id, _ = returned
    claim = next(c for c in await claims(trendyol) if c.external_id == waiting_id)
    ids = [claim.lines[0].id]
    ref = await trendyol.reject_claim(claim, ids, "51", "Ürün kullanılmış, etiketi yok", [PHOTO])
    assert ref.already_done is False
    refreshed = next(c for c in await claims(trendyol) if c.external_id == waiting_id)
    assert refreshed.lines[0].status is ClaimLineStatus.DISPUTED
    raw_item = next(
        i for g in sandbox.claims[waiting_id]["items"] for i in g["claimItems"] if i["id"] == ids[0]
    )
    assert raw_item["note"] == "Ürün kullanılmış, etiketi yok"
    again = await trendyol.reject_claim(claim, ids, "51", "Ürün kullanılmış", [PHOTO])
    assert again.already_done is True
    # Trendyol decides the dispute later (inferred: for the seller after 72 h)
    sandbox.clock.advance(73 * 3600)
    decided = next(c for c in await claims(trendyol, days=5) if c.external_id == waiting_id)
    assert decided.lines[0].status is ClaimLineStatus.REJECTED


async def test_reject_rules(sandbox, trendyol, returned):
    waiting_id, _ = returned
    claim = next(c for c in await claims(trendyol) if c.external_id == waiting_id)
    ids = [claim.lines[0].id]
    with pytest.raises(InvalidInputError):  # a photo is needed for "used"
        await trendyol.reject_claim(claim, ids, "51", "kullanılmış")
    with pytest.raises(InvalidInputError):
        await trendyol.reject_claim(claim, ids, "51", "x" * 501, [PHOTO])
    with pytest.raises(InvalidInputError):
        await trendyol.reject_claim(claim, ids, "used", "kullanılmış", [PHOTO])
    with pytest.raises(RemoteRejectedError) as err:  # 1651 not within the first 24 h
        await trendyol.reject_claim(claim, ids, "1651", "paket gelmedi")
    assert err.value.detail["keys"] == ["claimIssueReasonId.too.early"]
    sandbox.clock.advance(25 * 3600)
    await trendyol.reject_claim(claim, ids, "1651", "paket gelmedi")  # no photo needed


async def test_sandbox_accepts_the_legacy_query_string_form_and_requires_files(sandbox, returned):
    import httpx
    from kervan_trendyol.sandbox import SELLER_ID

    from .test_fidelity import AGENT, auth

    waiting_id, _ = returned
    item = sandbox.claims[waiting_id]["items"][0]["claimItems"][0]["id"]
    path = f"/integration/order/sellers/{SELLER_ID}/claims/{waiting_id}/issue"
    params = {"claimIssueReasonId": 251, "claimItemIdList": item, "description": "defolu"}
    async with httpx.AsyncClient(
        base_url="http://t",
        transport=sandbox.transport(),
        headers={"User-Agent": AGENT, "Authorization": auth()},
    ) as http:
        missing = await http.post(path, params=params)
        assert missing.status_code == 400
        assert missing.json()["errors"][0]["key"] == "file.required"
        ok = await http.post(
            path, params=params, files={"file": ("a.jpg", PHOTO.data, "image/jpeg")}
        )
        assert ok.status_code == 200


async def test_approve_is_limited_to_5_per_minute_and_the_client_waits(sandbox, trendyol):
    pids = list(sandbox.packages)[:7]
    ids = [sandbox.customer_return(pid) for pid in pids]
    all_claims = {c.external_id: c for c in await claims(trendyol)}
    started = sandbox.clock.now()
    for claim_id in ids:
        claim = all_claims[claim_id]
        await trendyol.approve_claim(claim, [line.id for line in claim.lines])
    assert sandbox.count("PUT", "*/items/approve") == 7  # no 429 ever came back
    assert all(r.status == 200 for r in sandbox.requests if r.path.endswith("/approve"))
    assert (sandbox.clock.now() - started).total_seconds() >= 60


async def test_unattended_claims_arrive_and_are_auto_accepted(sandbox, trendyol, returned):
    _, on_way_id = returned
    sandbox.clock.advance(24 * 3600)
    arrived = next(c for c in await claims(trendyol) if c.external_id == on_way_id)
    assert {line.status for line in arrived.lines} == {ClaimLineStatus.WAITING}
    sandbox.clock.advance(48 * 3600)
    raw = (await trendyol.client.get_claims({"claimIds": on_way_id}))["content"][0]
    items = raw["items"][0]["claimItems"]
    assert {i["claimItemStatus"]["name"] for i in items} == {"Accepted"}
    assert all(i["autoAccepted"] and i["acceptDetail"] == "SYSTEM" for i in items)


def delivered(sandbox, order):
    """The carrier delivered the package: the buyer has the goods a claim sends back."""
    sandbox.set_status(int(order.package_id), "Delivered")
    return order


async def test_create_claim_for_goods_returned_without_a_code(sandbox, trendyol):
    order = delivered(sandbox, (await fetch(trendyol))[0])
    line = order.lines[0]
    ref = await trendyol.create_claim(order, {line.line_id: 1}, "401", "kodsuz iade")
    claim = sandbox.claims[ref.remote_id]
    assert claim["orderNumber"] == order.order_number
    (group,) = claim["items"]
    assert group["orderLine"]["barcode"] == line.barcode
    assert [i["claimItemStatus"]["name"] for i in group["claimItems"]] == ["Created"]
    assert group["claimItems"][0]["customerNote"] == "kodsuz iade"


async def test_create_claim_refuses_a_package_never_shipped(sandbox, trendyol):
    order = next(o for o in await fetch(trendyol) if o.remote_status == "Created")
    with pytest.raises(RemoteRejectedError) as err:
        await trendyol.create_claim(order, {order.lines[0].line_id: 1}, "401")
    assert err.value.detail["keys"] == ["package.not.claimable"]
    assert not sandbox.claims


async def test_create_claim_is_idempotent_and_its_id_is_the_one_fetch_reports(sandbox, trendyol):
    order = delivered(sandbox, (await fetch(trendyol))[0])
    line = order.lines[0]
    first = await trendyol.create_claim(order, {line.line_id: int(line.quantity)}, "401")
    again = await trendyol.create_claim(order, {line.line_id: 1}, "401")
    assert (first.already_done, again.already_done) == (False, True)
    assert again.remote_id == first.remote_id
    assert [c for c in sandbox.claims.values() if c["orderNumber"] == order.order_number] == [
        sandbox.claims[first.remote_id]
    ]
    (fetched,) = [c for c in await claims(trendyol) if c.order_number == order.order_number]
    assert fetched.external_id == first.remote_id
    assert fetched.opened_by == "seller" and fetched.respond_by is None  # not arrived yet
    with pytest.raises(RemoteRejectedError) as err:  # Trendyol itself refuses the surplus
        await trendyol.client.create_claim(
            {
                "orderNumber": order.order_number,
                "claimItems": [{"barcode": line.barcode, "quantity": 1, "reasonId": 401}],
            }
        )
    assert err.value.detail["keys"] == ["claim.quantity.exceeded"]
    with pytest.raises(InvalidInputError):
        await trendyol.create_claim(order, {"nope": 1}, "401")
    with pytest.raises(InvalidInputError):
        await trendyol.create_claim(order, {line.line_id: 1}, "vazgeçtim")


async def test_claim_issue_reasons_are_served(client):
    reasons = {r["id"] for r in await client.claim_issue_reasons()}
    assert {1, 51, 201, 251, 451, 1651, 1701, 1751} <= reasons
