"""The warehouse floor (``/v1/floor``, issue 22): picking rules, pick lists, the packing
station, ship-by warnings and staff reports, for handheld terminals, phones and PC stations.

Who may do what: the supervisor and the tenant admin run the floor (rules, making pick lists,
warnings, everyone's reports). A picker sees and works only the pick lists of their rules'
picker or group; a packer packs and sees only their own scans; each sees only their own row in
the staff report. Another person's list answers 404, as if it did not exist.

A scan's id is the handheld's: the same id again answers the first answer (``replayed``) and
changes nothing, so a terminal may retry a scan whose answer it lost.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ..claims import Returns
from ..documents import DocumentFile, Documents
from ..domain import Role
from ..errors import InvalidInputError, NotFoundError
from ..floor import Floor, PackScan, PickList, RuleSet, ScanResult, conflicts
from ..floor.picking import ShortReason, confirm, short
from ..floor.records import PACK_SCAN
from ..floor.rules import Conflict, DryRunRow
from ..store.port import Query as StoreQuery
from .auth import Caller, caller, endpoint
from .loop import on_engine_loop
from .openapi import REMOTE

router = APIRouter()

#: who runs the floor
STAFF = (Role.TENANT_ADMIN, Role.SUPERVISOR)
PICKERS = (*STAFF, Role.PICKER)
PACKERS = (*STAFF, Role.PACKER)
EVERYONE_ON_FLOOR = (*STAFF, Role.PICKER, Role.PACKER)
#: a photo of the closed parcel travels in the scan's JSON (the API's 1 MiB body limit)
MAX_PHOTO_BYTES = 700 * 1024
SIGNATURES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}
Printable = r"^[\x21-\x7e]+$"
#: the report's period must lie within these (naive, compared before the time zone is checked)
EARLIEST, LATEST = datetime(2000, 1, 1), datetime(2100, 1, 1)


def _floor(request: Request) -> Floor:
    rt = request.app.state.runtime
    return Floor(rt.store, rt.engine.tenants)


def _documents(request: Request) -> Documents:
    found: Documents = request.app.state.documents
    return found


def _file(found: DocumentFile) -> Response:
    disposition = f'{found.disposition}; filename="{found.filename}"'
    return Response(
        found.data, media_type=found.media_type, headers={"Content-Disposition": disposition}
    )


def _runs_floor(c: Caller) -> bool:
    return c.principal.is_platform_admin or bool(c.principal.roles & set(STAFF))


def _me(c: Caller) -> str:
    return c.principal.user_id


def _now() -> datetime:
    return datetime.now(UTC)


# -- rules -----------------------------------------------------------------------------------


class RulesOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: RuleSet
    conflicts: list[Conflict] = Field(description="shadowed rules and overlaps, in rule order")


class DryRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: RuleSet | None = Field(None, description="the rule set to try (default: the saved one)")
    days: int = Field(7, ge=1, le=90, description="orders placed in the last this many days")


@endpoint(router, "get", "/floor/rules", STAFF, response_model=RulesOut)
def get_rules(request: Request) -> RulesOut:
    """The picking rules in order (the first that matches an order assigns it), the picker
    groups, and the conflicts the set has."""
    rules = _floor(request).rules(caller(request).tenant)
    return RulesOut(rules=rules, conflicts=conflicts(rules))


@endpoint(router, "put", "/floor/rules", STAFF, response_model=RulesOut)
def put_rules(request: Request, body: RuleSet) -> RulesOut:
    """Replace the rule set. It is saved even when rules overlap or one shadows another;
    the answer lists those conflicts so whoever saved it can reorder."""
    found = _floor(request).save_rules(caller(request).tenant, body)
    return RulesOut(rules=body, conflicts=found)


@endpoint(router, "post", "/floor/rules/dry-run", STAFF, response_model=list[DryRunRow])
def dry_run(request: Request, body: DryRunIn) -> list[DryRunRow]:
    """What a rule set would have done to the last N days of orders: orders and items per
    rule and target (``rule`` null: the fallback group, or no rule matched)."""
    floor = _floor(request)
    tenant = caller(request).tenant
    return floor.dry_run(tenant, body.rules or floor.rules(tenant), body.days)


# -- picking ---------------------------------------------------------------------------------


class PickScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scan_id: str = Field(min_length=1, max_length=100, pattern=Printable)
    barcode: str = Field(min_length=1, max_length=100, pattern=Printable)
    quantity: int = Field(1, ge=1, le=10_000)


class ShortIn(PickScanIn):
    reason: ShortReason


class PickOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(description="short enough to be spoken by the handheld")
    pick_list: PickList


@endpoint(router, "post", "/floor/pick-lists", STAFF, response_model=list[PickList])
def make_pick_lists(request: Request) -> list[PickList]:
    """Take every order ready to pick (booked, not cancelled) onto the floor and make one
    list per picker or group for those no list has yet, by the saved rules."""
    return _floor(request).make_pick_lists(caller(request).tenant)


@endpoint(router, "get", "/floor/pick-lists", PICKERS, response_model=list[PickList])
def list_pick_lists(request: Request, status: str | None = None) -> list[PickList]:
    """Pick lists, oldest first: all of them for the supervisor, a picker's own otherwise."""
    c = caller(request)
    found = _floor(request).pick_lists(c.tenant, None if _runs_floor(c) else _me(c))
    return [p for p in found if status is None or p.status == status]


