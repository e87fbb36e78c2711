"""Sandbox endpoints that split a package: split, multi-split, quantity-split, split-packages.

All four are asynchronous [TY-SPEC marketplace.json, each operation's description: "yeni
paketler asenkron olarak oluşturulacaktır"]: the request is checked and answered at once,
the original turns ``UnPacked`` and the new packages appear :data:`SPLIT_TAKES` later on the
sandbox clock (:func:`apply_due`, run by ``TrendyolSandbox.tick``). The answers are the
documented ones: ``split`` → ``{newPackageId}``, ``multi-split`` → ``{results:[{newPackageId}]}``,
``quantity-split`` → ``{newPackageIds:[…]}``, ``split-packages`` → 200 without a body
[TY-SPEC]. The ids answered are the ids the new packages get.

A package in Created, Picking or Invoiced may be split [TY-DOCS "Sipariş Paketlerini Bölme
(splitShipmentPackage)", https://developers.trendyol.com/docs/sipariş-paketlerini-bölme-splitshipmentpackage,
updated 2026-11-19]; the new packages are ``Created`` [TY-DOCS v3.0 "7. Split Shipment
Packages": without ``shouldKeepPreviousStatus`` they are created in Created].

Inferred, no public source: how long a split takes (:data:`SPLIT_TAKES`); that a package whose
split is under way refuses another split or an unsupply (400 ``package.split.in.progress``);
which packages ``split`` and ``quantity-split`` produce (``split``: the named lines in one
package, the other lines in another, the answer names the first; ``quantity-split``: each
entry of a line's ``quantities`` is a package of its own, every unit not named travels
together in one more package, and the answer lists every new package).
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from fastapi import Depends, FastAPI, Response

from ..mapping import to_epoch_ms
from .orders_api import _child, _err, _int, _package, _units

if TYPE_CHECKING:
    from .app import TrendyolSandbox

#: how long after the request the new packages appear (inferred)
SPLIT_TAKES = timedelta(minutes=1)
SPLITTABLE = ("Created", "Picking", "Invoiced")

Part = list[dict[str, Any]]


def _splittable(sb: TrendyolSandbox, package_id: str) -> dict[str, Any]:
    pkg = _package(sb, package_id)
    if pkg["shipmentPackageId"] in sb.pending_splits:
        raise _err(400, "package.split.in.progress", "Paket için bölme işlemi devam ediyor")
    if pkg["status"] not in SPLITTABLE:
        raise _err(
            400,
            "package.not.splittable",
            "Sadece Created, Picking veya Invoiced statüsündeki paketler bölünebilir",
        )
    return pkg


def _queue(sb: TrendyolSandbox, pkg: dict[str, Any], parts: list[Part]) -> list[int]:
    """Reserve an id per new package and schedule the split; the ids, in ``parts`` order."""
    if len(parts) < 2:
        raise _err(400, "invalid.split", "Paket en az iki pakete bölünmelidir")
    ids = [sb.new_id() for _ in parts]
    sb.pending_splits[pkg["shipmentPackageId"]] = {
        "due": sb.clock.now() + SPLIT_TAKES,
        "parts": list(zip(ids, parts, strict=True)),
    }
    return ids


def apply_due(sb: TrendyolSandbox, now: datetime) -> None:
    """Carry out the splits whose time has come (stamped when they were due)."""
    for pid, split in list(sb.pending_splits.items()):
        if split["due"] > now:
            continue
        del sb.pending_splits[pid]
        pkg = sb.packages[pid]
        sb.set_status(pid, "UnPacked", at=split["due"])
        due_ms = to_epoch_ms(split["due"])
        for new_id, part in split["parts"]:
            _child(sb, pkg, part, created_by="split", pid=new_id, at_ms=due_ms)


def _by_line_groups(sb: TrendyolSandbox, package_id: str, groups: list[Any]) -> tuple[Any, Any]:
    pkg = _splittable(sb, package_id)
    by_id = {int(line["lineId"]): line for line in pkg["lines"]}
    if not groups or any(not isinstance(g, list) or not g for g in groups):
        raise _err(400, "invalid.split.groups", "Bölme grupları boş olamaz ve çakışamaz")
    flat = [_int(i, "orderLineId") for group in groups for i in group]
    if len(flat) != len(set(flat)):
        raise _err(400, "invalid.split.groups", "Bölme grupları boş olamaz ve çakışamaz")
    if not set(flat) <= set(by_id):
        raise _err(400, "line.not.found", "Bölme grubu pakette olmayan satır içeriyor")
    rest = [i for i in by_id if i not in set(flat)]
    parts = [[copy.deepcopy(by_id[int(i)]) for i in group] for group in groups]
    parts += [[copy.deepcopy(by_id[i]) for i in rest]] if rest else []
    return pkg, parts


def split(sb: TrendyolSandbox, package_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """``split``: the named lines go to a new package (``orderLineIds`` required)."""
    ids = body.get("orderLineIds")
    if not isinstance(ids, list) or not ids:
        raise _err(400, "orderLineIds.required", "orderLineIds zorunludur")
    pkg, parts = _by_line_groups(sb, package_id, [ids])
    return {"newPackageId": _queue(sb, pkg, parts)[0]}


def multi_split(sb: TrendyolSandbox, package_id: str, body: dict[str, Any]) -> dict[str, Any]:
    groups = body.get("splitGroups")
    if not isinstance(groups, list) or not groups:
        raise _err(400, "splitGroups.required", "splitGroups zorunludur")
    line_groups = [g.get("orderLineIds") if isinstance(g, dict) else None for g in groups]
    pkg, parts = _by_line_groups(sb, package_id, line_groups)
    return {"results": [{"newPackageId": i} for i in _queue(sb, pkg, parts)]}


def _rest(by_id: dict[int, dict[str, Any]], taken: dict[int, int]) -> list[Part]:
    rest = [
        _units(line, taken[i], line["quantity"] - taken[i])
        for i, line in by_id.items()
        if taken[i] < line["quantity"]
    ]
    return [rest] if rest else []


def quantity_split(sb: TrendyolSandbox, package_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """``quantity-split``: ``{quantitySplit:[{orderLineId, quantities:[n, …]}]}``, each
    quantity ≥ 1 [TY-SPEC]."""
    entries = body.get("quantitySplit")
    if not isinstance(entries, list) or not entries:
        raise _err(400, "quantitySplit.required", "quantitySplit zorunludur")
    pkg = _splittable(sb, package_id)
    by_id = {int(line["lineId"]): line for line in pkg["lines"]}
    taken = dict.fromkeys(by_id, 0)
    parts: list[Part] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise _err(400, "quantitySplit.invalid", "quantitySplit öğeleri nesne olmalıdır")
        line_id = _int(entry.get("orderLineId"), "orderLineId")
        quantities = entry.get("quantities")
        if line_id not in by_id:
            raise _err(400, "line.not.found", "Bölme isteği pakette olmayan satır içeriyor")
        if (
            not isinstance(quantities, list)
            or not quantities
            or not all(isinstance(q, int) and not isinstance(q, bool) for q in quantities)
        ):
            raise _err(400, "quantities.required", "quantities bir tam sayı listesi olmalıdır")
        for quantity in quantities:
            if quantity < 1 or taken[line_id] + quantity > by_id[line_id]["quantity"]:
                raise _err(400, "invalid.quantities", "Bölünen adet satır adedini aşamaz")
            parts.append([_units(by_id[line_id], taken[line_id], quantity)])
            taken[line_id] += quantity
    parts += _rest(by_id, taken)
    return {"newPackageIds": _queue(sb, pkg, parts)}


def split_packages(sb: TrendyolSandbox, package_id: str, body: dict[str, Any]) -> None:
    """``split-packages``: each group lists ``{orderLineId, quantities}``; units left out
    travel together in one more package, as Trendyol's docs say."""
    groups = body.get("splitPackages")
    if not isinstance(groups, list) or not groups:
        raise _err(400, "splitPackages.required", "splitPackages zorunludur")
    pkg = _splittable(sb, package_id)
    by_id = {int(line["lineId"]): line for line in pkg["lines"]}
    taken = dict.fromkeys(by_id, 0)
    parts: list[Part] = []
    for group in groups:
        details = group.get("packageDetails") if isinstance(group, dict) else None
        if not isinstance(details, list) or not details:
            raise _err(400, "invalid.split.groups", "Bölme grupları boş olamaz ve çakışamaz")
        part = []
        for detail in details:
            line_id = _int(detail.get("orderLineId"), "orderLineId")
            quantity = _int(detail.get("quantities"), "quantities")
            if line_id not in by_id:
                raise _err(400, "line.not.found", "Bölme grubu pakette olmayan satır içeriyor")
            if quantity < 1 or taken[line_id] + quantity > by_id[line_id]["quantity"]:
                raise _err(400, "invalid.quantities", "Bölünen adet satır adedini aşamaz")
            part.append(_units(by_id[line_id], taken[line_id], quantity))
            taken[line_id] += quantity
        parts.append(part)
    _queue(sb, pkg, parts + _rest(by_id, taken))


def add_routes(sb: TrendyolSandbox, app: FastAPI) -> None:
    pkg_path = "/integration/order/sellers/{sellerId}/shipment-packages/{packageId}"
    guard = [Depends(sb.guard("POST split"))]

    @app.post(pkg_path + "/split", dependencies=guard)
    async def post_split(packageId: str, body: dict[str, Any]) -> dict[str, Any]:
        return split(sb, packageId, body)

    @app.post(pkg_path + "/multi-split", dependencies=guard)
    async def post_multi_split(packageId: str, body: dict[str, Any]) -> dict[str, Any]:
        return multi_split(sb, packageId, body)

    @app.post(pkg_path + "/quantity-split", dependencies=guard)
    async def post_quantity_split(packageId: str, body: dict[str, Any]) -> dict[str, Any]:
        return quantity_split(sb, packageId, body)

    @app.post(pkg_path + "/split-packages", dependencies=guard)
    async def post_split_packages(packageId: str, body: dict[str, Any]) -> Response:
        split_packages(sb, packageId, body)
        return Response(status_code=200)
