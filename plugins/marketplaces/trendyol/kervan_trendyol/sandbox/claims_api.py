"""Sandbox endpoints for claims (returns): list, approve, issue (reject), create, audit.

Rules and their sources (TY-SPEC: ``loncadev/lonca`` ``specs/trendyol/marketplace.json``;
the connector's :mod:`kervan_trendyol.claim_rules` cites the rest):

- getClaims: ``page`` ≥ 0 (default 0), ``size`` 1–200 (default 50), ``startDate``/``endDate``
  epoch ms on the claim's creation date, ``claimItemStatus`` one of the enum, ``orderNumber``,
  ``claimIds`` (which overrides every other filter [TY-EN]); ordered by ``lastModifiedDate``.
  A value that is no number is a 400 (ours: the reference types them int64/int).
- approve and createClaimIssue act on ``WaitingInAction`` items only; createClaimIssue takes
  ``claimIssueReasonId`` from getClaimIssueReasons, a description of 1–500 characters, and at
  least one file in ``files`` (or the legacy ``file``) except for reasons 451, 1651 and 2101;
  1651 not within an item's first 24 hours of ``WaitingInAction``. Files must be PDF, JPEG or
  PNG of at most 10 MB, at most 10 of them: *assumed* limits (none is published).
- An item left ``WaitingInAction`` for 48 hours is accepted by the system (``autoAccepted``,
  ``acceptDetail=SYSTEM``) [TY-SPEC getClaims ``autoAccepted``].
- The audit's first entry of a claim made through createClaim names ``SellerIntegrationApi``
  (the executorApp of API changes in TY-SPEC's audit example); a buyer's claim names the app
  of the audit example's creation entry.

createClaim serves "order packages that arrive without a return code" [TY-SPEC
marketplace.json createClaim], i.e. goods the buyer received: a claim on an order none of
whose packages has shipped is refused with 400 ``package.not.claimable`` (the rule is
inferred from that purpose; the status list :data:`CLAIMABLE` and the error key are ours).
"""

from __future__ import annotations

import copy
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Request, Response
from kervan_sdk.sandbox import page_count, paginate

from ..mapping import from_epoch_ms

if TYPE_CHECKING:
    from .app import TrendyolSandbox

ISSUE_REASONS = [
    {"id": 1, "name": "İade gelen ürün sahte"},
    {"id": 51, "name": "İade gelen ürün kullanılmış"},
    {"id": 101, "name": "Fazla ürün gönderilmiş"},
    {"id": 151, "name": "Ürünün parçası/aksesuarı eksik"},
    {"id": 201, "name": "İade gelen ürün yanlış"},
    {"id": 251, "name": "İade gelen ürün defolu / zarar görmüş"},
    {"id": 301, "name": "İade gelen ürün bana ait değil"},
    {"id": 351, "name": "İade paketi boş geldi"},
    {"id": 401, "name": "Eksik ürün"},
    {"id": 451, "name": "Diğer (analize gönder)"},
    {"id": 1651, "name": "İade paketi elime ulaşmadı"},
    {"id": 1701, "name": "Ürün yanlış değil"},
    {"id": 1751, "name": "Ürün defolu değil"},
    # v3.0 "4. Approve Returned Orders" lists 2101 among the reasons that need no file
    {"id": 2101, "name": "Sipariş sorusundan değişim talebi"},
]
CUSTOMER_REASONS = {
    251: ("Modelini beğenmedim", "DISLIKED_MODEL"),
    301: ("Ürün defolu gönderildi", "DEFECTIVE"),
    351: ("Yanlış ürün gönderildi", "WRONG_PRODUCT"),
    401: ("Vazgeçtim", "GIVE_UP"),
    451: ("Diğer", "OTHER"),
    501: ("Beden küçük geldi", "SMALL"),
    551: ("Beden büyük geldi", "LARGE"),
    651: ("Ürün açıklamadaki gibi değil", "NOT_AS_DESCRIBED"),
    701: ("Yanlış sipariş verdim", "ORDERED_WRONG"),
}
NO_FILE_REASONS = {1651, 451, 2101}
#: assumed attachment limits (none is published; the invoice-file service's types and size)
FILE_MAGIC = {"application/pdf": b"%PDF", "image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG"}
MAX_FILES = 10
MAX_FILE_BYTES = 10 * 1024 * 1024
CUSTOMER_APP = "Seller Center Orders BFF"  # the creation entry's app in TY-SPEC's audit example
API_APP = "SellerIntegrationApi"
#: package statuses whose goods a buyer can send back (reached or on the way to the buyer)
CLAIMABLE = frozenset({"Shipped", "AtCollectionPoint", "Delivered"})
STATUSES = {
    "Created",
    "WaitingInAction",
    "WaitingFraudCheck",
    "Accepted",
    "Unresolved",
    "Rejected",
    "Cancelled",
    "InAnalysis",
}