@endpoint(router, "get", "/floor/pick-lists/{list_id}", PICKERS, response_model=PickList)
def get_pick_list(request: Request, list_id: str) -> PickList:
    """One list: products, bins, quantities, what is picked and short (no orders)."""
    c = caller(request)
    return _floor(request).pick_list(c.tenant, list_id, None if _runs_floor(c) else _me(c))


@endpoint(router, "post", "/floor/pick-lists/{list_id}/scan", PICKERS, response_model=PickOut)
def pick_scan(request: Request, list_id: str, body: PickScanIn) -> PickOut:
    """Confirm units picked by scan; a product not on the list or more than it asks for
    is refused in the message and counts nothing."""
    c = caller(request)
    floor = _floor(request)
    floor.pick_list(c.tenant, list_id, None if _runs_floor(c) else _me(c))
    plist, message = confirm(
        floor.ts(c.tenant),
        list_id,
        scan_id=body.scan_id,
        barcode=body.barcode,
        quantity=body.quantity,
        picker=_me(c),
        now=_now(),
    )
    return PickOut(message=message, pick_list=plist)


@endpoint(router, "post", "/floor/pick-lists/{list_id}/short", PICKERS, response_model=PickOut)
def pick_short(request: Request, list_id: str, body: ShortIn) -> PickOut:
    """Record units that cannot be picked, with the reason (not found, damaged, wrong bin,
    other)."""
    c = caller(request)
    floor = _floor(request)
    floor.pick_list(c.tenant, list_id, None if _runs_floor(c) else _me(c))
    plist, message = short(
        floor.ts(c.tenant),
        list_id,
        scan_id=body.scan_id,
        barcode=body.barcode,
        quantity=body.quantity,
        reason=body.reason,
        picker=_me(c),
        now=_now(),
    )
    return PickOut(message=message, pick_list=plist)


# -- packing ---------------------------------------------------------------------------------


class PackScanIn(PackScan):
    photo_base64: str | None = Field(
        None,
        max_length=(MAX_PHOTO_BYTES * 4) // 3 + 4,
        description="a JPEG or PNG of the closed parcel, base64 (at most 700 KiB)",
    )


