"""Parties and addresses. Tax ids are checked with python-stdnum.

GİB's placeholders pass on purpose: ``11111111111`` (an individual with no TCKN given) and
``2222222222`` (a foreign buyer) fail the checksums but are what GİB expects in those cases.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.tr import tckimlik, vkn

PERSON_PLACEHOLDER = "11111111111"
FOREIGN_PLACEHOLDER = "2222222222"


@lru_cache(maxsize=4096)  # an order's parties are validated with every model they ride in
def check_tax_id(value: str) -> str:
    """Validate a VKN (10 digits) or TCKN (11 digits); return its compact form.

    Raises ``ValueError`` with a message that says which rule failed (and never the value).
    A failure is not cached: the same bad value fails again with the same message.
    """
    compact = value.strip().replace(" ", "")
    if not compact.isdigit():
        raise ValueError("must contain only digits (VKN: 10, TCKN: 11)")
    if compact in (PERSON_PLACEHOLDER, FOREIGN_PLACEHOLDER):
        return compact
    if len(compact) == 10:
        try:
            return str(vkn.validate(compact))
        except StdnumError as exc:
            raise ValueError("is not a valid VKN (checksum failed)") from exc
    if len(compact) == 11:
        if compact[0] == "0":
            raise ValueError("is not a valid TCKN (must not start with 0)")
        try:
            return str(tckimlik.validate(compact))
        except StdnumError as exc:
            raise ValueError("is not a valid TCKN (checksum failed)") from exc
    raise ValueError("must be 10 digits (VKN) or 11 digits (TCKN)")


TaxId = Annotated[str, AfterValidator(check_tax_id)]


def tax_id_scheme(tax_id: str) -> str:
    """``VKN`` for 10 digits, ``TCKN`` for 11: the UBL-TR schemeID."""
    return "VKN" if len(tax_id) == 10 else "TCKN"


class PartyKind(StrEnum):
    PERSON = "person"
    COMPANY = "company"


class Address(BaseModel):
    """A postal address. ``country`` is ISO 3166-1 alpha-2; ``city`` is the il, ``district`` the ilçe."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid", frozen=True)

    lines: list[Annotated[str, Field(min_length=1, max_length=500)]] = Field(min_length=1)
    district: str = Field(min_length=1, max_length=100, description="ilçe")
    city: str = Field(min_length=1, max_length=100, description="il")
    postal_code: str | None = Field(default=None, max_length=20)
    country: str = Field(default="TR", pattern=r"^[A-Z]{2}$")
    neighbourhood: str | None = Field(default=None, max_length=200, description="mahalle")
    phone: str | None = Field(default=None, max_length=40)

    @property
    def is_domestic(self) -> bool:
        return self.country == "TR"


class Party(BaseModel):
    """A buyer, seller or receiver: a person (TCKN) or a company (VKN, or TCKN for a sole trader)."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid", frozen=True)

    kind: PartyKind
    tax_id: TaxId
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    company_name: str | None = Field(default=None, max_length=300)
    tax_office: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    address: Address | None = None
    mersis_no: str | None = Field(
        default=None,
        pattern=r"^[0-9]{16}$",
        description="MERSİS number (16 digits); printed on invoices and written as "
        "PartyIdentification schemeID=MERSISNO",
    )
    trade_register_no: str | None = Field(
        default=None,
        min_length=1,
        max_length=50,
        description="ticaret sicil numarası; written as PartyIdentification "
        "schemeID=TICARETSICILNO",
    )

    @model_validator(mode="after")
    def _names(self) -> Party:
        if self.kind is PartyKind.PERSON and not (self.first_name and self.last_name):
            raise ValueError("a person needs first_name and last_name")
        if self.kind is PartyKind.COMPANY and not self.company_name:
            raise ValueError("a company needs company_name")
        return self

    @property
    def scheme(self) -> str:
        return tax_id_scheme(self.tax_id)

    @property
    def display_name(self) -> str:
        if self.company_name:
            return self.company_name
        return f"{self.first_name} {self.last_name}"

    @property
    def is_placeholder(self) -> bool:
        return self.tax_id in (PERSON_PLACEHOLDER, FOREIGN_PLACEHOLDER)
