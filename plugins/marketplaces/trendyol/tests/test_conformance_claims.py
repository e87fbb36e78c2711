"""Conformance, claims: the sandbox's getClaims, approve, createClaimIssue, createClaim, the
claim-issue reasons and the 48-hour auto-accept, with raw HTTP written from Trendyol's
reference (TY-SPEC ``loncadev/lonca`` ``specs/trendyol/marketplace.json``, captured
2026-10-09; TY-EN and TY-DOCS pages as cited in ../shared/reference/apis.md 1.7 and
apis-2.md 1). Limits marked *assumed* are the sandbox's own, since none is published."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from kervan_trendyol.sandbox import SELLER_ID, TrendyolSandbox

from .test_conformance import http

CLAIMS = f"/integration/order/sellers/{SELLER_ID}/claims"
REASONS = "/integration/order/claim-issue-reasons"
JPEG = b"\xff\xd8\xff\xe0 a returned shoe"
PDF = b"%PDF-1.4 pack scan log"


def delivered(sandbox: TrendyolSandbox, index: int = 0) -> int:
    pid = list(sandbox.packages)[index]
    sandbox.deliver(pid)
    return pid


def waiting_claim(sandbox: TrendyolSandbox, index: int = 0) -> tuple[str, list[str]]:
    """A buyer's claim whose parcel reached the seller: (claimId, its claim item ids)."""
    claim_id = sandbox.open_customer_claim(delivered(sandbox, index))
    return claim_id, sandbox.claim_arrives(claim_id)


def items_of(claim: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for group in claim["items"] for item in group["claimItems"]]


async def get_claim(client: httpx.AsyncClient, claim_id: str) -> dict[str, Any]:
    response = await client.get(CLAIMS, params={"claimIds": claim_id})
    assert response.status_code == 200, response.text
    (claim,) = response.json()["content"]
    return claim


# -- getClaims ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params", [{"size": 201}, {"size": 0}, {"page": -1}, {"size": "fifty"}, {"startDate": "dün"}]
)
async def test_get_claims_refuses_paging_and_dates_outside_the_reference(sandbox, params):
    """TY-SPEC getClaims: ``size`` at most 200, ``page``/``size``/dates integers."""
    async with http(sandbox) as client:
        response = await client.get(CLAIMS, params=params)
    assert response.status_code == 400


async def test_get_claims_pages_with_a_default_size_of_50(sandbox):
    """TY-SPEC getClaims: ``page`` default 0, ``size`` default 50; the page envelope."""
    for index in range(3):
        sandbox.open_customer_claim(delivered(sandbox, index))
    async with http(sandbox) as client:
        default = (await client.get(CLAIMS)).json()
        paged = (await client.get(CLAIMS, params={"page": 1, "size": 2})).json()
    assert (default["page"], default["size"], default["totalElements"]) == (0, 50, 3)
    assert (paged["totalPages"], len(paged["content"])) == (2, 1)


async def test_get_claims_filters_on_the_creation_date_status_and_order(sandbox):
    """TY-SPEC getClaims: startDate/endDate on ``claimDate``; ``claimItemStatus`` from the
    enum; ``orderNumber``; ``claimIds`` overrides every other filter (TY-EN)."""
    early, _ = waiting_claim(sandbox, 0)
    sandbox.clock.advance(3600)
    since = sandbox.now_ms()
    late = sandbox.open_customer_claim(delivered(sandbox, 1))
    number = sandbox.claims[late]["orderNumber"]
    async with http(sandbox) as client:

        async def ids(**params: Any) -> list[str]:
            response = await client.get(CLAIMS, params=params)
            assert response.status_code == 200, response.text
            return [c["claimId"] for c in response.json()["content"]]

        assert await ids(startDate=since, endDate=sandbox.now_ms()) == [late]
        assert await ids(claimItemStatus="WaitingInAction") == [early]
        assert await ids(orderNumber=number) == [late]
        assert await ids(claimIds=early, orderNumber=number) == [early]
        bogus = await client.get(CLAIMS, params={"claimItemStatus": "Waiting"})
    assert bogus.status_code == 400


# -- approveClaimLineItems ----------------------------------------------------------------------