def _err(status: int, key: str, message: str) -> Exception:
    from .app import TrendyolError

    return TrendyolError(status, key, message)


def _items(claim: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for group in claim["items"] for item in group["claimItems"]}


def move(
    sb: TrendyolSandbox,
    claim: dict[str, Any],
    item: dict[str, Any],
    status: str,
    *,
    executor: str = "SellerIntegrationApi",
) -> None:
    previous = item["claimItemStatus"]["name"]
    item["claimItemStatus"] = {"name": status}
    item["statusAt"] = sb.now_ms()
    claim["lastModifiedDate"] = sb.now_ms()
    sb.audits.setdefault(item["id"], []).append(
        {
            "claimId": claim["claimId"],
            "claimItemId": item["id"],
            "previousStatus": previous,
            "newStatus": status,
            "userInfoDocument": {
                "executorId": str(sb.seller_id),
                "executorApp": executor,
                "executorUser": "kervan@seller" if executor == "SellerIntegrationApi" else "system",
            },
            "date": sb.now_ms(),
        }
    )


def tick(sb: TrendyolSandbox, now: datetime) -> None:
    """Returned parcels arrive, untouched ones auto-accept, disputes get decided."""
    from .app import AUTO_ACCEPT_AFTER, CLAIM_ARRIVES_AFTER, DISPUTE_DECIDED_AFTER

    for claim in sb.claims.values():
        for item in _items(claim).values():
            status = item["claimItemStatus"]["name"]
            since = from_epoch_ms(item.get("statusAt")) or now
            if status == "Created" and now - since >= CLAIM_ARRIVES_AFTER:
                move(sb, claim, item, "WaitingInAction", executor="TrendyolWarehouse")
            elif status == "WaitingInAction" and now - since >= AUTO_ACCEPT_AFTER:
                item.update(autoAccepted=True, acceptDetail="SYSTEM", resolved=True)
                move(sb, claim, item, "Accepted", executor="ClaimAutoApprove")
            elif status == "Unresolved" and now - since >= DISPUTE_DECIDED_AFTER:
                item.update(resolved=True)
                move(sb, claim, item, "Rejected", executor="TrendyolCustomerService")


