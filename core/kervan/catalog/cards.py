"""Product cards and the channel listings bound to them: import, merge, split, audit.

One card per sellable item, with one stock code. A listing is one channel's view of an item:
``(connection, remote id, barcode, SKU)``, stored under ``{connection}:{barcode}``. Listings
meet on a card by rule:

- the same barcode is the same card, whatever channel lists it (the ``barcode`` mapping);
- anything else (a different barcode on another channel, the same stock code under another
  barcode) is an operator's decision: :func:`merge` and :func:`split`, each audited.

Cards that share a stock code are offered as merge candidates, never merged silently.

A card first created from a channel's listing opens its stock at the figure that channel
shows (an ``import`` movement), so connecting a channel never zeroes what it sells. A listing
that joins an existing card is marked due: the channel is sent the card's figure.

Stock codes match exactly. An ERP card whose stock code no card has is a new card, even when
the ERP only renamed the code: a rename at the ERP is a new record (:func:`upsert_erp_card`).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..domain import Listing, ProductCard
from ..engine.change import Movement
from ..engine.records import BARCODE, CATALOG_AUDIT, LISTING, PRODUCT, STOCK
from ..engine.stock import MAIN, apply_movements, figures, mark_due, set_on_hand
from ..errors import CatalogConflictError, InvalidInputError, NotFoundError
from ..store.port import Transaction


def listing_key(connection_id: str, barcode: str) -> str:
    return f"{connection_id}:{barcode}"


def card_id_for(stock_code: str, barcode: str) -> str:
    """A stable id for a card created from a listing or an ERP record (re-importing the same
    record finds the same card)."""
    digest = hashlib.blake2b(f"{stock_code}\x00{barcode}".encode(), digest_size=6).hexdigest()
    return f"p-{digest}"


@dataclass
class ImportReport:
    """What an import did, per outcome."""

    seen: int = 0
    new_cards: list[str] = field(default_factory=list)
    attached: list[str] = field(default_factory=list)
    updated: int = 0
    problems: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "seen": self.seen,
            "new_cards": len(self.new_cards),
            "attached": len(self.attached),
            "updated": self.updated,
            "problems": self.problems,
        }


def audit(
    tx: Transaction,
    now: datetime,
    action: str,
    product_id: str,
    actor: str,
    detail: dict[str, Any],
) -> None:
    # two decisions in the same instant keep an entry each
    key = f"{now.strftime('%Y%m%dT%H%M%S.%f')}:{action}:{product_id}:{uuid.uuid4().hex[:8]}"
    tx.upsert(
        CATALOG_AUDIT,
        key,
        {
            "action": action,
            "product_id": product_id,
            "actor": actor,
            "at": now.isoformat(),
            "detail": detail,
        },
    )


def _remote(listing: Listing, now: datetime) -> dict[str, Any]:
    return {
        "quantity": listing.quantity,
        "sale_price": None if listing.sale_price is None else str(listing.sale_price),
        "list_price": None if listing.list_price is None else str(listing.list_price),
        "seen_at": now.isoformat(),
    }


def import_listing(
    tx: Transaction, listing: Listing, now: datetime, report: ImportReport, actor: str
) -> None:
    """Bind one channel listing to its card (by barcode), creating the card if none has it."""
    key = listing_key(listing.connection_id, listing.barcode)
    report.seen += 1
    existing = tx.get(LISTING, key)
    if existing is not None:
        body = dict(existing.body)
        body.update(
            external_id=listing.external_id,
            sku=listing.sku,
            title=listing.title,
            remote=_remote(listing, now),
        )
        held = (body.get("pushed") or {}).get("quantity")
        if listing.quantity is not None and held is not None and listing.quantity != held:
            # someone changed the figure at the channel (its panel, another tool): the
            # channel holds that now, and it is sent the ledger's figure again
            body["pushed"] = _as_seen(listing, now, body.get("pushed"))
            mark_due(tx, str(body["product_id"]), now)
        tx.replace(LISTING, key, body)
        report.updated += 1
        return
    mapping = tx.get(BARCODE, listing.barcode)
    if mapping is not None:
        product_id = str(mapping.body["product_id"])
        report.attached.append(key)
        mark_due(tx, product_id, now)  # the channel gets the card's figure
    else:
        product_id = _new_card_from(tx, listing, now)
        report.new_cards.append(product_id)
        audit(tx, now, "created", product_id, actor, {"from_listing": key})
    shown: dict[str, Any] = {}
    if listing.quantity is not None:
        # what the channel holds already: a new card opened at that figure, and a listing
        # joining a card is sent the card's figure only when it differs
        shown["pushed"] = _as_seen(listing, now, None)
    tx.insert(
        LISTING,
        key,
        {
            **shown,
            "connection_id": listing.connection_id,
            "barcode": listing.barcode,
            "external_id": listing.external_id,
            "sku": listing.sku,
            "title": listing.title,
            "product_id": product_id,
            "remote": _remote(listing, now),
            "failures": 0,
            "flagged": False,
        },
    )


def _as_seen(listing: Listing, now: datetime, pushed: dict[str, Any] | None) -> dict[str, Any]:
    """The listing's state as the channel reported it, recorded as what it holds; the
    prices stay as last sent (a channel's price is ours to set only under a pricing rule)."""
    return {
        "quantity": max(int(listing.quantity or 0), 0),
        "sale_price": (pushed or {}).get("sale_price"),
        "list_price": (pushed or {}).get("list_price"),
        "at": now.isoformat(),
        "ok": True,
        "answer": ["as the channel reported it"],
    }


def _new_card_from(tx: Transaction, listing: Listing, now: datetime) -> str:
    stock_code = listing.sku or listing.barcode
    product_id = card_id_for(stock_code, listing.barcode)
    card = ProductCard(
        id=product_id,
        tenant_id=listing.tenant_id,
        sku=stock_code,
        name=listing.title or stock_code,
        barcodes=[listing.barcode],
        list_price=listing.list_price,
        sale_price=listing.sale_price,
        attributes=dict(listing.attributes),
    )
    tx.upsert(PRODUCT, product_id, card.model_dump(mode="json"))
    tx.upsert(
        BARCODE,
        listing.barcode,
        {
            "product_id": product_id,
            # the channel's figure already left out its orders placed before now: those
            # never reserve from this card (kervan.engine.stock.reserve)
            "opened_from": listing.connection_id,
            "opened_at": now.isoformat(),
        },
    )
    opening = max(int(listing.quantity or 0), 0)
    if opening:
        # the figure the channel shows is the best first count there is; opening at zero
        # would take the item off sale on the next push
        apply_movements(
            tx,
            [
                Movement(
                    product_id,
                    "import",
                    on_hand=opening,
                    ref=listing_key(listing.connection_id, listing.barcode),
                    warehouse=MAIN,
                )
            ],
            now,
        )
    else:
        set_on_hand(tx, product_id, 0, [], now)
    return product_id


def load_card(tx: Transaction, product_id: str) -> ProductCard:
    doc = tx.get(PRODUCT, product_id)
    if doc is None:
        raise NotFoundError(f"product card {product_id} not found")
    return ProductCard.model_validate(doc.body)


def merge(
    tx: Transaction,
    target_id: str,
    source_ids: list[str],
    now: datetime,
    actor: str,
    *,
    listings: list[str],
    stock: str = "keep",
    reason: str | None = None,
) -> ProductCard:
    """Merge ``source_ids`` into ``target_id``: barcodes, listings and reservations move to
    the target; the sources stay as tombstones pointing at it (open orders' movements follow).

    ``stock="keep"``: the target's shelf figure stands (the cards were the same units counted
    twice, the usual case when two channels list one item); ``stock="sum"``: the sources'
    on-hand units are added to the target's, warehouse by warehouse."""
    if stock not in ("keep", "sum"):
        raise InvalidInputError(f"stock must be 'keep' or 'sum', not {stock!r}")
    if not source_ids:
        raise InvalidInputError("name at least one card to merge into the target")
    if target_id in source_ids:
        raise InvalidInputError(f"card {target_id} cannot be merged into itself")
    target = load_card(tx, target_id)
    if target.merged_into:
        raise CatalogConflictError(
            f"card {target_id} was merged into {target.merged_into}; merge there",
            product_id=target_id,
        )
    barcodes = list(target.barcodes)
    moves: list[Movement] = []
    source_cards: list[ProductCard] = []
    for source_id in source_ids:
        source = load_card(tx, source_id)
        source_cards.append(source)
        if source.merged_into:
            raise CatalogConflictError(
                f"card {source_id} was already merged into {source.merged_into}",
                product_id=source_id,
            )
        for barcode in source.barcodes:
            tx.upsert(BARCODE, barcode, {"product_id": target_id})
            if barcode not in barcodes:
                barcodes.append(barcode)
        _move_listings(tx, listings, source_id, target_id)
        held = figures(_stock_body(tx, source_id))
        ref = f"merge:{source_id}>{target_id}"
        for wh, qty in held.warehouses.items():
            if qty:
                moves.append(Movement(source_id, "merge_out", on_hand=-qty, ref=ref, warehouse=wh))
                if stock == "sum":
                    moves.append(
                        Movement(target_id, "merge_in", on_hand=qty, ref=ref, warehouse=wh)
                    )
        if held.reserved:
            moves.append(Movement(source_id, "merge_out", reserved=-held.reserved, ref=ref + ":r"))
            moves.append(Movement(target_id, "merge_in", reserved=held.reserved, ref=ref + ":r"))
        if held.safety:
            moves.append(Movement(source_id, "merge_out", safety=-held.safety, ref=ref + ":s"))
        merged = source.model_copy(update={"merged_into": target_id})
        tx.upsert(PRODUCT, source_id, merged.model_dump(mode="json"))
        audit(
            tx,
            now,
            "merged",
            target_id,
            actor,
            {"source": source_id, "stock": stock, "barcodes": source.barcodes, "reason": reason},
        )
    apply_movements(tx, moves, now)
    for source_id in source_ids:
        body = _stock_body(tx, source_id) or {}
        tx.upsert(STOCK, source_id, {**body, "merged_into": target_id})
    card = target.model_copy(update={"barcodes": barcodes, **_filled(target, source_cards)})
    tx.upsert(PRODUCT, target_id, card.model_dump(mode="json"))
    mark_due(tx, target_id, now)
    return card


#: what a merged card takes from the cards merged into it when it has none of its own
_FILLABLE = (
    "hs_code",
    "length_cm",
    "width_cm",
    "height_cm",
    "weight_kg",
    "list_price",
    "sale_price",
    "cost_price",
    "erp_price",
    "variant_group",
)


def _filled(target: ProductCard, sources: list[ProductCard]) -> dict[str, Any]:
    """The target keeps its own data and takes what it lacks from the sources, in order (a
    card imported from a listing has no GTİP or size; the seller's own card does)."""
    update: dict[str, Any] = {}
    for name in _FILLABLE:
        if getattr(target, name) is None:
            value = next((getattr(s, name) for s in sources if getattr(s, name) is not None), None)
            if value is not None:
                update[name] = value
    attributes = dict(target.attributes)
    images = list(target.images)
    for source in sources:
        for key, value in source.attributes.items():
            attributes.setdefault(key, value)
        images.extend(i for i in source.images if i not in images)
    if attributes != target.attributes:
        update["attributes"] = attributes
    if images != target.images:
        update["images"] = images
    return update


def split(
    tx: Transaction,
    product_id: str,
    barcodes: list[str],
    now: datetime,
    actor: str,
    *,
    sku: str,
    listings: list[str],
    name: str | None = None,
    on_hand: int = 0,
    reason: str | None = None,
) -> ProductCard:
    """Take ``barcodes`` (and their listings) off a card onto a new card with stock code
    ``sku``; ``on_hand`` units move from the old card's main warehouse to the new one."""
    card = load_card(tx, product_id)
    if card.merged_into:
        raise CatalogConflictError(
            f"card {product_id} was merged into {card.merged_into}", product_id=product_id
        )
    unknown = [b for b in barcodes if b not in card.barcodes]
    if unknown:
        raise InvalidInputError(f"card {product_id} has no barcode(s) {', '.join(unknown)}")
    keep = [b for b in card.barcodes if b not in barcodes]
    if not keep:
        raise InvalidInputError("a split must leave the card at least one barcode")
    if on_hand < 0:
        raise InvalidInputError("on_hand must not be negative")
    new_id = card_id_for(sku, barcodes[0])
    existing = tx.get(PRODUCT, new_id)
    if existing is not None:
        if existing.body.get("merged_into") != product_id:
            raise CatalogConflictError(
                f"a card for stock code {sku} with barcode {barcodes[0]} exists",
                product_id=new_id,
            )
        # splitting back what a merge brought in: the merged card lives again
        held = tx.get(STOCK, new_id)
        if held is not None:
            tx.replace(STOCK, new_id, {k: v for k, v in held.body.items() if k != "merged_into"})
    new = card.model_copy(
        update={"id": new_id, "sku": sku, "name": name or card.name, "barcodes": barcodes}
    )
    tx.upsert(PRODUCT, new_id, new.model_dump(mode="json"))
    tx.upsert(
        PRODUCT, product_id, card.model_copy(update={"barcodes": keep}).model_dump(mode="json")
    )
    for barcode in barcodes:
        tx.upsert(BARCODE, barcode, {"product_id": new_id})
    _move_listings(tx, listings, product_id, new_id, barcodes)
    ref = f"split:{product_id}>{new_id}"
    moves = [Movement(new_id, "split_in", on_hand=on_hand, ref=ref, warehouse=MAIN)]
    if on_hand:
        moves.insert(
            0, Movement(product_id, "split_out", on_hand=-on_hand, ref=ref, warehouse=MAIN)
        )
    apply_movements(tx, moves, now)
    if tx.get(STOCK, new_id) is None:
        set_on_hand(tx, new_id, 0, [], now)
    mark_due(tx, product_id, now)
    mark_due(tx, new_id, now)
    audit(
        tx,
        now,
        "split",
        product_id,
        actor,
        {"new_card": new_id, "barcodes": barcodes, "on_hand": on_hand, "reason": reason},
    )
    return new


def _stock_body(tx: Transaction, product_id: str) -> dict[str, Any] | None:
    doc = tx.get(STOCK, product_id)
    return None if doc is None else dict(doc.body)


def _move_listings(
    tx: Transaction,
    keys: list[str],
    source_id: str,
    target_id: str,
    barcodes: list[str] | None = None,
) -> None:
    """Point the listings ``keys`` (of ``barcodes``, when given) that hang off ``source_id``
    at ``target_id``. A listing imported while the caller looked its keys up is found by
    the pusher through the source's ``merged_into``."""
    for key in keys:
        doc = tx.get(LISTING, key)
        if doc is None or doc.body.get("product_id") != source_id:
            continue
        if barcodes is not None and doc.body.get("barcode") not in barcodes:
            continue
        tx.replace(LISTING, key, {**doc.body, "product_id": target_id})


def names_toggle(erp: object, tenant_default: bool) -> bool:
    """Whether an ERP pull renames cards: the connection's own "update product names"
    setting (``update_product_names`` on its settings, as kervan-nebim has) when it has one,
    else the tenant's ``erp_updates_names``."""
    value = getattr(getattr(erp, "settings", None), "update_product_names", None)
    return value if isinstance(value, bool) else tenant_default


def upsert_erp_card(
    tx: Transaction,
    card: ProductCard,
    now: datetime,
    actor: str,
    *,
    existing_id: str | None,
    update_names: bool,
) -> tuple[str, str]:
    """Take one ERP product card: ``(product_id, outcome)`` with outcome ``created``,
    ``updated`` or ``conflict`` (a barcode it lists belongs to another card; the operator
    decides, nothing is moved). ``existing_id``: the card whose stock code is exactly the
    ERP's, as the caller found it."""
    if existing_id is None:
        for barcode in card.barcodes:
            mapping = tx.get(BARCODE, barcode)
            if mapping is not None:
                audit(
                    tx,
                    now,
                    "erp_conflict",
                    str(mapping.body["product_id"]),
                    actor,
                    {"erp_stock_code": card.sku, "barcode": barcode},
                )
                return str(mapping.body["product_id"]), "conflict"
        product_id = card.id or card_id_for(card.sku, card.barcodes[0])
        new = card.model_copy(update={"id": product_id})
        tx.upsert(PRODUCT, product_id, new.model_dump(mode="json"))
        for barcode in card.barcodes:
            tx.upsert(BARCODE, barcode, {"product_id": product_id})
        audit(tx, now, "created", product_id, actor, {"from_erp": card.sku})
        outcome = "created"
    else:
        product_id = existing_id
        current = load_card(tx, product_id)
        changes: dict[str, Any] = {"vat_rate": card.vat_rate}
        # a pull without a price (the ERP's "price updates off") leaves the stored one alone
        if card.erp_price is not None:
            changes["erp_price"] = card.erp_price
            if card.erp_price != current.erp_price:
                # a pricing rule on the ERP's price sends the channels a new price, even
                # when the stock did not move
                mark_due(tx, product_id, now)
        for name in ("hs_code", "length_cm", "width_cm", "height_cm", "weight_kg", "cost_price"):
            value = getattr(card, name)
            if value is not None:
                changes[name] = value
        if update_names:
            changes["name"] = card.name
        barcodes = list(current.barcodes)
        for barcode in card.barcodes:
            if barcode not in barcodes and tx.get(BARCODE, barcode) is None:
                barcodes.append(barcode)
                tx.upsert(BARCODE, barcode, {"product_id": product_id})
        changes["barcodes"] = barcodes
        tx.upsert(PRODUCT, product_id, current.model_copy(update=changes).model_dump(mode="json"))
        outcome = "updated"
    if card.erp_on_hand is not None:
        for wh, qty in card.erp_on_hand.items():
            set_on_hand(tx, product_id, int(qty), [], now, warehouse=wh, reason="erp_sync")
    return product_id, outcome