async def test_approve_only_items_waiting_in_action(sandbox):
    """TY-EN "Approve Returned Orders": only ``WaitingInAction`` items; the audit names
    ``SellerIntegrationApi`` (TY-SPEC getClaimItemAudits example)."""
    on_way = sandbox.open_customer_claim(delivered(sandbox, 0))
    claim_id, item_ids = waiting_claim(sandbox, 1)
    async with http(sandbox) as client:
        early = await client.put(
            f"{CLAIMS}/{on_way}/items/approve",
            json={"claimLineItemIdList": [items_of(sandbox.claims[on_way])[0]["id"]], "params": {}},
        )
        ok = await client.put(
            f"{CLAIMS}/{claim_id}/items/approve",
            json={"claimLineItemIdList": item_ids, "params": {}},
        )
        claim = await get_claim(client, claim_id)
        audit = (await client.get(f"{CLAIMS}/items/{item_ids[0]}/audit")).json()
    assert early.status_code == 400
    assert ok.status_code == 200 and not ok.content
    assert {i["claimItemStatus"]["name"] for i in items_of(claim)} == {"Accepted"}
    assert all(i["acceptedBySeller"] and i["acceptDetail"] == "SUPPLIER" for i in items_of(claim))
    assert [(a["previousStatus"], a["newStatus"]) for a in audit] == [
        ("", "Created"),
        ("Created", "WaitingInAction"),
        ("WaitingInAction", "Accepted"),
    ]
    assert audit[-1]["userInfoDocument"]["executorApp"] == "SellerIntegrationApi"


# -- createClaimIssue (multipart) ---------------------------------------------------------------


def issue_form(reason: int, item_ids: list[str], description: str = "kullanılmış") -> dict:
    return {
        "claimIssueReasonId": str(reason),
        "claimItemIdList": ",".join(item_ids),
        "description": description,
    }


async def test_issue_takes_several_files_in_the_files_array(sandbox):
    """TY-SPEC createClaimIssue: multipart/form-data with ``files`` (binary array): a photo and
    a PDF both arrive; the items go into dispute (``Unresolved``)."""
    claim_id, item_ids = waiting_claim(sandbox)
    files = [("files", ("on.jpg", JPEG, "image/jpeg")), ("files", ("pack.pdf", PDF, "x/y"))]
    async with http(sandbox) as client:
        response = await client.post(
            f"{CLAIMS}/{claim_id}/issue", data=issue_form(51, item_ids), files=files
        )
        claim = await get_claim(client, claim_id)
    assert response.status_code == 200, response.text
    assert {i["claimItemStatus"]["name"] for i in items_of(claim)} == {"Unresolved"}
    assert sandbox.claim_attachments(claim_id) == [
        ("on.jpg", "image/jpeg", JPEG),
        ("pack.pdf", "application/pdf", PDF),  # judged by its bytes, not its label
    ]


@pytest.mark.parametrize(
    ("reason", "files", "key"),
    [
        (251, [], "file.required"),
        (9999, [("files", ("a.jpg", JPEG, "image/jpeg"))], "claimIssueReasonId.invalid"),
        (51, [("files", ("log.json", b'{"scans": []}', "application/json"))], "file.type.invalid"),
        (
            51,
            [("files", (f"{n}.jpg", JPEG, "image/jpeg")) for n in range(11)],
            "file.count.exceeded",
        ),
        (
            51,
            [("files", ("big.jpg", JPEG + b"\0" * (10 * 1024 * 1024), "image/jpeg"))],
            "file.size.exceeded",
        ),
    ],
    ids=["file-needed", "unknown-reason", "json-file", "eleven-files", "over-10-MB"],
)
async def test_issue_refuses_what_the_reference_or_the_assumed_limits_refuse(
    sandbox, reason, files, key
):
    """A file for every reason but 451/1651/2101 (TY-DOCS v3.0 "5. Reject Returned Orders");
    the reason from getClaimIssueReasons; PDF/JPEG/PNG, ≤10 MB, ≤10 files (*assumed*)."""
    claim_id, item_ids = waiting_claim(sandbox)
    async with http(sandbox) as client:
        response = await client.post(
            f"{CLAIMS}/{claim_id}/issue", data=issue_form(reason, item_ids), files=files or None
        )
    assert response.status_code == 400
    assert response.json()["errors"][0]["key"] == key
    assert not sandbox.claim_attachments(claim_id)