def new_claim(
    sb: TrendyolSandbox,
    pkg: dict[str, Any],
    wanted: list[tuple[dict[str, Any], int, int, str]],
    *,
    status: str = "Created",
    opened_with: str = CUSTOMER_APP,
) -> dict[str, Any]:
    """A claim on ``pkg`` for ``(line, quantity, reasonId, note)``, one claim item per unit;
    ``opened_with``: the app its audit's creation entry names."""
    claim_id = str(uuid.UUID(int=sb.random.getrandbits(128)))
    groups = []
    for line, quantity, reason_id, note in wanted:
        name, code = CUSTOMER_REASONS.get(reason_id, ("Diğer", "OTHER"))
        order_line = {
            "id": line["lineId"],
            "lineId": line["lineId"],
            "productName": line["productName"],
            "barcode": line["barcode"],
            "merchantSku": line.get("stockCode"),
            "stockCode": line.get("stockCode"),
            "price": line["lineUnitPrice"],
            "lineUnitPrice": line["lineUnitPrice"],
            "vatBaseAmount": line["vatRate"],
            "vatRate": line["vatRate"],
            "productColor": line.get("productColor"),
            "productSize": line.get("productSize"),
            "salesCampaignId": line.get("salesCampaignId"),
        }
        items = [
            {
                "id": str(uuid.UUID(int=sb.random.getrandbits(128))),
                "orderLineItemId": line["lineId"] * 100 + n,
                "customerClaimItemReason": {
                    "id": reason_id,
                    "name": name,
                    "externalReasonId": reason_id,
                    "code": code,
                },
                "trendyolClaimItemReason": {
                    "id": reason_id,
                    "name": name,
                    "externalReasonId": reason_id,
                    "code": code,
                },
                "claimItemStatus": {"name": status},
                "note": "",
                "customerNote": note,
                "resolved": False,
                "autoAccepted": False,
                "acceptedBySeller": False,
                "acceptDetail": None,
                "statusAt": sb.now_ms(),
            }
            for n in range(quantity)
        ]
        groups.append({"orderLine": order_line, "claimItems": items})
    tracking = int(f"733{sb.random.randint(10**9, 10**10 - 1)}")
    claim = {
        "id": claim_id,
        "claimId": claim_id,
        "orderNumber": pkg["orderNumber"],
        "orderDate": pkg["orderDate"],
        "customerFirstName": pkg["customerFirstName"],
        "customerLastName": pkg["customerLastName"],
        "claimDate": sb.now_ms(),
        "cargoTrackingNumber": tracking,
        "cargoTrackingLink": f"https://www.trendyolexpress.com/track?trackingNumber={tracking}",
        "cargoSenderNumber": str(sb.random.randint(10**9, 10**10 - 1)),
        "cargoProviderName": "Trendyol Express Marketplace",
        "orderShipmentPackageId": pkg["shipmentPackageId"],
        "orderOutboundPackageId": None,
        "items": groups,
        "lastModifiedDate": sb.now_ms(),
    }
    sb.claims[claim_id] = claim
    for item in _items(claim).values():
        sb.audits[item["id"]] = [
            {
                "claimId": claim_id,
                "claimItemId": item["id"],
                "previousStatus": "",
                "newStatus": "Created",
                "userInfoDocument": {
                    "executorId": str(sb.seller_id) if opened_with == API_APP else "0",
                    "executorApp": opened_with,
                    "executorUser": "kervan@seller" if opened_with == API_APP else "customer",
                },
                "date": sb.now_ms(),
            }
        ]
        if status != "Created":  # the parcel is already at the seller
            item["claimItemStatus"] = {"name": "Created"}
            move(sb, claim, item, status, executor="TrendyolWarehouse")
    return claim


def claimed(sb: TrendyolSandbox, order_number: str, barcode: str) -> int:
    return sum(
        len([i for i in group["claimItems"] if i["claimItemStatus"]["name"] != "Cancelled"])
        for claim in sb.claims.values()
        if claim["orderNumber"] == order_number
        for group in claim["items"]
        if group["orderLine"]["barcode"] == barcode
    )


def create_claim(sb: TrendyolSandbox, body: dict[str, Any]) -> dict[str, Any]:
    number = str(body.get("orderNumber") or "")
    packages = [
        p
        for p in sb.packages.values()
        if p["orderNumber"] == number and p["status"] not in ("UnPacked", "Cancelled", "UnSupplied")
    ]
    if not packages:
        raise _err(400, "order.not.found", "Sipariş bulunamadı")
    # a return is of goods the buyer received: packages not yet shipped cannot be claimed
    packages = [p for p in packages if p["status"] in CLAIMABLE]
    if not packages:
        raise _err(
            400,
            "package.not.claimable",
            "İade talebi yalnızca kargoya verilmiş veya teslim edilmiş paketler için oluşturulabilir",
        )
    wanted = []
    for item in body.get("claimItems") or []:
        barcode, quantity = item.get("barcode"), item.get("quantity")
        reason = item.get("reasonId")
        if not barcode or not isinstance(quantity, int) or quantity < 1 or reason is None:
            raise _err(400, "claimItems.invalid", "barcode, quantity ve reasonId zorunludur")
        found = [(p, line) for p in packages for line in p["lines"] if line["barcode"] == barcode]
        if not found:
            raise _err(400, "barcode.not.found", f"{barcode} siparişte yok")
        pkg, line = found[0]
        ordered = sum(line["quantity"] for _, line in found)
        # inferred rule (no public source): quantity already in open claims cannot be claimed
        if claimed(sb, number, barcode) + quantity > ordered:
            raise _err(400, "claim.quantity.exceeded", "İade edilebilir ürün adedi aşıldı")
        wanted.append((pkg, line, quantity, int(reason), item.get("customerNote") or ""))
    if not wanted:
        raise _err(400, "claimItems.empty", "claimItems boş olamaz")
    claim = new_claim(sb, wanted[0][0], [w[1:] for w in wanted], opened_with=API_APP)
    return {
        "claimId": claim["claimId"],
        "cargoTrackingNumber": claim["cargoTrackingNumber"],
        "claimItemIds": list(_items(claim)),
    }


