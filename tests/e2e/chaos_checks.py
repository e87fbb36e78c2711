"""What must hold after a chaos run: read from the store and from what each sandbox saw.

Every check returns the problems it found as sentences (empty: it holds), so one failing run
reports every broken invariant at once, with a few orders named for each.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from kervan import numbering
from kervan.domain.tenancy import DEFAULT_SERIES, SERIES_CHANNELS
from kervan.engine.records import INVOICE, ORDER, SHIPMENT, STOCK
from kervan.store import Query, TenantStore
from kervan.store.port import declared_kinds
from kervan_yurtici.sandbox import TIMELINE as YURTICI_TIMELINE

from .chaos_world import World, units_by_product

#: Yurtiçi's branch scans a parcel this long after it is booked (its sandbox's timeline)
PICKUP_AFTER = YURTICI_TIMELINE[1][0]

#: states in which an order holds a reservation (units reserved, not yet consumed)
HOLDING = {"stock_reserved", "classified", "invoiced", "accepted", "packaged", "booked", "packed"}
#: states in which the carrier has the parcel: its units have left the shelf
CONSUMED = {"shipped", "delivered"}
INVOICED_OR_LATER = {"invoiced", "accepted", "packaged", "booked", "packed", *CONSUMED}
BOOKED_OR_LATER = {"booked", "packed", *CONSUMED}
SUBMITTED = {"queued", "accepted", "rejected", "cancelled"}
#: a stock movement ledger, if the engine keeps one (kind name as the engine declares it)
LEDGER_KINDS = ("stock_move", "stock_movement")


def _few(items: Iterable[Any], n: int = 5) -> str:
    items = list(items)
    more = f" (+{len(items) - n} more)" if len(items) > n else ""
    return "; ".join(str(i) for i in items[:n]) + more


def describe(key: str, body: dict[str, Any]) -> str:
    """One order as a person debugging a stuck run needs it."""
    order = body["order"]
    last = order["timeline"][-1] if order.get("timeline") else {}
    return (
        f"{key} state={body['state']} hold={order.get('hold_reason')!r} "
        f"hold_step={body.get('hold_step')} waiting_for={body.get('waiting_for')!r} "
        f"due_at={body.get('due_at')} attempts={body.get('attempts')} "
        f"last_error={body.get('last_error')!r} "
        f"last=({last.get('step')} {last.get('outcome')} {last.get('message')!r})"
    )


def unfinished(body: dict[str, Any]) -> bool:
    """Not yet at the end of the full flow (delivered, its invoice submitted to GİB and sent to
    the marketplace), nor in an
    explained stop (cancelled, on hold with a reason, failed with an error)."""
    state, flags = body["state"], body.get("flags") or {}
    if state == "delivered":
        return not (flags.get("invoice_submitted") and flags.get("invoice_sent"))
    if state == "on_hold":
        return not body["order"].get("hold_reason")
    if state == "failed":
        return not body.get("last_error")
    return state != "cancelled"


def orders_of(ts: TenantStore) -> dict[str, dict[str, Any]]:
    return {d.key: d.body for d in ts.iter_query(Query(ORDER))}


def settle(ts: TenantStore, expected: int, timeout_s: float) -> tuple[float, list[str]]:
    """Wait until every order is finished or explained; (seconds waited, what is not)."""
    started = time.monotonic()
    while True:
        orders = orders_of(ts)
        left = [describe(k, b) for k, b in sorted(orders.items()) if unfinished(b)]
        if len(orders) < expected:
            left.insert(0, f"only {len(orders)} of {expected} orders ingested")
        waited = time.monotonic() - started
        if not left or waited >= timeout_s:
            return waited, left
        time.sleep(2)


def check_states(world: World, orders: dict[str, dict[str, Any]]) -> list[str]:
    problems = []
    missing = {o.id for o in world.scenario.orders} - orders.keys()
    if missing:
        problems.append(f"{len(missing)} packages never became orders: {_few(sorted(missing))}")
    bad = [
        describe(k, b)
        for k, b in sorted(orders.items())
        if not (
            b["state"] in BOOKED_OR_LATER
            or b["state"] == "cancelled"
            or (b["state"] == "on_hold" and b["order"].get("hold_reason"))
            or (b["state"] == "failed" and b.get("last_error"))
        )
    ]
    if bad:
        problems.append(f"{len(bad)} orders neither booked or later nor explained: {_few(bad)}")
    # what the reconciler cannot find must say why: an order not at its end has a due time,
    # or says what it waits for (pickup, stock, a person), or is on hold with a reason
    lost = [
        describe(k, b)
        for k, b in sorted(orders.items())
        if b["state"] not in ("delivered", "cancelled")
        and not (b.get("due_at") or b.get("waiting_for") or b["order"].get("hold_reason"))
    ]
    if lost:
        problems.append(f"{len(lost)} orders with no due time and no reason: {_few(lost)}")
    return problems


def _expected_kind(order: Any, registered: dict[str, str]) -> str:
    if order.micro_export:
        return "export"
    return "efatura" if order.buyer.tax_id in registered else "earsiv"


def check_invoices(
    world: World, ts: TenantStore, orders: dict[str, dict[str, Any]]
) -> tuple[list[str], list[dict[str, Any]]]:
    problems = []
    invoices = [d.body for d in ts.iter_query(Query(INVOICE)) if d.body.get("type_code") != "IADE"]
    per_order = Counter(i.get("order_id") for i in invoices)
    twice = [f"{oid}: {n}" for oid, n in per_order.items() if n > 1]
    if twice:
        problems.append(f"{len(twice)} orders with more than one sales invoice: {_few(twice)}")
    lacking = [
        describe(k, b)
        for k, b in sorted(orders.items())
        if b["state"] in INVOICED_OR_LATER and per_order.get(k, 0) != 1
    ]
    if lacking:
        problems.append(f"{len(lacking)} invoiced orders without their invoice: {_few(lacking)}")
    orphans = [i["number"] for i in invoices if i.get("order_id") not in orders]
    if orphans:
        problems.append(f"{len(orphans)} invoices of no order: {_few(orphans)}")
    by_id = {o.id: o for o in world.scenario.orders}
    wrong = [
        f"{i['order_id']}: {i['kind']}, should be {want}"
        for i in invoices
        if i.get("order_id") in by_id
        and i["kind"] != (want := _expected_kind(by_id[i["order_id"]], world.scenario.registered))
    ]
    if wrong:
        problems.append(f"{len(wrong)} invoices of the wrong kind: {_few(wrong)}")
    numbered = [i["number"] for i in invoices if i["number"] is not None]
    drafts = [i for i in invoices if i["number"] is None]
    problems += [
        f"store: draft {i['id']} without a number is {i['status']}"
        for i in drafts
        if i["status"] not in ("draft", "voided")
    ]
    problems += _check_series("store", numbered, ts)
    return problems, invoices


#: the channel each default series prefix counts on (the chaos tenant keeps the defaults)
_CHANNEL = {prefix: SERIES_CHANNELS[key] for key, prefix in DEFAULT_SERIES.items()}


def _check_series(where: str, numbers: list[str], ts: TenantStore | None = None) -> list[str]:
    """Each series' numbers run 1..n: no gap, no repeat (and, in the store, its counter stands
    at n: no number was taken without its document)."""
    problems = []
    series: dict[tuple[str, int], list[int]] = defaultdict(list)
    for number in numbers:
        name, year, seq = numbering.parse_number(number)
        series[(name, year)].append(seq)
    for (name, year), seqs in sorted(series.items()):
        seqs.sort()
        if seqs != list(range(1, len(seqs) + 1)):
            repeats = [s for s, n in Counter(seqs).items() if n > 1]
            gaps = sorted(set(range(1, max(seqs) + 1)) - set(seqs))
            problems.append(
                f"{where}: series {name}{year} has {len(seqs)} numbers up to {max(seqs)}; "
                f"repeated {_few(repeats)}; missing {_few(gaps)}"
            )
        if ts is not None:
            taken = ts.counter(numbering.counter_name(name, year, _CHANNEL[name]), delta=0)
            if taken != len(seqs):
                problems.append(
                    f"{where}: series {name}{year} counter at {taken}, {len(seqs)} documents"
                )
    return problems


def check_integrator(world: World, invoices: list[dict[str, Any]]) -> list[str]:
    """Nilvera saw each number once, as the document the store says left with it."""
    problems = []
    docs = list(world.sandboxes["nilvera"].documents.values())
    numbers = Counter(d.envelope.number for d in docs)
    repeated = [f"{n} ×{c}" for n, c in numbers.items() if c > 1]
    if repeated:
        problems.append(f"Nilvera received {len(repeated)} numbers twice: {_few(repeated)}")
    ours = {i["number"]: i for i in invoices}
    strangers = [
        f"{d.envelope.number} ({d.uuid})"
        for d in docs
        if d.envelope.number not in ours or ours[d.envelope.number]["uuid"].lower() != d.uuid
    ]
    if strangers:
        problems.append(f"Nilvera holds {len(strangers)} documents unlike ours: {_few(strangers)}")
    left = {i["number"] for i in invoices if i.get("status") in SUBMITTED}
    unseen = sorted(left - numbers.keys())
    if unseen:
        problems.append(
            f"{len(unseen)} invoices submitted per the store, not at Nilvera: {_few(unseen)}"
        )
    unknown = sorted(numbers.keys() - left)
    if unknown:
        problems.append(
            f"{len(unknown)} invoices at Nilvera, unsubmitted per the store: {_few(unknown)}"
        )
    problems += _check_series("Nilvera", list(numbers))
    return problems


def check_efatura_after_pickup(
    world: World, ts: TenantStore, invoices: list[dict[str, Any]]
) -> list[str]:
    """No e-Fatura reached Nilvera before the carrier had the parcel (by the remotes' own
    records: Yurtiçi's branch scan, or Trendyol's Shipped for a parcel its carrier took)."""
    nilvera, yurtici = world.sandboxes["nilvera"], world.sandboxes["yurtici"]
    trendyol = world.sandboxes["trendyol"]
    keys = {d.body["order_id"]: d.body["cargo_key"] for d in ts.iter_query(Query(SHIPMENT))}
    early = []
    for invoice in invoices:
        doc = nilvera.documents.get(invoice["uuid"].lower())
        if invoice["kind"] != "efatura" or doc is None:
            continue
        parcel = yurtici.shipments.get(keys.get(invoice["order_id"], ""))
        if parcel is not None:
            picked = yurtici.clock.wall_time(parcel.created_at + PICKUP_AFTER)
        else:
            package = trendyol.packages[int(invoice["order_id"].split(":")[-1])]
            shipped = [
                h["createdDate"]
                for h in package.get("packageHistories", [])
                if h["status"] == "Shipped"
            ]
            picked = datetime.fromtimestamp(min(shipped) / 1000, UTC) if shipped else None
        if picked is None or doc.received_at < picked - timedelta(seconds=0.5):
            early.append(
                f"{invoice['number']} of {invoice['order_id']}: at {doc.received_at}, pickup {picked}"
            )
    return [f"{len(early)} e-Fatura submitted before pickup: {_few(early)}"] if early else []


def check_shipments(world: World, ts: TenantStore, orders: dict[str, dict[str, Any]]) -> list[str]:
    problems = []
    shipments = [d.body for d in ts.iter_query(Query(SHIPMENT))]
    per_order = Counter(s["order_id"] for s in shipments if s.get("status") != "cancelled")
    twice = [f"{oid}: {n}" for oid, n in per_order.items() if n > 1]
    if twice:
        problems.append(f"{len(twice)} orders with more than one shipment: {_few(twice)}")
    lacking = [k for k, b in orders.items() if b["state"] in BOOKED_OR_LATER and per_order[k] != 1]
    if lacking:
        problems.append(f"{len(lacking)} booked orders without a shipment: {_few(sorted(lacking))}")
    at_yurtici = Counter(list(world.sandboxes["yurtici"].shipments))
    ours = Counter(s["cargo_key"] for s in shipments if s.get("connection_id") == "yurtici")
    if at_yurtici != ours:
        recorded = {
            s["cargo_key"]: f"{s['order_id']} on {s.get('connection_id')}" for s in shipments
        }
        extra = [f"{k} (store: {recorded.get(k, 'nothing')})" for k in at_yurtici - ours]
        problems.append(
            f"Yurtiçi holds {sum(at_yurtici.values())} parcels, the store {sum(ours.values())} "
            f"booked there; not recorded as booked at Yurtiçi: {_few(extra)}; "
            f"not at Yurtiçi: {_few(ours - at_yurtici)}"
        )
    tex = {o.id for o in world.scenario.orders if o.cargo_tracking_number}
    again = sorted(
        s["order_id"]
        for s in shipments
        if s["order_id"] in tex and s.get("connection_id") == "yurtici"
    )
    if again:
        problems.append(f"{len(again)} parcels Trendyol booked were booked again: {_few(again)}")
    return problems


def _holds(body: dict[str, Any]) -> bool:
    state = body["state"]
    if state == "on_hold":
        return body.get("hold_step") not in (None, "reserve")
    if state == "failed":
        return body.get("failed_from") in HOLDING
    return state in HOLDING


def check_stock(world: World, ts: TenantStore, orders: dict[str, dict[str, Any]]) -> list[str]:
    """For each product: on_hand + consumed == start, reserved == what orders hold."""
    problems = []
    held = units_by_product([b["order"] for b in orders.values() if _holds(b)])
    consumed = units_by_product([b["order"] for b in orders.values() if b["state"] in CONSUMED])
    figures = {d.key: d.body for d in ts.iter_query(Query(STOCK))}
    for pid, start in sorted(world.scenario.stock.items()):
        body = figures.get(pid, {})
        on_hand, reserved = body.get("on_hand"), body.get("reserved")
        if on_hand is None or on_hand + consumed.get(pid, 0) != start:
            problems.append(
                f"stock {pid}: on_hand {on_hand} + consumed {consumed.get(pid, 0)} != start {start}"
            )
        if reserved != held.get(pid, 0):
            problems.append(f"stock {pid}: reserved {reserved}, orders hold {held.get(pid, 0)}")
    mismatches = _record_mismatches(orders) if problems else []
    if mismatches:
        problems.append("orders whose own record disagrees: " + _few(mismatches))
    return problems


def _record_mismatches(orders: dict[str, dict[str, Any]]) -> list[str]:
    """Orders whose stored reservation/consumption flags disagree with their state."""
    out = []
    for key, body in sorted(orders.items()):
        flags = body.get("flags") or {}
        consumed = bool(flags.get("stock_consumed"))
        if consumed != (body["state"] in CONSUMED) or (
            bool(body.get("reserved")) != (_holds(body) or consumed) and "reserved" in body
        ):
            out.append(
                describe(key, body) + f" reserved={body.get('reserved')} consumed={consumed}"
            )
    return out


def check_ledger(world: World, ts: TenantStore, orders: dict[str, dict[str, Any]]) -> list[str]:
    """If the engine keeps a stock movement ledger: each (ref, reason, product) once, the
    movements of each product add up to its figures, and each order's movements to what its
    state says it holds or consumed."""
    kind = next((k for k in LEDGER_KINDS if k in declared_kinds()), None)
    if kind is None:
        return []
    moves = [d.body for d in ts.iter_query(Query(kind))]
    problems = []
    ids = Counter((m.get("ref"), m.get("reason"), m.get("product_id")) for m in moves)
    twice = [f"{i} ×{n}" for i, n in ids.items() if n > 1]
    if twice:
        problems.append(f"{len(twice)} stock movements recorded twice: {_few(twice)}")
    figures = {d.key: d.body for d in ts.iter_query(Query(STOCK))}
    for pid in sorted(world.scenario.stock):
        on_hand = sum(int(m.get("on_hand", 0)) for m in moves if m.get("product_id") == pid)
        reserved = sum(int(m.get("reserved", 0)) for m in moves if m.get("product_id") == pid)
        body = figures.get(pid, {})
        if (on_hand, reserved) != (body.get("on_hand"), body.get("reserved")):
            problems.append(
                f"ledger {pid}: movements add up to on_hand {on_hand}, reserved {reserved}; "
                f"figures say {body.get('on_hand')}, {body.get('reserved')}"
            )
    net: dict[str, Counter[str]] = defaultdict(Counter)
    for m in moves:
        net[f"{m.get('ref')}|held"][m["product_id"]] += int(m.get("reserved", 0))
        net[f"{m.get('ref')}|gone"][m["product_id"]] -= int(m.get("on_hand", 0))
    wrong = []
    for key, body in sorted(orders.items()):
        units = units_by_product([body["order"]])
        want = (units if _holds(body) else {}, units if body["state"] in CONSUMED else {})
        got = tuple(
            {p: n for p, n in net[f"{key}|{what}"].items() if n} for what in ("held", "gone")
        )
        if got != want:
            wrong.append(
                f"{describe(key, body)} ledger holds {got[0]}, consumed {got[1]}; "
                f"its state says {want[0]}, {want[1]}"
            )
    if wrong:
        problems.append(f"{len(wrong)} orders whose movements disagree with them: {_few(wrong)}")
    return problems


def check_all(world: World, ts: TenantStore) -> list[str]:
    orders = orders_of(ts)
    problems = check_states(world, orders)
    invoice_problems, invoices = check_invoices(world, ts, orders)
    problems += invoice_problems
    problems += check_integrator(world, invoices)
    problems += check_efatura_after_pickup(world, ts, invoices)
    problems += check_shipments(world, ts, orders)
    problems += check_stock(world, ts, orders)
    problems += check_ledger(world, ts, orders)
    return problems
