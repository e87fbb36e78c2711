"""Product cards by barcode (the catalog's ``barcode`` → product id mapping)."""

from __future__ import annotations

from ..domain import ProductCard
from ..engine.records import BARCODE, PRODUCT
from ..store.port import TenantStore


def cards_by_barcode(ts: TenantStore, barcodes: list[str]) -> dict[str, ProductCard]:
    """The card of every barcode that has one (a barcode no card claims is left out)."""
    unique = list(dict.fromkeys(barcodes))
    owners: dict[str, str] = {}
    for i in range(0, len(unique), 500):
        for key, doc in ts.get_many(BARCODE, unique[i : i + 500]).items():
            if doc.body.get("product_id"):
                owners[key] = doc.body["product_id"]
    ids = list(dict.fromkeys(owners.values()))
    cards: dict[str, ProductCard] = {}
    for i in range(0, len(ids), 500):
        for key, doc in ts.get_many(PRODUCT, ids[i : i + 500]).items():
            cards[key] = ProductCard.model_validate(doc.body)
    return {bc: cards[pid] for bc, pid in owners.items() if pid in cards}