@endpoint(router, "post", "/floor/pack/scan", PACKERS, response_model=ScanResult)
def pack_scan(request: Request, body: PackScanIn) -> ScanResult:
    """One scan at a packing station: the item goes to the best order waiting for it (at
    risk first, single-item first, then the earliest ship-by, then the oldest). A single-item
    order, or the last unit of a multi-item one, completes it: ``print`` names the invoice
    PDF and the label endpoints. Otherwise the order waits in ``slot``. A wrong item, an
    over-scan or an order cancelled on the table prints nothing and says why."""
    c = caller(request)
    floor = _floor(request)
    photo = None
    if body.photo_base64:
        photo = f"floor-photo:{body.scan_id}"
        floor.ts(c.tenant).put_blob(photo, *_photo(body.photo_base64))
    req = PackScan(scan_id=body.scan_id, barcode=body.barcode, station=body.station)
    return floor.scan(c.tenant, req, _me(c), photo_blob=photo)


def _photo(text: str) -> tuple[bytes, str]:
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError("photo_base64 is not base64") from None
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidInputError("the photo is larger than 700 KiB: send a smaller one")
    for media, magic in SIGNATURES.items():
        if data.startswith(magic):
            return data, media
    raise InvalidInputError("the photo must be a JPEG or PNG")


class SlotOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slot: int
    order_id: str
    order_number: str
    remaining: int
    packer: str | None
    cancelled: bool = Field(description="cancelled while on the table: empty the slot")


@endpoint(
    router, "get", "/floor/pack/stations/{station}/slots", PACKERS, response_model=list[SlotOut]
)
def station_slots(request: Request, station: str) -> list[dict[str, Any]]:
    """The orders waiting in the station's slots and how many units each still needs."""
    c = caller(request)
    rows = _floor(request).slots(c.tenant, station)
    return rows if _runs_floor(c) else [r for r in rows if r["packer"] == _me(c)]


@endpoint(router, "get", "/floor/pack/scans", PACKERS, response_model=list[ScanResult])
def pack_scans(
    request: Request,
    packer: str | None = Query(None, description="a user id (the supervisor's filter)"),
    limit: int = Query(100, ge=1, le=1000),
) -> list[ScanResult]:
    """Recent scans, newest first: a packer's own; the supervisor's, anyone's."""
    c = caller(request)
    who = packer if _runs_floor(c) else _me(c)
    where = {"packer": who} if who else {}
    docs = _floor(request).ts(c.tenant).query(StoreQuery(PACK_SCAN, where, None, "-at", limit))
    return [ScanResult.model_validate(d.body["result"]) for d in docs]


def _packed(request: Request, order_id: str) -> dict[str, Any]:
    c = caller(request)
    fo = _floor(request).floor_order(c.tenant, order_id)
    if fo is None or fo["status"] != "packed":
        raise NotFoundError(f"order {order_id!r} is not packed at a station: nothing to print")
    if not _runs_floor(c) and fo.get("packed_by") != _me(c):
        raise NotFoundError(f"order {order_id!r} is not packed at a station: nothing to print")
    return fo


@endpoint(
    router,
    "get",
    "/floor/orders/{order_id}/invoice.pdf",
    PACKERS,
    response_class=Response,
    responses=REMOTE,
)
async def print_invoice(request: Request, order_id: str) -> Response:
    """The packed order's invoice PDF for the station's printer (the integrator's, fetched
    once and kept, or rendered now)."""
    fo = _packed(request, order_id)
    if not fo.get("invoice_id"):
        raise NotFoundError(f"order {order_id!r} has no invoice")
    pdf = _documents(request).pdf(caller(request).tenant, fo["invoice_id"])
    return _file(await on_engine_loop(request, pdf))


