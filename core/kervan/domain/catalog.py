"""One product card per item, bound to every channel's listing, with one stock figure."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from .money import Amount, Rate


class ProductCard(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid")

    id: str
    tenant_id: str
    sku: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=500)
    barcodes: list[str] = Field(min_length=1)
    vat_rate: Rate = Decimal(20)
    list_price: Amount | None = None
    sale_price: Amount | None = None
    cost_price: Amount | None = None
    length_cm: Decimal | None = Field(default=None, gt=0)
    width_cm: Decimal | None = Field(default=None, gt=0)
    height_cm: Decimal | None = Field(default=None, gt=0)
    weight_kg: Decimal | None = Field(default=None, gt=0)
    hs_code: str | None = None
    attributes: dict[str, str] = Field(default_factory=dict)
    #: image URLs, the first is the main one
    images: list[str] = Field(default_factory=list)
    #: cards that are variants of one product (sizes, colours) share this id
    variant_group: str | None = None
    #: the ERP's sale price (a pricing rule's ``erp`` base)
    erp_price: Amount | None = None
    #: from an ERP that is the stock's source of truth: on hand per warehouse
    erp_on_hand: dict[str, int] | None = None
    #: this card was merged into another (its listings and barcodes moved there)
    merged_into: str | None = None


class Listing(BaseModel):
    """A channel's listing (its SKU/barcode) bound to one of our product cards."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid")

    id: str
    tenant_id: str
    connection_id: str
    external_id: str | None = None
    #: the remote's id of the product this listing is a variant of (Trendyol's contentId),
    #: when it has one apart from the variant's own id
    remote_product_id: str | None = None
    barcode: str
    sku: str | None = None
    title: str | None = None
    product_id: str | None = None
    sale_price: Amount | None = None
    list_price: Amount | None = None
    quantity: int | None = None
    attributes: dict[str, str] = Field(default_factory=dict)

    def remote_ids(self) -> list[str]:
        """Every id the remote may name this listing by (its barcode, the variant's id, the
        product's id): a quarantined record named by any of them is settled by this one."""
        return [i for i in (self.barcode, self.external_id, self.remote_product_id) if i]


class StockLevel(BaseModel):
    """The one stock figure for a product: on hand minus reserved is what can be sold."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid")

    tenant_id: str
    product_id: str
    on_hand: int = 0
    reserved: int = Field(default=0, ge=0)
    updated_at: datetime | None = None

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockUpdate(BaseModel):
    """A stock/price push to one channel for one barcode."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid", frozen=True)

    barcode: str = Field(min_length=1)
    quantity: int = Field(ge=0)
    sale_price: Amount | None = None
    list_price: Amount | None = None


class StockUpdateResult(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid", frozen=True)

    barcode: str
    ok: bool
    errors: list[str] = Field(default_factory=list)