def _claim(sb: TrendyolSandbox, claim_id: str) -> dict[str, Any]:
    claim = sb.claims.get(claim_id)
    if claim is None:
        raise _err(400, "claim.not.found", "İade bulunamadı")
    return claim


def _waiting(claim: dict[str, Any], ids: list[str]) -> list[dict[str, Any]]:
    items = _items(claim)
    if not ids:
        raise _err(400, "claimLineItemIdList.empty", "En az bir iade kalemi gönderilmelidir")
    out = []
    for item_id in ids:
        item = items.get(item_id)
        if item is None:
            raise _err(400, "claim.item.not.found", f"{item_id} bu iadeye ait değil")
        if item["claimItemStatus"]["name"] != "WaitingInAction":
            raise _err(
                400,
                "claim.item.not.waiting",
                "Sadece WaitingInAction statüsündeki kalemler için işlem yapılabilir",
            )
        out.append(item)
    return out


def approve(sb: TrendyolSandbox, claim_id: str, body: dict[str, Any]) -> None:
    claim = _claim(sb, claim_id)
    for item in _waiting(claim, list(body.get("claimLineItemIdList") or [])):
        item.update(acceptedBySeller=True, acceptDetail="SUPPLIER", resolved=True)
        move(sb, claim, item, "Accepted")


async def issue(sb: TrendyolSandbox, claim_id: str, request: Request) -> None:
    claim = _claim(sb, claim_id)
    content_type = request.headers.get("content-type", "")
    is_form = "multipart" in content_type or "urlencoded" in content_type
    form = await request.form() if is_form else None
    params = request.query_params

    def value(name: str) -> Any:
        given = form.get(name) if form is not None else None
        return given if given is not None else params.get(name)

    reason_text = str(value("claimIssueReasonId") or "")
    if not reason_text.isdigit() or int(reason_text) not in {r["id"] for r in ISSUE_REASONS}:
        raise _err(400, "claimIssueReasonId.invalid", "Geçersiz ret sebebi")
    reason = int(reason_text)
    description = str(value("description") or "")
    if not description or len(description) > 500:
        raise _err(400, "description.invalid", "Açıklama 1-500 karakter olmalıdır")
    uploads = (
        [f for f in (form.getlist("files") + form.getlist("file")) if not isinstance(f, str)]
        if form is not None
        else []
    )
    if reason not in NO_FILE_REASONS and not uploads:
        raise _err(400, "file.required", "Bu ret sebebi için dosya yüklemek zorunludur")
    if len(uploads) > MAX_FILES:
        raise _err(400, "file.count.exceeded", f"En fazla {MAX_FILES} dosya yüklenebilir")
    files = []
    for upload in uploads:
        data = await upload.read()
        kind = next((k for k, magic in FILE_MAGIC.items() if data.startswith(magic)), None)
        if kind is None:
            raise _err(400, "file.type.invalid", "Dosya pdf, jpeg veya png olmalıdır")
        if len(data) > MAX_FILE_BYTES:
            raise _err(400, "file.size.exceeded", "Dosya boyutu en fazla 10 MB olabilir")
        files.append({"name": upload.filename or "", "contentType": kind, "data": data})
    ids = [i for i in str(value("claimItemIdList") or "").split(",") if i]
    items = _waiting(claim, ids)
    if reason == 1651:
        since = min(i.get("statusAt", 0) for i in items)
        if sb.now_ms() - since < 24 * 3600 * 1000:
            raise _err(400, "claimIssueReasonId.too.early", "1651 ilk 24 saat içinde kullanılamaz")
    for item in items:
        item["note"] = description
        move(sb, claim, item, "Unresolved")
    sb.claim_files.setdefault(claim_id, []).extend(files)


