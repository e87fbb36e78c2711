"""Tenants, users, API keys and connections."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .money import Positive
from .party import Party


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    TENANT_ADMIN = "tenant_admin"
    OPERATOR = "operator"
    PICKER = "picker"
    PACKER = "packer"
    RETURNS_CLERK = "returns_clerk"
    #: runs the warehouse floor: picking rules, pick lists, every packer's and picker's work
    SUPERVISOR = "supervisor"


class SplitRules(BaseModel):
    """When Kervan splits a package on its own, before invoicing (a person can always split
    one: ``POST /v1/orders/{id}/split``). With neither rule set, the default, it never does."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid")

    max_parcel_desi: Positive | None = Field(
        default=None,
        description="no parcel above this size: each line counts its desi or its kilograms, "
        "whichever is larger (as carriers bill), times its quantity; lines are grouped into "
        "as few parcels as fit, and a line over the limit on its own travels alone",
    )
    ship_alone_skus: list[str] = Field(
        default_factory=list,
        max_length=1000,
        description="SKUs of product cards whose lines always travel in a package of their "
        "own (bulky, fragile or separately stocked goods)",
    )

    @field_validator("max_parcel_desi")
    @classmethod
    def _at_most_1000(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value > 1000:
            raise ValueError("a parcel limit above 1000 desi is no limit at all")
        return value

    @property
    def active(self) -> bool:
        return self.max_parcel_desi is not None or bool(self.ship_alone_skus)


#: the series keys a tenant sets, each with the channel whose counters it uses: a prefix is
#: never used on both the e-Fatura and the e-Arşiv channel
SERIES_CHANNELS: dict[str, str] = {
    "efatura": "efatura",  # TEMELFATURA and TICARIFATURA sales, unless set per profile
    "TEMELFATURA": "efatura",
    "TICARIFATURA": "efatura",
    "export": "efatura",  # IHRACAT (goes to customs through the e-Fatura system)
    "earsiv": "earsiv",  # EARSIVFATURA sales
    "micro_export": "earsiv",  # micro export (ETGB) is issued as e-Arşiv
    "despatch": "eirsaliye",
    "expense_voucher": "voucher",
}
DEFAULT_SERIES: dict[str, str] = {
    "efatura": "KRV",
    "earsiv": "KRA",
    "export": "KRE",
    "micro_export": "KRM",
    "despatch": "KRI",
    "expense_voucher": "KRG",
}


def _check_series(series: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(series) - set(SERIES_CHANNELS))
    if unknown:
        raise ValueError(
            f"unknown series key(s) {', '.join(unknown)}; known: {', '.join(SERIES_CHANNELS)}"
        )
    merged = {**DEFAULT_SERIES, **series}
    channels: dict[str, set[str]] = {}
    for key, prefix in merged.items():
        if not isinstance(prefix, str) or len(prefix) != 3 or not prefix.isascii():
            raise ValueError(f"series {key}: a prefix is 3 characters, A-Z or 0-9")
        if not all(c.isdigit() or "A" <= c <= "Z" for c in prefix):
            raise ValueError(f"series {key}: a prefix is 3 characters, A-Z or 0-9")
        channels.setdefault(prefix, set()).add(SERIES_CHANNELS[key])
    shared = sorted(p for p, used in channels.items() if len(used) > 1)
    if shared:
        raise ValueError(
            f"prefix {', '.join(shared)} is used on more than one channel (e-Fatura, e-Arşiv, "
            "e-İrsaliye, expense voucher): give each channel prefixes of its own"
        )
    return merged


class TenantSettings(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid")

    auto_approve: bool = Field(
        default=True, description="accept orders at the marketplace on their own"
    )
    exchange_rates: dict[str, Positive] = Field(
        default_factory=dict,
        description="TRY per unit of a foreign currency (e.g. TCMB's rate of the day), used to "
        "invoice orders not priced in TRY; an order in a currency without a rate waits",
    )
    invoice_series: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_SERIES),
        description="3-character series prefixes: efatura (or per profile TEMELFATURA / "
        "TICARIFATURA), export (IHRACAT), earsiv, micro_export, despatch, expense_voucher. "
        "Each channel (e-Fatura, e-Arşiv, e-İrsaliye, expense voucher) counts on its own, and a "
        "prefix may not be used on two channels; keys left out take their defaults",
    )
    efatura_profile: Literal["TEMELFATURA", "TICARIFATURA"] = Field(
        default="TEMELFATURA",
        description="the profile of e-Fatura sales to registered buyers: TICARIFATURA lets "
        "the buyer accept (KABUL) or reject (RED) the invoice within 8 days; a RED goes to the "
        "operators' queue (GET /v1/invoices/refused)",
    )
    website: str = "https://www.trendyol.com"

    @field_validator("invoice_series")
    @classmethod
    def _series(cls, value: dict[str, str]) -> dict[str, str]:
        return _check_series(value)

    default_carrier_connection: str | None = None
    default_issuer_connection: str | None = None
    default_classifier_connection: str | None = None
    sender_alias: str | None = None
    split_rules: SplitRules = Field(default_factory=SplitRules)
    registration_cache_hours: int = Field(
        default=24,
        ge=0,
        le=720,
        description="how long GİB's 'registered for e-Fatura' answer for a buyer is reused "
        "for that buyer's next orders (0: ask the registry for every order); a 'not "
        "registered' answer is never reused, so a buyer who registers meanwhile never gets "
        "an e-Arşiv invoice",
    )
    returns_earsiv: Literal["expense_voucher", "cancel_invoice"] = Field(
        default="expense_voucher",
        description="a private person's return of goods invoiced on e-Arşiv: always a gider "
        "pusulası (expense_voucher), or, when the whole invoice comes back while it may still "
        "be cancelled, cancel the e-Arşiv invoice instead (cancel_invoice); see docs/returns.md",
    )
    push_prices: bool = Field(
        default=True,
        description="send prices to the channels: off, no price is ever pushed (stock still "
        "is); on, a channel's listings get the price its pricing rule gives",
    )
    erp_updates_names: bool = Field(
        default=False,
        description="product names from the ERP overwrite the cards' names ('update product "
        "names'); off, a card keeps the name it was given",
    )


