"""Connection settings for one Nebim V3 Integrator service (one V3 database, one store).

Codes (office, store, warehouse, customer, bank account, reason codes) are the tenant's own V3
definitions; Kervan cannot know them, so each is a setting with a plain description. Facts:
``cemyeten/nebim-v3-integrator-docs`` (docs/01-*.md connect, docs/03-04 RunProc/RunQuery,
examples/*.txt payloads) and Nebim's own PDF in its ``references/``.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from kervan import DESTINATION, ConnectorSettings
from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class PaymentMapping(BaseModel):
    """How one payment method goes into a Nebim document's ``Payments`` line.

    Nebim's PDF (retail order and invoice models): ``PaymentType`` 1 cash (``Code`` = the
    store's cash code), 2 credit card (``CreditCardTypeCode``, ``Code`` empty), 4 bank
    remittance/EFT (``Code`` = bank account code), 7 credit voucher (``Code`` = its serial)."""

    model_config = ConfigDict(extra="forbid")

    payment_type: Literal[1, 2, 4, 7] = Field(
        description="Nebim PaymentType: 1 cash, 2 credit card, 4 bank transfer/EFT, 7 voucher"
    )
    code: str = Field(
        default="",
        max_length=30,
        description="cash code (type 1), bank account code (type 4) or voucher serial (type 7)",
    )
    credit_card_type_code: str = Field(
        default="", max_length=10, description="V3 credit card type code (type 2 only)"
    )

    @model_validator(mode="after")
    def _fields_match_the_type(self) -> PaymentMapping:
        if self.payment_type == 2 and not self.credit_card_type_code:
            raise ValueError("a credit card payment (type 2) needs credit_card_type_code")
        if self.payment_type != 2 and self.credit_card_type_code:
            raise ValueError("credit_card_type_code is only for a credit card payment (type 2)")
        if self.payment_type in (1, 4) and not self.code:
            raise ValueError("a cash (1) or bank transfer (4) payment needs its code")
        return self


class NebimSettings(ConnectorSettings):
    """``base_url`` is the tenant's own IIS host (Nebim is installed on premises), so there is
    no official host list: a host must be on the platform allowlist, and changing it asks for
    the password again."""

    allowed_hosts: ClassVar[tuple[str, ...]] = ()

    base_url: str = Field(
        pattern=r"^https?://",
        description="the Integrator service root, e.g. http://erp.example.com:801 (no "
        "/IntegratorService, no (S(...)) session segment)",
        json_schema_extra=DESTINATION,
    )
    mode: Literal["session", "token"] = Field(
        default="session",
        description="session: IIS session state InProc, the session id goes in the path; "
        "token: session state off, a Token header",
    )
    database_name: str | None = Field(
        default=None, max_length=128, description="V3 database name (empty: set in web.config)"
    )
    user_group_code: str | None = Field(default=None, max_length=5, description="V3 user group")
    user_name: str | None = Field(default=None, max_length=15, description="V3 user name")
    password: SecretStr | None = Field(default=None, description="V3 user password")
    company_code: str = Field(default="1", max_length=4, description="V3 company code")
    office_code: str = Field(min_length=1, max_length=5, description="V3 office code")
    store_code: str = Field(min_length=1, max_length=30, description="V3 store code")
    warehouse_code: str = Field(min_length=1, max_length=10, description="V3 warehouse code")
    pos_terminal_id: int = Field(default=1, ge=1, description="POS terminal id on documents")
    post_as: Literal["order", "invoice"] = Field(
        default="order",
        description="order: a retail sales order (ModelType 6) that V3 invoices itself; "
        "invoice: a retail sales invoice (ModelType 8)",
    )
    create_customers: bool = Field(
        default=False,
        description="create a retail customer card (ModelType 3) per buyer; off (the seed's "
        "rule, only orders go to Nebim): every sale is posted to customer_code",
    )
    customer_code: str = Field(
        min_length=1,
        max_length=30,
        description="the V3 customer code sales are posted to when cards are not created "
        "(a marketplace-level customer)",
    )
    payments: dict[str, PaymentMapping] = Field(
        default_factory=dict,
        description="payment method (KREDIKARTI/BANKAKARTI, EFT/HAVALE, KAPIDAODEME, "
        "ODEMEARACISI, DIGER) → the Nebim payment line; an unmapped method posts the document "
        "without a payment (left open on the customer's account)",
    )
    delivery_company_codes: dict[str, str] = Field(
        default_factory=dict,
        description="carrier name as on the invoice (e.g. 'Yurtiçi Kargo') → V3 "
        "DeliveryCompanyCode (e.g. YKARGO); unmapped carriers send none",
    )
    shipment_method_code: Literal["1", "2", "3"] = Field(
        default="2", description="1 immediate delivery, 2 by courier, 3 by roundsman"
    )
    product_query: str = Field(
        default="GetProductPriceAndInventory",
        min_length=1,
        description="RunQuery query (registered in bsReportQuery) giving one row per barcode "
        "and warehouse: "
        "ItemCode, ItemDescription, Barcode, Price, WarehouseCode, Inventory",
    )
    product_proc: str | None = Field(
        default=None,
        description="a stored procedure (RunProc) to use instead of product_query; it takes "
        "Skip and Take and gives the same rows",
    )
    lookup_query: str = Field(
        default="KervanDocumentLookup",
        min_length=1,
        description="RunQuery query (see the README for its SQL) that finds Kervan's earlier "
        "postings by DocumentNumber or Description, so nothing is posted twice",
    )
    page_size: int = Field(default=500, ge=1, le=5000, description="rows per RunQuery page")
    settlement_account_code: str | None = Field(
        default=None,
        max_length=30,
        description="V3 current account of the marketplace that pays out; empty: payment "
        "closings are refused with a message naming this setting",
    )
    bank_account_code: str | None = Field(
        default=None, max_length=30, description="V3 bank account the payout arrives in"
    )
    bank_trans_type_code: int = Field(
        default=4, ge=1, description="BankTransTypeCode of an incoming EFT (ModelType 98)"
    )
    record_deductions: bool = Field(
        default=True,
        description="post commission and other deductions as credits (ModelType 92) on the "
        "marketplace's account (they close the rest of what it owes for the sale)",
    )
    debit_reason_code: str = Field(
        default="K", max_length=10, description="DebitReasonCode of deductions and reversals"
    )
    return_reason_code: str = Field(
        default="01", max_length=10, description="ReturnReasonCode of returns and reversals"
    )
    cancel_reason_code: str = Field(
        default="01", max_length=10, description="OrderCancelReasonCode of cancelled orders"
    )
    sales_url: str = Field(
        default="",
        max_length=30,
        description="OrdersViaInternetInfo.SalesURL when the invoice names no website",
    )
    update_product_names: bool = Field(
        default=False,
        description="a renamed product in V3 renames the Kervan card (the seed's toggle)",
    )
    price_updates: bool = Field(
        default=True,
        description="V3 prices reach the card (the pricing rules' 'erp' base); off: products "
        "come without a price (the seed's 'price updates off')",
    )

    @model_validator(mode="after")
    def _credentials_all_or_none(self) -> NebimSettings:
        given = [self.database_name, self.user_group_code, self.user_name, self.password]
        if any(v is not None for v in given) and not all(v is not None for v in given):
            raise ValueError(
                "give database_name, user_group_code, user_name and password together, or "
                "none of them (credentials set in the service's web.config)"
            )
        if self.settlement_account_code and not self.bank_account_code:
            raise ValueError("settlement_account_code needs bank_account_code")
        return self
