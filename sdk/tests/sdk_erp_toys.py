"""A small, correct ERP sink on its sandbox, and broken kin each the ERP suite must catch.

``ToyErp`` keeps its postings keyed by our references (PUT is idempotent), reverses a sale and
its payments, and serves products by exact stock code. Each broken variant changes one thing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import FastAPI
from kervan import CheckResult, ConnectorContext, ConnectorSettings, ErpSink, RemoteRef
from kervan.domain import Invoice, Party, ProductCard
from kervan_sdk.http import ApiClient
from kervan_sdk.sandbox import ErpProduct, Sandbox
from pydantic import SecretStr

SETTINGS = {"api_key": "toy-erp-key-42", "base_url": "http://erp.toy"}


class ToyErpSandbox(Sandbox):
    name = "toy-erp"

    def __init__(self, **kw: Any) -> None:
        self.products: list[ErpProduct] = []
        #: every document: kind, our reference, its id, whether live, the invoice it belongs to
        self.docs: list[dict[str, Any]] = []
        self.serial = 0
        super().__init__(**kw)

    def demo_settings(self, base_url: str) -> dict[str, Any]:
        return SETTINGS | {"base_url": base_url}

    def erp_seed_products(self, products: list[ErpProduct]) -> None:
        self.products = list(products)

    def erp_postings(self, reference: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for doc in self.docs:
            if doc["ref"] == reference and doc["live"]:
                counts[doc["kind"]] = counts.get(doc["kind"], 0) + 1
        return counts

    def _add(self, kind: str, ref: str, invoice: str | None) -> dict[str, Any]:
        self.serial += 1
        doc = {"kind": kind, "ref": ref, "id": f"{kind}-{self.serial}", "live": True, "of": invoice}
        self.docs.append(doc)
        return doc

    def _put(self, kind: str, ref: str, invoice: str | None = None) -> dict[str, Any]:
        found = [d for d in self.docs if d["kind"] == kind and d["ref"] == ref]
        doc = found[0] if found else self._add(kind, ref, invoice)
        return {"id": doc["id"], "existed": bool(found)}

    def routes(self, app: FastAPI) -> None:
        @app.get("/me")
        async def me() -> dict[str, str]:
            return {"ok": "yes"}

        @app.post("/reverse/{uuid}")
        async def reverse(uuid: str, payments: bool = True) -> dict[str, Any]:
            did = False
            for doc in self.docs:
                sale = doc["kind"] == "invoice" and doc["ref"] == uuid
                if (sale or (payments and doc["of"] == uuid)) and doc["live"]:
                    doc["live"], did = False, True
            return {"done": did}

        @app.put("/{kind}/{ref}")
        async def put(kind: str, ref: str, invoice: str | None = None) -> dict[str, Any]:
            return self._put(kind, ref, invoice)

        @app.post("/{kind}/{ref}")
        async def post(kind: str, ref: str, invoice: str | None = None) -> dict[str, Any]:
            doc = self._add(kind, ref, invoice)  # a POST makes a new document every time
            return {"id": doc["id"], "existed": False}

        @app.get("/products")
        async def products() -> list[dict[str, Any]]:
            return [
                {
                    "code": p.stock_code,
                    "name": p.name,
                    "barcodes": list(p.barcodes),
                    "price": str(p.price) if p.price is not None else None,
                    "stock": p.on_hand or {},
                    "active": p.active,
                }
                for p in self.products
            ]


class ToyErpSettings(ConnectorSettings):
    api_key: SecretStr
    base_url: str = "http://erp.toy"


class ToyErp(ErpSink):
    key = "toy-erp"
    display_name = "Toy ERP"
    Settings = ToyErpSettings
    sandbox = "sdk_erp_toys:ToyErpSandbox"

    def __init__(self, settings: ToyErpSettings, context: ConnectorContext) -> None:
        super().__init__(settings, context)
        secret = settings.api_key.get_secret_value()
        self.client = ApiClient(
            settings.base_url, context=context, secrets=[secret], default_headers={"X-Key": secret}
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def check(self) -> CheckResult:
        ok = self.settings.api_key.get_secret_value() == SETTINGS["api_key"]  # type: ignore[attr-defined]
        return CheckResult(ok=ok, message="connected" if ok else "wrong key")

    async def _doc(self, method: str, kind: str, ref: str, invoice: str | None = None) -> RemoteRef:
        params = {"invoice": invoice} if invoice else None
        body = await self.client.json(method, f"/{kind}/{ref}", params=params)
        return RemoteRef(remote_id=body["id"], already_done=body["existed"])

    async def upsert_customer(self, party: Party) -> RemoteRef:
        return await self._doc("PUT", "customer", party.tax_id)

    async def post_invoice(self, invoice: Invoice) -> RemoteRef:
        return await self._doc("PUT", "invoice", invoice.uuid)

    async def close_payment(
        self,
        invoice: Invoice,
        amount: Decimal,
        paid_on: date,
        reference: str,
        deductions: Mapping[str, Decimal] | None = None,
    ) -> RemoteRef:
        return await self._doc("PUT", "payment", reference, invoice.uuid)

    async def reverse(self, invoice: Invoice, reason: str) -> RemoteRef:
        body = await self.client.json("POST", f"/reverse/{invoice.uuid}")
        return RemoteRef(remote_id=invoice.uuid, already_done=not body["done"])

    async def post_return(
        self, invoice: Invoice, quantities: Mapping[int, Decimal], reference: str, reason: str = ""
    ) -> RemoteRef:
        return await self._doc("PUT", "return", reference, invoice.uuid)

    def card(self, row: dict[str, Any]) -> ProductCard:
        return ProductCard(
            id="",
            tenant_id=self.context.tenant_id,
            sku=row["code"],
            name=row["name"],
            barcodes=row["barcodes"],
            erp_price=Decimal(row["price"]) if row["price"] else None,
            erp_on_hand=row["stock"] or None,
        )

    async def pull_products(self) -> AsyncIterator[ProductCard]:
        for row in await self.client.json("GET", "/products"):
            yield self.card(row)


class DoublePayingErp(ToyErp):
    """POSTs each payment closing: a settlement posted twice is two payments."""

    async def close_payment(
        self,
        invoice: Invoice,
        amount: Decimal,
        paid_on: date,
        reference: str,
        deductions: Mapping[str, Decimal] | None = None,
    ) -> RemoteRef:
        return await self._doc("POST", "payment", reference, invoice.uuid)


class HalfReversingErp(ToyErp):
    """Reverses the sale but leaves its payment standing."""

    async def reverse(self, invoice: Invoice, reason: str) -> RemoteRef:
        body = await self.client.json(
            "POST", f"/reverse/{invoice.uuid}", params={"payments": "false"}
        )
        return RemoteRef(remote_id=invoice.uuid, already_done=not body["done"])


class StatusTakingErp(ToyErp):
    """Drops products the ERP has made passive."""

    async def pull_products(self) -> AsyncIterator[ProductCard]:
        for row in await self.client.json("GET", "/products"):
            if row["active"]:
                yield self.card(row)


class BarcodeSplittingErp(ToyErp):
    """One card per barcode instead of one per stock code."""

    async def pull_products(self) -> AsyncIterator[ProductCard]:
        for row in await self.client.json("GET", "/products"):
            for barcode in row["barcodes"]:
                yield self.card(row | {"barcodes": [barcode]})


class CodeTidyingErp(ToyErp):
    """Upper-cases and trims stock codes: a code is no longer the ERP's exactly."""

    async def pull_products(self) -> AsyncIterator[ProductCard]:
        for row in await self.client.json("GET", "/products"):
            yield self.card(row | {"code": row["code"].strip().upper()})


class DoubleReturningErp(ToyErp):
    """POSTs each return: the same claim returned twice is two returns."""

    async def post_return(
        self, invoice: Invoice, quantities: Mapping[int, Decimal], reference: str, reason: str = ""
    ) -> RemoteRef:
        return await self._doc("POST", "return", reference, invoice.uuid)