@endpoint(
    router,
    "get",
    "/floor/orders/{order_id}/label.{fmt}",
    PACKERS,
    response_class=Response,
    responses=REMOTE,
)
async def print_label(request: Request, order_id: str, fmt: str) -> Response:
    """The packed order's label (``.zpl`` or ``.pdf``); a marketplace-booked parcel's is
    fetched from the marketplace now if it was not kept. The first fetch is the label time
    in the staff report."""
    fo = _packed(request, order_id)
    if not fo.get("shipment_id"):
        raise NotFoundError(f"order {order_id!r} has no shipment")
    tenant = caller(request).tenant
    found = await on_engine_loop(request, _documents(request).label(tenant, fo["shipment_id"], fmt))
    _floor(request).label_printed(tenant, order_id)
    return _file(found)


# -- warnings and reports --------------------------------------------------------------------


class AtRiskOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: str
    order_number: str
    ship_by: str
    overdue: bool
    status: str
    on_pick_list: bool


@endpoint(router, "get", "/floor/at-risk", STAFF, response_model=list[AtRiskOut])
def at_risk(request: Request) -> list[dict[str, Any]]:
    """Orders on the floor not packed yet whose ship-by deadline is within 4 hours or past,
    the nearest first (they also go first on pick lists and at the station)."""
    return _floor(request).at_risk(caller(request).tenant)


class RefreshOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    admitted: int = Field(description="orders newly taken onto the floor")


@endpoint(router, "post", "/floor/refresh", STAFF, response_model=RefreshOut)
def refresh(request: Request) -> dict[str, int]:
    """Take orders that became ready to pick (booked) onto the floor now."""
    return {"admitted": _floor(request).refresh(caller(request).tenant)}


class StaffRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: str = Field(description="picker, packer, or returns (the returns desk only)")
    active_hours: float = 0.0
    orders: int = 0
    lines: int = 0
    items: int = 0
    orders_per_hour: float = 0.0
    lines_per_hour: float = 0.0
    items_per_hour: float = 0.0
    short_picks: int = Field(0, description="units recorded short")
    wrong_scans: int = Field(0, description="wrong items, over-scans, over-picks")
    scan_to_label_s: float | None = Field(None, description="median, completing scan to label")
    performance: float | None = Field(
        None,
        description="expected / actual time for this person's order mix (1.0: the floor's pace)",
    )
    returns: dict[str, int] = Field(
        default_factory=dict, description="from the returns desk: received, approved, ..."
    )


class FittedCost(BaseModel):
    model_config = ConfigDict(extra="forbid")

    per_order_s: float
    per_unit_s: float = Field(description="per line (packers) or per unit (pickers)")


class StaffReportOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: str
    until: str
    method: str
    fitted: dict[str, FittedCost] = Field(description="by role: the costs the mix is judged by")
    staff: dict[str, StaffRow] = Field(description="by user id")


@endpoint(router, "get", "/floor/reports/staff", EVERYONE_ON_FLOOR, response_model=StaffReportOut)
def staff_report(
    request: Request,
    since: datetime | None = Query(None, description="default: 24 hours ago"),
    until: datetime | None = Query(None, description="default: now"),
) -> dict[str, Any]:
    """Per picker and packer: items, orders and lines per active hour, short picks, wrong
    scans, scan-to-label seconds, and the performance adjusted for the order mix (see
    docs/floor.md); returns and part shipments per person from the returns desk. A picker
    or packer gets only their own row."""
    c = caller(request)
    until = until or _now()
    if not (EARLIEST < until.replace(tzinfo=None) < LATEST):
        raise InvalidInputError("until must lie between 2000 and 2100")
    since = since or until - timedelta(days=1)
    if not (EARLIEST <= since.replace(tzinfo=None) < LATEST):
        raise InvalidInputError("since must lie between 2000 and 2100")
    if since.tzinfo is None or until.tzinfo is None or since >= until:
        raise InvalidInputError("since and until need a time zone, and since before until")
    returns = Returns(request.app.state.runtime.engine).staff_activity(c.tenant, since, until)
    report = _floor(request).staff_report(c.tenant, since, until, returns)
    if not _runs_floor(c):
        report["staff"] = {k: v for k, v in report["staff"].items() if k == _me(c)}
    return report