@pytest.mark.parametrize("reason", [451, 2101])
async def test_issue_without_a_file_for_the_reasons_that_need_none(sandbox, reason):
    claim_id, item_ids = waiting_claim(sandbox)
    async with http(sandbox) as client:
        response = await client.post(
            f"{CLAIMS}/{claim_id}/issue",
            files=[(k, (None, v)) for k, v in issue_form(reason, item_ids).items()],
        )
    assert response.status_code == 200, response.text


async def test_issue_description_is_at_most_500_characters(sandbox):
    claim_id, item_ids = waiting_claim(sandbox)
    async with http(sandbox) as client:
        response = await client.post(
            f"{CLAIMS}/{claim_id}/issue",
            data=issue_form(51, item_ids, "x" * 501),
            files=[("files", ("a.jpg", JPEG, "image/jpeg"))],
        )
    assert response.status_code == 400


# -- createClaim --------------------------------------------------------------------------------


async def test_create_claim_answers_the_claim_id_that_get_claims_lists(sandbox):
    """TY-SPEC createClaim: 200 ``{claimId, cargoTrackingNumber, claimItemIds}``, the claim in
    ``Created``; the audit's creation entry names ``SellerIntegrationApi``."""
    pkg = sandbox.packages[delivered(sandbox)]
    line = pkg["lines"][0]
    body = {
        "orderNumber": pkg["orderNumber"],
        "claimItems": [{"barcode": line["barcode"], "quantity": 1, "reasonId": 401}],
    }
    async with http(sandbox) as client:
        response = await client.post(f"{CLAIMS}/create", json=body)
        assert response.status_code == 200, response.text
        created = response.json()
        claim = await get_claim(client, created["claimId"])
        audit = (await client.get(f"{CLAIMS}/items/{created['claimItemIds'][0]}/audit")).json()
    assert set(created) == {"claimId", "cargoTrackingNumber", "claimItemIds"}
    assert claim["orderNumber"] == pkg["orderNumber"]
    assert [i["id"] for i in items_of(claim)] == created["claimItemIds"]
    assert {i["claimItemStatus"]["name"] for i in items_of(claim)} == {"Created"}
    assert audit[0]["userInfoDocument"]["executorApp"] == "SellerIntegrationApi"


# -- reasons and time ---------------------------------------------------------------------------


async def test_claim_issue_reasons_are_id_and_name(sandbox):
    """TY-SPEC getClaimIssueReasons: ``[{id, name}]``, no sellerId in the path."""
    async with http(sandbox) as client:
        response = await client.get(REASONS)
    assert response.status_code == 200
    reasons = response.json()
    assert all(set(r) == {"id", "name"} for r in reasons)
    assert {1, 51, 251, 451, 1651, 1701, 1751, 2101} <= {r["id"] for r in reasons}


async def test_items_left_waiting_48_hours_are_accepted_by_the_system(sandbox):
    """TY-SPEC getClaims ``autoAccepted``: "48 saat beklemede kalan iadeler sistem tarafından
    otomatik olarak kabul edilir"."""
    claim_id, _ = waiting_claim(sandbox)
    async with http(sandbox) as client:
        sandbox.clock.advance(timedelta(hours=48).total_seconds() - 60)
        before = await get_claim(client, claim_id)
        sandbox.clock.advance(120)
        after = await get_claim(client, claim_id)
    assert {i["claimItemStatus"]["name"] for i in items_of(before)} == {"WaitingInAction"}
    assert {i["claimItemStatus"]["name"] for i in items_of(after)} == {"Accepted"}
    assert all(i["autoAccepted"] and i["acceptDetail"] == "SYSTEM" for i in items_of(after))


async def test_a_buyer_cannot_claim_goods_never_shipped(sandbox):
    pid = next(p for p, pkg in sandbox.packages.items() if pkg["status"] == "Created")
    with pytest.raises(ValueError):
        sandbox.open_customer_claim(pid)