def _number(query: Any, name: str, default: int | None) -> Any:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise _err(400, f"invalid.{name}", f"{name} sayı olmalıdır") from None


def arrive(sb: TrendyolSandbox, claim_id: str) -> list[str]:
    """The returned parcel reached the seller: the claim's ``Created`` items wait for the
    seller (``WaitingInAction``). Returns the ids of the items moved."""
    claim = _claim(sb, claim_id)
    moved = []
    for item in _items(claim).values():
        if item["claimItemStatus"]["name"] == "Created":
            move(sb, claim, item, "WaitingInAction", executor="TrendyolWarehouse")
            moved.append(item["id"])
    return moved


def list_claims(sb: TrendyolSandbox, request: Request) -> dict[str, Any]:
    q = request.query_params
    page, size = _number(q, "page", 0), _number(q, "size", 50)
    if page < 0:
        raise _err(400, "invalid.page", "page 0 veya daha büyük olmalıdır")
    if not 1 <= size <= 200:
        raise _err(400, "invalid.size", "size en fazla 200 olabilir")
    ids = {i for raw in q.getlist("claimIds") for i in raw.split(",") if i}
    status = q.get("claimItemStatus")
    if status and status not in STATUSES:
        raise _err(400, "invalid.claimItemStatus", "Geçersiz claimItemStatus")
    start, end = _number(q, "startDate", None), _number(q, "endDate", None)
    items = []
    for claim in sb.claims.values():
        if ids:
            if claim["claimId"] in ids:
                items.append(claim)
            continue
        if (start is not None and claim["claimDate"] < start) or (
            end is not None and claim["claimDate"] > end
        ):
            continue
        if q.get("orderNumber") and claim["orderNumber"] != q["orderNumber"]:
            continue
        if status and not any(
            i["claimItemStatus"]["name"] == status for i in _items(claim).values()
        ):
            continue
        items.append(claim)
    items.sort(key=lambda c: (c["lastModifiedDate"], c["claimId"]))
    content = paginate(sb, request.url.path, items, page, size)
    served = copy.deepcopy(content)
    for claim in served:
        for item in _items(claim).values():
            item.pop("statusAt", None)
    return {
        "totalElements": len(items),
        "totalPages": page_count(len(items), size) if items else 0,
        "page": page,
        "size": size,
        "content": served,
    }


def add_routes(sb: TrendyolSandbox, app: FastAPI) -> None:
    root = "/integration/order/sellers/{sellerId}/claims"

    @app.get(root, dependencies=[Depends(sb.guard("GET claims"))])
    async def get_claims(request: Request) -> dict[str, Any]:
        return list_claims(sb, request)

    @app.post(root + "/create", dependencies=[Depends(sb.guard("POST claims"))])
    async def post_create(body: dict[str, Any]) -> dict[str, Any]:
        return create_claim(sb, body)

    @app.put(
        root + "/{claimId}/items/approve", dependencies=[Depends(sb.guard("PUT claims/approve"))]
    )
    async def put_approve(claimId: str, body: dict[str, Any]) -> Response:
        approve(sb, claimId, body)
        return Response(status_code=200)

    @app.post(root + "/{claimId}/issue", dependencies=[Depends(sb.guard("POST claims/issue"))])
    async def post_issue(claimId: str, request: Request) -> Response:
        await issue(sb, claimId, request)
        return Response(status_code=200)

    @app.get(root + "/items/{claimItemId}/audit", dependencies=[Depends(sb.guard("GET audit"))])
    async def get_audit(claimItemId: str) -> list[dict[str, Any]]:
        if claimItemId not in sb.audits:
            raise _err(400, "claim.item.not.found", "İade kalemi bulunamadı")
        return sb.audits[claimItemId]

    @app.get(
        "/integration/order/claim-issue-reasons", dependencies=[Depends(sb.guard("GET reasons"))]
    )
    async def get_reasons() -> list[dict[str, Any]]:
        return ISSUE_REASONS
