"""Pick lists: the orders a rule set gives one picker or group, as products to collect.

A list is aggregated by product (barcode) and bin location — "7 × flask, 3 × flour" — and
names no order (issue 22); which orders went into it is kept on the floor's own order
documents, not on the list the picker sees. Lines from orders at risk of missing their ship-by
deadline are marked ``urgent`` and come first; the rest follow in bin order (a walk through the
aisles). The picker confirms by scanning (each scan id counted once); a unit that cannot be
found is recorded as a short pick with its reason.
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..engine.records import ORDER, OrderRecord, sortable
from ..errors import InvalidInputError, NotFoundError
from ..store.port import DocumentExists, Query, TenantStore
from .cards import cards_by_barcode
from .facts import order_facts
from .records import FLOOR_ORDER, PICK_LIST, PICK_SCAN, QUEUED
from .rules import RuleSet

ShortReason = Literal["not_found", "damaged", "wrong_bin", "other"]


class ShortRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    quantity: int
    reason: ShortReason
    by: str
    at: str


class PickLine(BaseModel):
    model_config = ConfigDict(extra="forbid")

    barcode: str
    name: str
    bin: str | None
    quantity: int
    picked: int = 0
    short: int = 0
    short_reasons: list[ShortRecord] = Field(default_factory=list)
    urgent: bool = False


class PickList(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    target: str
    status: Literal["open", "done"] = "open"
    created_at: str
    lines: list[PickLine]


def make_lists(ts: TenantStore, rules: RuleSet, now: datetime) -> list[PickList]:
    """One list per target for the queued orders not on a list yet."""
    queued = [
        d
        for d in ts.iter_query(Query(FLOOR_ORDER, where={"status": QUEUED}))
        if not d.body.get("pick_list")
    ]
    recs = {
        k: OrderRecord.from_body(d.body)
        for k, d in ts.get_many(ORDER, [d.key for d in queued]).items()
    }
    cards = cards_by_barcode(ts, [ln.barcode for r in recs.values() for ln in r.order.lines])
    by_target: dict[str, list[OrderRecord]] = {}
    for rec in recs.values():
        facts = order_facts(rec, cards)
        if not facts.ready:
            continue
        _, target = rules.assign(facts, now)
        if target is not None:
            by_target.setdefault(target, []).append(rec)
    made = []
    for target, orders in sorted(by_target.items()):
        lines: dict[str, PickLine] = {}
        for rec in orders:
            urgent = order_facts(rec, cards).at_risk(now)
            for ln in rec.order.lines:
                card = cards.get(ln.barcode)
                line = lines.setdefault(
                    ln.barcode,
                    PickLine(
                        barcode=ln.barcode,
                        name=card.name if card else ln.name,
                        bin=card.attributes.get("bin") if card else None,
                        quantity=0,
                    ),
                )
                line.quantity += int(ln.quantity)
                line.urgent = line.urgent or urgent
        ordered = sorted(lines.values(), key=lambda x: (not x.urgent, x.bin or "~", x.barcode))
        plist = PickList(
            id=uuid.uuid4().hex[:16], target=target, created_at=sortable(now), lines=ordered
        )
        ts.insert(PICK_LIST, plist.id, plist.model_dump(mode="json"))
        on_list = {"pick_list": plist.id, "target": target}
        for rec in orders:
            ts.update(FLOOR_ORDER, rec.order.id, functools.partial(_merged, extra=on_list))
        made.append(plist)
    return made


def _merged(body: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    return {**body, **extra}


def get_list(ts: TenantStore, list_id: str) -> PickList:
    doc = ts.get(PICK_LIST, list_id)
    if doc is None:
        raise NotFoundError(f"pick list {list_id!r} not found")
    return PickList.model_validate(doc.body)


def confirm(
    ts: TenantStore,
    list_id: str,
    *,
    scan_id: str,
    barcode: str,
    quantity: int,
    picker: str,
    now: datetime,
) -> tuple[PickList, str]:
    """Count ``quantity`` units of ``barcode`` as picked; a scan id seen before changes
    nothing. Returns the list and a short message."""
    return _change(ts, list_id, scan_id, picker, now, barcode, quantity, None)


def short(
    ts: TenantStore,
    list_id: str,
    *,
    scan_id: str,
    barcode: str,
    quantity: int,
    reason: ShortReason,
    picker: str,
    now: datetime,
) -> tuple[PickList, str]:
    """Record ``quantity`` units that cannot be picked, with the reason."""
    return _change(ts, list_id, scan_id, picker, now, barcode, quantity, reason)


def _change(
    ts: TenantStore,
    list_id: str,
    scan_id: str,
    picker: str,
    now: datetime,
    barcode: str,
    quantity: int,
    reason: ShortReason | None,
) -> tuple[PickList, str]:
    prior = ts.get(PICK_SCAN, scan_id)
    if prior is not None:
        return get_list(ts, list_id), prior.body["message"]
    with ts.transaction() as tx:
        doc = tx.get(PICK_LIST, list_id)
        if doc is None:
            raise NotFoundError(f"pick list {list_id!r} not found")
        plist = PickList.model_validate(doc.body)
        line = next((x for x in plist.lines if x.barcode == barcode), None)
        outcome, message = "ok", ""
        if line is None:
            outcome, message = "wrong_item", "Wrong item: this list does not have it."
        elif line.picked + line.short + quantity > line.quantity:
            open_units = line.quantity - line.picked - line.short
            outcome, message = "over_pick", f"Too many: only {open_units} more of this."
        elif reason is None:
            line.picked += quantity
            message = f"{line.picked} of {line.quantity} picked."
        else:
            line.short += quantity
            line.short_reasons.append(
                ShortRecord(quantity=quantity, reason=reason, by=picker, at=sortable(now))
            )
            outcome, message = "short", f"Short {quantity} recorded."
        if all(x.picked + x.short >= x.quantity for x in plist.lines):
            plist.status = "done"
        tx.replace(PICK_LIST, list_id, plist.model_dump(mode="json"), cas=doc.cas)
        try:
            tx.insert(
                PICK_SCAN,
                scan_id,
                {
                    "picker": picker,
                    "at": sortable(now),
                    "list": list_id,
                    "barcode": barcode,
                    "quantity": quantity,
                    "outcome": outcome,
                    "message": message,
                },
            )
        except DocumentExists:
            raise InvalidInputError("that scan id was just used: send the scan again") from None
    return plist, message
