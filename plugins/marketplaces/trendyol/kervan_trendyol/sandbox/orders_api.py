"""Sandbox endpoints for packages: list, status update, unsupply (splits: splits_api.py)."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Request, Response
from kervan_sdk.sandbox import page_count, paginate

if TYPE_CHECKING:
    from .app import TrendyolSandbox

MAX_SIZE = 200
MAX_WINDOW_MS = 14 * 24 * 3600 * 1000
DEFAULT_WINDOW = timedelta(days=7)
MAX_QUERY_WINDOW = 10_000
MAX_PACKAGE_IDS = 50
SELLER_SETTABLE = {"Picking", "Invoiced"}
#: the one ``status`` getShipmentPackages filters on (TY-SPEC enum; no UnPacked, no lists)
STATUS_FILTER = frozenset(
    {
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
    }
)
ORDER_BY_FIELDS = {"PackageLastModifiedDate", "CreatedDate"}
ALLOWED = {("Created", "Picking"), ("Created", "Invoiced"), ("Picking", "Invoiced")}
UNSUPPLY_REASONS = {500, 501, 502, 504, 505, 506}
NOT_UPDATABLE = "Shipment Update Edilebilir Bir Durumda Değil"


def _err(status: int, key: str, message: str) -> Exception:
    from .app import TrendyolError

    return TrendyolError(status, key, message)


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _err(400, f"invalid.{name}", f"{name} geçersiz") from None


def _package(sb: TrendyolSandbox, package_id: Any) -> dict[str, Any]:
    pkg = sb.packages.get(_int(package_id, "packageId"))
    if pkg is None:
        raise _err(400, "shipment.package.not.found", "Sipariş paketi bulunamadı")
    return pkg


def _check_lines(pkg: dict[str, Any], lines: Any) -> list[tuple[dict[str, Any], int]]:
    if not isinstance(lines, list) or not lines:
        raise _err(400, "lines.empty", "lines alanı boş olamaz")
    by_id = {int(line["lineId"]): line for line in pkg["lines"]}
    out = []
    for item in lines:
        line = by_id.get(_int(item.get("lineId"), "lineId"))
        quantity = _int(item.get("quantity"), "quantity")
        if line is None:
            raise _err(400, "line.not.found", f"Paket içinde {item.get('lineId')} satırı yok")
        if not 0 < quantity <= line["quantity"]:
            raise _err(400, "invalid.quantity", "Satır miktarı geçersiz")
        out.append((line, quantity))
    return out


def list_packages(sb: TrendyolSandbox, request: Request) -> dict[str, Any]:
    q = request.query_params
    page = _int(q.get("page", 0), "page")
    size = _int(q.get("size", MAX_SIZE), "size")
    if not 1 <= size <= MAX_SIZE:
        raise _err(400, "invalid.size", f"size en fazla {MAX_SIZE} olabilir")
    if page < 0 or (page + 1) * size > MAX_QUERY_WINDOW:
        raise _err(
            400,
            "maxQueryWindowResult",
            f"En fazla {MAX_QUERY_WINDOW} kayda sayfalama ile erişilebilir",
        )
    # a "poll" is an unfiltered list (what an integration runs on a timer); its first page
    # starts a new one
    polling = not q.get("status") and not q.get("shipmentPackageIds")
    if page == 0 and polling:
        sb.begin_poll()
    now = sb.now_ms()
    end = _int(q["endDate"], "endDate") if q.get("endDate") else now
    start = (
        _int(q["startDate"], "startDate")
        if q.get("startDate")
        else end - int(DEFAULT_WINDOW.total_seconds() * 1000)
    )
    if end - start > MAX_WINDOW_MS or start > end:
        raise _err(400, "invalid.date.range", "Tarih aralığı en fazla 2 hafta olabilir")
    if q.get("orderByField", "PackageLastModifiedDate") not in ORDER_BY_FIELDS:
        raise _err(400, "invalid.orderByField", "orderByField geçersiz")
    if q.get("orderByDirection", "DESC").upper() not in ("ASC", "DESC"):
        raise _err(400, "invalid.orderByDirection", "orderByDirection geçersiz")
    by_created = q.get("orderByField") == "CreatedDate"
    field = "orderDate" if by_created else "lastModifiedDate"
    given = [s for s in q.getlist("status") if s]
    if len(given) > 1 or (given and given[0] not in STATUS_FILTER):
        raise _err(
            400,
            "invalid.status",
            f"status tek bir değer olmalıdır: {', '.join(sorted(STATUS_FILTER))}",
        )
    status = given[0] if given else None
    ids = {int(i) for raw in q.getlist("shipmentPackageIds") for i in raw.split(",") if i}
    if len(ids) > MAX_PACKAGE_IDS:
        raise _err(400, "invalid.shipmentPackageIds", "En fazla 50 paket id gönderilebilir")
    number = q.get("orderNumber")
    items = []
    for pid, pkg in sb.packages.items():
        if ids and pid not in ids:
            continue
        if not ids and not start <= pkg[field] - (3 * 3600 * 1000 if by_created else 0) <= end:
            continue
        if status and pkg["status"] != status:
            continue
        if number and pkg["orderNumber"] != number:
            continue
        items.append(pkg)
    descending = q.get("orderByDirection", "DESC").upper() != "ASC"
    items.sort(key=lambda p: (p[field], p["shipmentPackageId"]), reverse=descending)
    content = paginate(sb, request.url.path, items, page, size)
    for pkg in content if polling else ():
        sb.meta[pkg["shipmentPackageId"]].setdefault("served_in_poll", sb.poll_seq)
    return {
        "page": page,
        "size": size,
        "totalPages": page_count(len(items), size) if items else 0,
        "totalElements": len(items),
        "content": copy.deepcopy(content),
    }


def update_package(sb: TrendyolSandbox, package_id: str, body: dict[str, Any]) -> None:
    pkg = _package(sb, package_id)
    target = body.get("status")
    if target not in SELLER_SETTABLE:
        raise _err(400, "invalid.status", "Sadece Picking ve Invoiced statüleri gönderilebilir")
    current = pkg["status"]
    if current == "Awaiting":
        raise _err(400, "package.awaiting", "Ödeme onayı beklenen paket işlenemez")
    if (current, target) not in ALLOWED:
        raise _err(
            400, "invalid.status.transition", f"{current} statüsünden {target} statüsüne geçilemez"
        )
    # ``lines`` and ``params`` are optional (only ``status`` is required): without lines the
    # whole package moves; ``params.invoiceNumber`` may come with Invoiced
    if body.get("lines") is not None:
        _check_lines(pkg, body.get("lines"))
    params = body.get("params")
    if params is not None and not isinstance(params, dict):
        raise _err(400, "invalid.params", "params bir nesne olmalıdır")
    number = (params or {}).get("invoiceNumber")
    if number and target == "Invoiced":
        pkg["invoiceNumber"] = str(number)
    sb.set_status(pkg["shipmentPackageId"], target)


def unsupply(sb: TrendyolSandbox, package_id: str, body: dict[str, Any]) -> None:
    pkg = _package(sb, package_id)
    if pkg["shipmentPackageId"] in sb.pending_splits:  # inferred, see splits_api
        raise _err(400, "package.split.in.progress", "Paket için bölme işlemi devam ediyor")
    if pkg["status"] not in ("Created", "Picking", "Invoiced"):
        raise _err(400, "package.not.unsuppliable", NOT_UPDATABLE)
    if body.get("reasonId") not in UNSUPPLY_REASONS:
        raise _err(400, "invalid.reasonId", "Geçersiz tedarik edememe sebebi")
    cancelled = {int(line["lineId"]): q for line, q in _check_lines(pkg, body.get("lines"))}
    remainder = []
    for line in pkg["lines"]:
        left = line["quantity"] - cancelled.get(int(line["lineId"]), 0)
        if left > 0:
            remainder.append(_units(line, 0, left))
    pid = pkg["shipmentPackageId"]
    pkg["cancelledBy"] = "seller"
    pkg["cancelReasonCode"] = body["reasonId"]
    sb.set_status(pid, "UnSupplied")
    if remainder:
        _child(sb, pkg, remainder, created_by="cancel")


def _units(line: dict[str, Any], start: int, count: int) -> dict[str, Any]:
    """``count`` units of ``line`` from unit ``start`` on, as a line of their own: its
    line-total discounts are those of its units (``discountDetails`` has one entry a unit)."""
    part = copy.deepcopy(line)
    details = line.get("discountDetails") or []
    part["quantity"] = count
    if details:
        mine = part["discountDetails"] = copy.deepcopy(details[start : start + count])
        seller = sum(d.get("lineItemSellerDiscount", 0.0) for d in mine)
        ty = sum(d.get("lineItemTyDiscount", 0.0) for d in mine)
    else:  # no per-unit detail: share the line's discounts by quantity
        seller = line.get("lineSellerDiscount", 0.0) * count / line["quantity"]
        ty = line.get("lineTyDiscount", 0.0) * count / line["quantity"]
    part["lineSellerDiscount"], part["lineTyDiscount"] = round(seller, 2), round(ty, 2)
    part["lineTotalDiscount"] = round(seller + ty, 2)
    return part


def _child(
    sb: TrendyolSandbox,
    origin: dict[str, Any],
    lines: list[dict[str, Any]],
    *,
    created_by: str,
    pid: int | None = None,
    at_ms: int | None = None,
) -> int:
    """A package made from ``origin`` (a split's part, what a partial cancel leaves); stamped
    ``at_ms`` (default now): a split carried out by the clock is stamped when it was due,
    as Trendyol made it then, not when the sandbox next looked."""
    stamp = sb.now_ms() if at_ms is None else at_ms
    child = copy.deepcopy(origin)
    for key in ("cancelledBy", "cancelReason", "cancelReasonCode"):
        child.pop(key, None)
    pid = pid or sb.new_id()
    status = origin["packageHistories"][-2]["status"] if created_by == "cancel" else "Created"
    for line in lines:
        line["orderLineItemStatusName"] = status
    gross = sum(line["lineGrossAmount"] * line["quantity"] for line in lines)
    discount = sum(line["lineSellerDiscount"] for line in lines)
    # the package's TY discount is filled for corporate packages alone (as in seed.py)
    ty = sum(line["lineTyDiscount"] for line in lines) if origin.get("commercial") else 0.0
    child.update(
        shipmentPackageId=pid,
        lines=lines,
        status=status,
        shipmentPackageStatus=status,
        createdBy=created_by,
        originPackageIds=[origin["shipmentPackageId"]],
        packageGrossAmount=round(gross, 2),
        packageSellerDiscount=round(discount, 2),
        packageTyDiscount=round(ty, 2),
        packageTotalDiscount=round(discount + ty, 2),
        packageTotalPrice=round(gross - discount - ty, 2),
        lastModifiedDate=stamp,
        packageHistories=[{"createdDate": stamp, "status": status}],
        invoiceLink=None,
    )
    sb.add_package(child)
    return pid


def add_routes(sb: TrendyolSandbox, app: FastAPI) -> None:
    root = "/integration/order/sellers/{sellerId}"
    pkg_path = root + "/shipment-packages/{packageId}"

    @app.get(root + "/orders", dependencies=[Depends(sb.guard("GET orders"))])
    @app.get(root + "/v2/orders", dependencies=[Depends(sb.guard("GET orders"))])
    async def get_orders(request: Request) -> dict[str, Any]:
        return list_packages(sb, request)

    @app.put(pkg_path, dependencies=[Depends(sb.guard("PUT package"))])
    async def put_package(packageId: str, body: dict[str, Any]) -> Response:
        update_package(sb, packageId, body)
        return Response(status_code=200)

    @app.put(pkg_path + "/items/unsupplied", dependencies=[Depends(sb.guard("PUT unsupplied"))])
    async def put_unsupplied(packageId: str, body: dict[str, Any]) -> Response:
        unsupply(sb, packageId, body)
        return Response(status_code=200)
