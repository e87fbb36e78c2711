"""The catalog service: what the API, the CLI, the jobs and the demo call.

Every method takes ids, reads the truth from the store and writes in short transactions;
stock always moves through the ledger (:mod:`kervan.engine.stock`), so each change is a
movement with a reason and queues the push to every channel.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..domain import Listing, ProductCard
from ..engine.change import Movement
from ..engine.context import StepContext
from ..engine.engine import Engine
from ..engine.quarantine import Sifter
from ..engine.records import (
    BARCODE,
    CATALOG_AUDIT,
    CHANNEL_POLICY,
    LISTING,
    PRODUCT,
    STOCK,
    STOCK_MOVE,
)
from ..engine.stock import MAIN, apply_movements, figures, mark_due, set_on_hand
from ..errors import InvalidInputError, NotFoundError
from ..pricing import PricingRule, quote
from ..problems import RecordKind, RecordProblem
from ..roles import ErpSink, OrderSource
from ..store.port import Doc, Query, TenantStore, Transaction
from . import cards as cards_mod
from .push import (
    ChannelPolicy,
    PushReport,
    base_prices,
    due_count,
    plan_listing,
    policy_of,
    push_due,
)

#: listings written per transaction during an import
IMPORT_BATCH = 200


@dataclass
class Catalog:
    engine: Engine

    def _ctx(self, tenant_id: str, actor: str = "catalog") -> StepContext:
        return self.engine.context(tenant_id, actor)

    def _store(self, tenant_id: str) -> TenantStore:
        return self.engine.store.tenant(tenant_id)

    # -- import -------------------------------------------------------------------------------

    async def import_listings(
        self, tenant_id: str, connection_id: str, actor: str = "catalog"
    ) -> cards_mod.ImportReport:
        """Every listing of a channel onto its card (created when no card has its barcode);
        a listing the channel sends broken is quarantined, the rest go on."""
        ctx = self._ctx(tenant_id, actor)
        source = ctx.connector(connection_id, OrderSource, "order source")
        now = ctx.clock()
        sifter = Sifter(ctx.store, connection_id, RecordKind.LISTING, now, via="import")
        report = cards_mod.ImportReport()
        batch: list[Listing] = []
        async for item in source.fetch_listings():
            if isinstance(item, RecordProblem):
                sifter.problem(item)
                report.problems += 1
                continue
            sifter.good(item)
            batch.append(item)
            if len(batch) >= IMPORT_BATCH:
                self._import_batch(ctx, batch, report, actor)
                batch = []
        if batch:
            self._import_batch(ctx, batch, report, actor)
        return report

    def _import_batch(
        self, ctx: StepContext, batch: list[Listing], report: cards_mod.ImportReport, actor: str
    ) -> None:
        now = ctx.clock()
        with ctx.store.transaction() as tx:
            for listing in batch:
                cards_mod.import_listing(tx, listing, now, report, actor)

    async def pull_erp(
        self, tenant_id: str, connection_id: str, actor: str = "erp"
    ) -> dict[str, int]:
        """Product cards (and, from an ERP that owns stock, on-hand figures) from the ERP."""
        ctx = self._ctx(tenant_id, actor)
        erp = ctx.connector(connection_id, ErpSink, "ERP")
        update_names = cards_mod.names_toggle(erp, ctx.tenant.settings.erp_updates_names)
        counts: dict[str, int] = defaultdict(int)
        async for card in erp.pull_products():
            existing = self.by_stock_code(tenant_id, card.sku)
            now = ctx.clock()
            with ctx.store.transaction() as tx:
                _, outcome = cards_mod.upsert_erp_card(
                    tx,
                    card,
                    now,
                    actor,
                    existing_id=existing[0].key if existing else None,
                    update_names=update_names,
                )
            counts[outcome] += 1
        self.engine.wake_held(tenant_id)
        return dict(counts)

    # -- cards --------------------------------------------------------------------------------

    def by_stock_code(self, tenant_id: str, stock_code: str) -> list[Doc]:
        """Live cards whose stock code is exactly ``stock_code``."""
        docs = self._store(tenant_id).query(Query(PRODUCT, {"sku": stock_code}))
        return [d for d in docs if not d.body.get("merged_into")]

    def card(self, tenant_id: str, product_id: str) -> dict[str, Any]:
        store = self._store(tenant_id)
        doc = store.get(PRODUCT, product_id)
        if doc is None:
            raise NotFoundError(f"product card {product_id} not found")
        stock = store.get(STOCK, product_id)
        listings = store.query(Query(LISTING, {"product_id": product_id}))
        return {
            "card": doc.body,
            "stock": figures(stock.body if stock else None).as_dict(),
            "listings": [listing_view(d) for d in listings],
        }

    def cards(self, tenant_id: str, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        store = self._store(tenant_id)
        docs = store.query(Query(PRODUCT, order_by="sku", limit=limit, offset=offset))
        stocks = store.get_many(STOCK, [d.key for d in docs])
        return [
            {
                "card": d.body,
                "stock": figures(stocks[d.key].body if d.key in stocks else None).as_dict(),
            }
            for d in docs
        ]

    def save_card(self, tenant_id: str, card: ProductCard, actor: str) -> ProductCard:
        """Create or change a card (its barcodes are bound to it)."""
        if card.tenant_id != tenant_id:
            raise InvalidInputError("the card's tenant_id must be the caller's tenant")
        now = self.engine.clock()
        store = self._store(tenant_id)
        with store.transaction() as tx:
            for barcode in card.barcodes:
                owner = tx.get(BARCODE, barcode)
                if owner is not None and owner.body["product_id"] != card.id:
                    raise InvalidInputError(
                        f"barcode {barcode} belongs to card {owner.body['product_id']}; "
                        "merge the cards instead"
                    )
            before = tx.get(PRODUCT, card.id)
            for dropped in set((before.body.get("barcodes") if before else None) or []) - set(
                card.barcodes
            ):
                owner = tx.get(BARCODE, dropped)
                if owner is not None and owner.body["product_id"] == card.id:
                    tx.remove(BARCODE, dropped)  # orders with it are no longer this card's
            tx.upsert(PRODUCT, card.id, card.model_dump(mode="json"))
            set_on_hand_if_new(tx, card, now)
            cards_mod.audit(tx, now, "saved", card.id, actor, {"sku": card.sku})
            mark_due(tx, card.id, now)  # the price may have changed
        return card

    def merge_candidates(self, tenant_id: str) -> list[dict[str, Any]]:
        """Live cards that share a stock code: the operator decides whether to merge them."""
        by_code: dict[str, list[str]] = defaultdict(list)
        for doc in self._store(tenant_id).iter_query(Query(PRODUCT, order_by="sku")):
            if not doc.body.get("merged_into"):
                by_code[str(doc.body["sku"])].append(doc.key)
        return [
            {"stock_code": code, "cards": sorted(ids)}
            for code, ids in by_code.items()
            if len(ids) > 1
        ]

    def merge(
        self,
        tenant_id: str,
        target_id: str,
        source_ids: list[str],
        actor: str,
        stock: str = "keep",
        reason: str | None = None,
    ) -> ProductCard:
        store = self._store(tenant_id)
        keys = (
            [d.key for d in store.query(Query(LISTING, {"product_id": source_ids}))]
            if source_ids
            else []
        )
        with store.transaction() as tx:
            return cards_mod.merge(
                tx,
                target_id,
                source_ids,
                self.engine.clock(),
                actor,
                listings=keys,
                stock=stock,
                reason=reason,
            )

    def split(
        self,
        tenant_id: str,
        product_id: str,
        barcodes: list[str],
        sku: str,
        actor: str,
        name: str | None = None,
        on_hand: int = 0,
        reason: str | None = None,
    ) -> ProductCard:
        store = self._store(tenant_id)
        keys = [d.key for d in store.query(Query(LISTING, {"product_id": product_id}))]
        with store.transaction() as tx:
            return cards_mod.split(
                tx,
                product_id,
                barcodes,
                self.engine.clock(),
                actor,
                sku=sku,
                listings=keys,
                name=name,
                on_hand=on_hand,
                reason=reason,
            )

    def audit_trail(self, tenant_id: str, product_id: str) -> list[dict[str, Any]]:
        docs = self._store(tenant_id).query(
            Query(CATALOG_AUDIT, {"product_id": product_id}, order_by="at")
        )
        return [d.body for d in docs]

    # -- stock --------------------------------------------------------------------------------

    def stock(self, tenant_id: str, product_id: str) -> dict[str, Any]:
        doc = self._store(tenant_id).get(STOCK, product_id)
        if doc is None:
            raise NotFoundError(f"no stock figures for product {product_id}")
        return {"product_id": product_id, **figures(doc.body).as_dict()}

    def movements(
        self, tenant_id: str, product_id: str, limit: int = 100, offset: int = 0
    ) -> list[dict[str, Any]]:
        docs = self._store(tenant_id).query(
            Query(
                STOCK_MOVE, {"product_id": product_id}, order_by="-at", limit=limit, offset=offset
            )
        )
        return [{"key": d.key, **d.body} for d in docs]

    def count(
        self,
        tenant_id: str,
        product_id: str,
        on_hand: int,
        actor: str,
        warehouse: str = MAIN,
        note: str | None = None,
    ) -> dict[str, Any]:
        """A person counted ``on_hand`` units of the product in ``warehouse``."""
        taken = self.count_many(tenant_id, {product_id: on_hand}, actor, warehouse, note)
        return {**self.stock(tenant_id, product_id), "released_orders": taken["released_orders"]}

    def count_many(
        self,
        tenant_id: str,
        counts: dict[str, int],
        actor: str,
        warehouse: str = MAIN,
        note: str | None = None,
    ) -> dict[str, Any]:
        """A stock take: each product's counted units in ``warehouse``, written
        :data:`IMPORT_BATCH` products a transaction (all or nothing per batch)."""
        store = self._store(tenant_id)
        known = store.get_many(PRODUCT, list(counts))
        unknown = [pid for pid in counts if pid not in known]
        if unknown:
            raise NotFoundError(f"product card {', '.join(sorted(unknown)[:10])} not found")
        negative = sorted(pid for pid, qty in counts.items() if qty < 0)
        if negative:
            raise InvalidInputError(f"a count cannot be negative: {', '.join(negative[:10])}")
        items = list(counts.items())
        now = self.engine.clock()
        for start in range(0, len(items), IMPORT_BATCH):
            with store.transaction() as tx:
                for pid, on_hand in items[start : start + IMPORT_BATCH]:
                    set_on_hand(
                        tx,
                        pid,
                        on_hand,
                        [],
                        now,
                        warehouse=warehouse,
                        reason="count",
                        note=note or f"counted by {actor}",
                    )
        return {"counted": len(items), "released_orders": self.engine.wake_held(tenant_id)}

    def receive(
        self,
        tenant_id: str,
        product_id: str,
        quantity: int,
        actor: str,
        warehouse: str = MAIN,
        ref: str | None = None,
        reason: str = "received",
    ) -> dict[str, Any]:
        """Units arrived (a purchase, a return put back on the shelf): ``ref`` keys the
        movement, so receiving the same delivery twice moves stock once."""
        self._require_card(tenant_id, product_id)
        if quantity <= 0:
            raise InvalidInputError("quantity must be positive")
        if reason not in ("received", "returned"):
            raise InvalidInputError("reason must be 'received' or 'returned'")
        move = Movement(
            product_id,
            reason,
            on_hand=quantity,
            ref=ref or uuid.uuid4().hex,
            warehouse=warehouse,
            note=f"by {actor}",
        )
        with self._store(tenant_id).transaction() as tx:
            apply_movements(tx, [move], self.engine.clock())
        return {
            **self.stock(tenant_id, product_id),
            "released_orders": self.engine.wake_held(tenant_id),
        }

    def set_safety(
        self, tenant_id: str, product_id: str, safety: int, actor: str
    ) -> dict[str, Any]:
        self._require_card(tenant_id, product_id)
        if safety < 0:
            raise InvalidInputError("safety stock cannot be negative")
        store = self._store(tenant_id)
        with store.transaction() as tx:
            doc = tx.get(STOCK, product_id)
            delta = safety - figures(doc.body if doc else None).safety
            if delta:
                apply_movements(
                    tx,
                    [
                        Movement(
                            product_id,
                            "safety",
                            safety=delta,
                            ref=uuid.uuid4().hex,
                            note=f"by {actor}",
                        )
                    ],
                    self.engine.clock(),
                )
        return self.stock(tenant_id, product_id)

    def _require_card(self, tenant_id: str, product_id: str) -> None:
        if self._store(tenant_id).get(PRODUCT, product_id) is None:
            raise NotFoundError(f"product card {product_id} not found")

    # -- channels -----------------------------------------------------------------------------

    def policy(self, tenant_id: str, connection_id: str) -> ChannelPolicy:
        return policy_of(self._store(tenant_id), connection_id)

    def set_policy(self, tenant_id: str, connection_id: str, policy: ChannelPolicy) -> int:
        """Change how a channel is fed; every product listed there is pushed again. Returns
        how many products were queued."""
        store = self._store(tenant_id)
        store.upsert(CHANNEL_POLICY, connection_id, policy.model_dump(mode="json"))
        return self._mark_channel(tenant_id, connection_id)

    def _mark_channel(self, tenant_id: str, connection_id: str) -> int:
        store = self._store(tenant_id)
        pids = sorted(
            {
                str(d.body["product_id"])
                for d in store.iter_query(Query(LISTING, {"connection_id": connection_id}))
            }
        )
        now = self.engine.clock()
        for start in range(0, len(pids), 500):
            with store.transaction() as tx:
                for pid in pids[start : start + 500]:
                    mark_due(tx, pid, now)
        return len(pids)

    def listings(
        self,
        tenant_id: str,
        connection_id: str | None = None,
        flagged: bool | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        where: dict[str, Any] = {}
        if connection_id:
            where["connection_id"] = connection_id
        if flagged is not None:
            where["flagged"] = flagged
        docs = self._store(tenant_id).query(
            Query(LISTING, where, order_by="barcode", limit=limit, offset=offset)
        )
        return [listing_view(d) for d in docs]

    def set_listing_limits(
        self, tenant_id: str, key: str, buffer: int | None, cap: int | None
    ) -> dict[str, Any]:
        """A listing's own buffer and cap (``None``: the channel's)."""
        if (buffer is not None and buffer < 0) or (cap is not None and cap < 0):
            raise InvalidInputError("buffer and cap cannot be negative")
        store = self._store(tenant_id)
        now = self.engine.clock()
        with store.transaction() as tx:
            doc = tx.get(LISTING, key)
            if doc is None:
                raise NotFoundError(f"listing {key} not found")
            tx.replace(LISTING, key, {**doc.body, "buffer": buffer, "cap": cap})
            mark_due(tx, str(doc.body["product_id"]), now)
            body = tx.get(LISTING, key)
        assert body is not None
        return listing_view(body)

    def explain(self, tenant_id: str, key: str) -> dict[str, Any]:
        """Why the channel shows this number: the last push, its figures, buffer, cap and the
        remote's answer, and what the ledger would send now."""
        store = self._store(tenant_id)
        doc = store.get(LISTING, key)
        if doc is None:
            raise NotFoundError(f"listing {key} not found")
        pid = str(doc.body["product_id"])
        stock = store.get(STOCK, pid)
        held = figures(stock.body if stock else None)
        policy = policy_of(store, str(doc.body["connection_id"]))
        card_doc = store.get(PRODUCT, pid)
        card = ProductCard.model_validate(card_doc.body) if card_doc else None
        push_prices = self.engine.tenants.get(tenant_id).settings.push_prices
        planned = plan_listing(key, doc.body, held, policy, card, push_prices)
        pushed = doc.body.get("pushed")
        return {
            "listing": listing_view(doc),
            "shown": pushed,
            "last_attempt": doc.body.get("last_push"),
            "now": planned.record if planned is not None else pushed,
            "in_step": planned is None,
            "policy": policy.model_dump(mode="json"),
            "pending": store.get("stock_due", pid) is not None,
        }

    def preview_prices(
        self, tenant_id: str, connection_id: str, rule: PricingRule | None = None, limit: int = 500
    ) -> list[dict[str, Any]]:
        """What each listing's price would be under ``rule`` (default: the channel's own)."""
        store = self._store(tenant_id)
        rule = rule or policy_of(store, connection_id).pricing
        if rule is None:
            raise InvalidInputError(
                f"channel {connection_id} has no pricing rule; send one to preview"
            )
        docs = store.query(
            Query(LISTING, {"connection_id": connection_id}, order_by="barcode", limit=limit)
        )
        cards = store.get_many(PRODUCT, list({str(d.body["product_id"]) for d in docs}))
        out = []
        for d in docs:
            card_doc = cards.get(str(d.body["product_id"]))
            card = ProductCard.model_validate(card_doc.body) if card_doc else None
            q = quote(rule, base_prices(card))
            out.append(
                {"listing": d.key, "barcode": d.body["barcode"], **q.model_dump(mode="json")}
            )
        return out

    async def push(self, tenant_id: str, product_ids: list[str] | None = None) -> PushReport:
        """One push run (the scheduler runs it while products are due)."""
        return await push_due(self._ctx(tenant_id, "stock-push"), product_ids=product_ids)

    def due(self, tenant_id: str) -> int:
        """Products whose figure waits for a push now."""
        return due_count(self._store(tenant_id), self.engine.clock())


def listing_view(doc: Doc) -> dict[str, Any]:
    body = doc.body
    return {
        "key": doc.key,
        "connection_id": body.get("connection_id"),
        "barcode": body.get("barcode"),
        "sku": body.get("sku"),
        "external_id": body.get("external_id"),
        "title": body.get("title"),
        "product_id": body.get("product_id"),
        "buffer": body.get("buffer"),
        "cap": body.get("cap"),
        "pushed": body.get("pushed"),
        "last_push": body.get("last_push"),
        "failures": int(body.get("failures") or 0),
        "flagged": bool(body.get("flagged")),
    }


def set_on_hand_if_new(tx: Transaction, card: ProductCard, now: datetime) -> None:
    """A new card starts at zero on hand; every card's barcodes name it."""
    if tx.get(STOCK, card.id) is None:
        set_on_hand(tx, card.id, 0, card.barcodes, now)
        return
    for barcode in card.barcodes:
        owner = tx.get(BARCODE, barcode)
        tx.upsert(BARCODE, barcode, {**(owner.body if owner else {}), "product_id": card.id})
