"""What the Nebim sandbox keeps: sessions, documents, customers, products."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from kervan_sdk.sandbox import ErpProduct

from ..references import ref30, return_mark, reversal_number


@dataclass
class Session:
    """An IIS session (or token): its credentials were right or not, and when it was last used."""

    valid: bool
    last_seen: datetime
    user: str = ""


@dataclass
class Document:
    kind: str  # order, invoice, return, payment, charge, customer, cancel
    number: str
    model: dict[str, Any]
    #: Nebim LineID → our line (LineDescription), quantity, closed quantity
    lines: dict[str, dict[str, Any]] = field(default_factory=dict)

    def get(self, key: str) -> Any:
        return self.model.get(key)

    def open_quantity(self) -> Decimal:
        return sum((ln["qty"] - ln["closed"] for ln in self.lines.values()), Decimal(0))


@dataclass
class Ledger:
    documents: list[Document] = field(default_factory=list)
    products: list[ErpProduct] = field(default_factory=list)

    def of_kind(self, *kinds: str) -> list[Document]:
        return [d for d in self.documents if d.kind in kinds]

    def barcodes(self) -> set[str]:
        return {b for p in self.products for b in p.barcodes}

    def sale(self, number: str) -> Document | None:
        for doc in self.of_kind("order", "invoice"):
            if doc.number == number:
                return doc
        return None

    def line(self, line_id: str) -> tuple[Document, dict[str, Any]] | None:
        for doc in self.of_kind("order", "invoice"):
            if line_id in doc.lines:
                return doc, doc.lines[line_id]
        return None

    # -- the ERP suite's view -------------------------------------------------------------

    def postings(self, reference: str) -> dict[str, int]:
        counts = {"customer": 0, "invoice": 0, "payment": 0, "return": 0, "expense_voucher": 0}
        reversed_numbers = {d.get("DocumentNumber") for d in self.of_kind("charge")}
        for doc in self.documents:
            if doc.kind in ("order", "invoice"):
                if doc.get("InternalDescription") == reference and doc.open_quantity() > 0:
                    counts["invoice"] += 1
            elif doc.kind == "payment":
                number = doc.get("DocumentNumber")
                if number == ref30(reference) and reversal_number(number) not in reversed_numbers:
                    counts["payment"] += 1
            elif doc.kind == "return":
                if doc.get("Description") == return_mark(reference):
                    counts["return"] += 1
            elif doc.kind == "customer" and reference in (
                doc.get("IdentityNum"),
                doc.get("TaxNumber"),
            ):
                counts["customer"] += 1
        return counts

    # -- the lookup query ------------------------------------------------------------------

    def lookup(self, field_name: str, value: str) -> list[dict[str, Any]]:
        """Rows of Kervan's lookup query (the README's SQL) for ``Field = 'value'``."""
        rows: list[dict[str, Any]] = []
        for doc in self.documents:
            if field_name == "TaxNumber":
                if doc.kind == "customer" and value in (
                    doc.get("IdentityNum"),
                    doc.get("TaxNumber"),
                ):
                    rows.append({"Kind": "customer", "Number": doc.number})
                continue
            if doc.get(field_name) != value:
                continue
            base = {
                "Kind": doc.kind,
                "Number": doc.number,
                "DocumentNumber": doc.get("DocumentNumber"),
                "Description": doc.get("Description"),
            }
            if doc.lines:
                for line_id, line in doc.lines.items():
                    rows.append(
                        base
                        | {
                            "LineID": line_id,
                            "LineDescription": line["ours"],
                            "Qty1": str(line["qty"]),
                            "ClosedQty": str(line["closed"]),
                        }
                    )
            else:
                rows.append(base | {"Amount": str(doc_amount(doc))})
        return rows

    def product_rows(self) -> list[dict[str, Any]]:
        rows = []
        for product in self.products:
            stock = product.on_hand or {"": 0}
            for barcode in product.barcodes:
                for warehouse, qty in stock.items():
                    rows.append(
                        {
                            "ItemCode": product.stock_code,
                            "ItemDescription": product.name,
                            "Barcode": barcode,
                            "Price": None if product.price is None else str(product.price),
                            "WarehouseCode": warehouse,
                            "Inventory": qty,
                            "IsBlocked": not product.active,
                        }
                    )
        return rows


def doc_amount(doc: Document) -> Decimal:
    lines = doc.get("Lines") or []
    if doc.kind == "payment":
        return sum((Decimal(str(ln.get("Amount", 0))) for ln in lines), Decimal(0))
    if doc.kind == "charge":
        return sum((Decimal(str(ln.get("CreditAmount") or 0)) for ln in lines), Decimal(0))
    return Decimal(0)