class Tenant(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    name: str = Field(min_length=1, max_length=200)
    seller: Party | None = None
    settings: TenantSettings = Field(default_factory=TenantSettings)
    created_at: datetime | None = None
    active: bool = True


class User(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid")

    id: str
    tenant_id: str | None = Field(default=None, description="None for platform admins")
    name: str
    roles: list[Role] = Field(min_length=1)
    active: bool = True


class ApiKey(BaseModel):
    """An API key record. Only the hash is stored; the key itself is shown once."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid")

    id: str
    user_id: str
    tenant_id: str | None = None
    prefix: str = Field(description="the public part, to find the record")
    hash: str = Field(repr=False)
    roles: list[Role] = Field(min_length=1)
    created_at: datetime
    revoked: bool = False


class Health(BaseModel):
    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid")

    last_success_at: datetime | None = None
    last_error_at: datetime | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    last_order_at: datetime | None = None
    next_poll_at: datetime | None = None
    alert: str | None = None
    #: remote records of this connection kept in quarantine, not yet resolved (as of the last
    #: poll or replay; ``GET /v1/problems?connection_id=...`` lists them)
    open_problems: int = 0


class Connection(BaseModel):
    """A tenant's use of one connector. Settings hold no secret values: those are encrypted apart."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    tenant_id: str
    connector: str = Field(description="the connector key, e.g. 'trendyol'")
    name: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict, description="non-secret settings")
    secret_fields: list[str] = Field(default_factory=list)
    settings_version: int = 1
    enabled: bool = True
    poll_interval_s: int = Field(default=60, ge=5)
    health: Health = Field(default_factory=Health)
    details: dict[str, Any] = Field(default_factory=dict, description="what check() learned")
    revision: int = 0
    created_at: datetime | None = None
    updated_at: datetime | None = None
