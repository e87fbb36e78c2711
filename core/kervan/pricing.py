"""Per-channel pricing rules: from a card's base price to the price pushed to one channel.

A :class:`PricingRule` is data (validated by pydantic, exposed through the API with its JSON
schema); :func:`quote` applies it to one card's :class:`BasePrices` and returns a
:class:`Quote` that says which price to push and why, step by step. Pure: no I/O, no clock.

Order of application (issue 19, item 5):

1. **base**: the ERP's price, the card's list price or its sale price, rounded to kuruş.
   A missing or non-positive base gives no price (``Quote.reason``): nothing is pushed.
2. **margin**: the band the *base* price falls in (``[previous below, below)``), else the flat
   margin; a percentage or an amount in TL, possibly negative (a channel discount). A margin
   that makes the price zero or negative gives no price: a floor would only hide a broken rule.
3. **rounding**: up to an ending (.90, .99: the smallest price >= p ending so), or to the
   nearest multiple of a step (5 TL), half up.
4. **floor and ceiling** win over rounding: a clamped price keeps the floor's or ceiling's
   exact figure even when it does not end in the rounding's ending.
5. **list price** (the strikethrough price): the sale price, the base price or the card's list
   price, never below the sale price; or none.

Sources for the rules that come from outside Kervan:

* Money is ``Decimal`` at kuruş, rounded ROUND_HALF_UP (:func:`kervan.domain.kurus`, the
  rounding Turkish accounting uses).
* Trendyol refuses ``listPrice`` lower than ``salePrice`` on price-and-inventory: Trendyol's
  "Stock and Price Update" page (developers.trendyol.com/v3.0/docs/9-stock-and-price-update:
  '"listPrice" cannot be lower than "salePrice"'), also stated in the captured Trendyol SDK types
  (loncadev/lonca ``sdks/trendyol/src/types/inventory.ts``). ``/work/shared/reference/apis.md``
  §1.8 lists the fields but not this rule; ``apis-2.md`` §3 has the same rule for n11
  ("``listPrice`` ≥ ``salePrice``, both sent together with 2 decimals", [N11-NOTE]). Since
  both channels refuse it, the list price is raised to the sale price for every channel.
* Two decimals for prices: the same n11 note; Trendyol's examples carry two.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from .domain.money import KURUS, kurus

#: The largest price, margin or bound a rule accepts (TL); keeps every computation exact.
MAX_PRICE = Decimal(1_000_000_000)
#: The largest margin in % a rule accepts.
MAX_PERCENT = Decimal(10_000)

_as_str = PlainSerializer(str, return_type=str, when_used="json")
_to_kurus = AfterValidator(kurus)

#: A positive price or bound in TL, at most two decimals.
Price = Annotated[Decimal, Field(gt=0, le=MAX_PRICE, decimal_places=2), _to_kurus, _as_str]
#: A margin in TL (negative: a discount), at most two decimals.
MarginAmount = Annotated[
    Decimal, Field(ge=-MAX_PRICE, le=MAX_PRICE, decimal_places=2), _to_kurus, _as_str
]
#: A margin in % (negative: a discount, above -100 %), at most two decimals.
MarginPercent = Annotated[Decimal, Field(gt=-100, le=MAX_PERCENT, decimal_places=2), _as_str]
#: A rounding ending: the part after the lira, 0 <= ending < 1.
Ending = Annotated[Decimal, Field(ge=0, lt=1, decimal_places=2), _to_kurus, _as_str]
#: A base price as the card or the ERP holds it (any precision; rounded to kuruş when used).
BaseAmount = Annotated[Decimal, Field(ge=-MAX_PRICE, le=MAX_PRICE), _as_str]

_STRICT = ConfigDict(extra="forbid", hide_input_in_errors=True, frozen=True)


class Margin(BaseModel):
    """A margin over the base price: a percentage or an amount in TL (or neither: none)."""

    model_config = _STRICT

    percent: MarginPercent | None = Field(
        default=None, description="Margin in % of the base price: 25 means +25 %, -10 means -10 %."
    )
    amount: MarginAmount | None = Field(
        default=None, description="Margin in TL added to the base price: 10 means +10.00 TL."
    )

    def apply(self, base: Decimal) -> Decimal:
        """The price after this margin, at kuruş."""
        if self.percent is not None:
            return kurus(base * (100 + self.percent) / 100)
        if self.amount is not None:
            return base + self.amount
        return base

    def describe(self) -> str:
        """The margin as a quote step shows it: ``+15 %``, ``+10.00 TL``, ``no margin``."""
        if self.percent is not None:
            return f"{_signed(self.percent)} %"
        if self.amount is not None:
            return f"{_signed(self.amount)} TL"
        return "no margin"


class Band(Margin):
    """One price range of the base price, ``[previous band's below, below)``, and its margin."""

    below: Price | None = Field(
        default=None,
        description=(
            "Upper bound (exclusive) of the range in TL of the base price; the range starts at "
            "the previous band's bound (0 for the first band). null: no upper bound, the last band."
        ),
    )

    @model_validator(mode="after")
    def _one_margin(self) -> Self:
        if (self.percent is None) == (self.amount is None):
            raise ValueError("a band needs exactly one of percent or amount")
        return self


class Rounding(BaseModel):
    """How the price after the margin is rounded."""

    model_config = _STRICT

    kind: Literal["none", "ending", "step"] = Field(
        default="none",
        description=(
            "none: keep the kuruş figure; ending: up to the smallest price ending in `ending`; "
            "step: to the nearest multiple of `step`, half up."
        ),
    )
    ending: Ending | None = Field(
        default=None,
        description="For kind=ending: the kuruş part every price ends in, e.g. 0.90 or 0.99.",
    )
    step: Price | None = Field(
        default=None, description="For kind=step: round to the nearest multiple of this, e.g. 5."
    )

    @model_validator(mode="after")
    def _fits_kind(self) -> Self:
        if self.kind == "ending" and self.ending is None:
            raise ValueError("kind 'ending' needs `ending` (e.g. 0.90)")
        if self.kind == "step" and self.step is None:
            raise ValueError("kind 'step' needs `step` (e.g. 5)")
        if self.kind != "ending" and self.ending is not None:
            raise ValueError(f"`ending` is only used with kind 'ending', not '{self.kind}'")
        if self.kind != "step" and self.step is not None:
            raise ValueError(f"`step` is only used with kind 'step', not '{self.kind}'")
        return self

    def apply(self, price: Decimal) -> Decimal:
        """Round ``price`` (kuruş) by this rule."""
        if self.kind == "ending" and self.ending is not None:
            candidate = price.to_integral_value(rounding=ROUND_FLOOR) + self.ending
            return candidate if candidate >= price else candidate + 1
        if self.kind == "step" and self.step is not None:
            multiples = (price / self.step).to_integral_value(rounding=ROUND_HALF_UP)
            return kurus(multiples * self.step)
        return price

    def describe(self) -> str:
        """The rounding as a quote step shows it: ``ending .90``, ``step 5``."""
        if self.kind == "ending" and self.ending is not None:
            return f"ending {str(self.ending)[1:]}"
        return f"step {_plain(self.step or KURUS)}"


class PricingRule(BaseModel):
    """A channel's (connection's) pricing rule: base price → margin → rounding → floor/ceiling."""

    model_config = _STRICT

    base: Literal["erp", "list", "sale"] = Field(
        default="list",
        description="Base price: the ERP's price, the card's list price or the card's sale price.",
    )
    percent: MarginPercent | None = Field(
        default=None,
        description="Flat margin in % of the base price (25: +25 %); leave out with bands.",
    )
    amount: MarginAmount | None = Field(
        default=None,
        description="Flat margin in TL added to the base price (10: +10.00 TL); leave out with bands.",
    )
    bands: list[Band] = Field(
        default_factory=list,
        description=(
            "Margins by range of the base price, ascending by `below`; the last band has no "
            "upper bound. When given, the flat percent/amount must be left out."
        ),
    )
    rounding: Rounding = Field(default_factory=Rounding, description="Rounding after the margin.")
    floor: Price | None = Field(
        default=None, description="Lowest price sent (TL); wins over rounding."
    )
    ceiling: Price | None = Field(
        default=None, description="Highest price sent (TL); wins over rounding."
    )
    list_price: Literal["same", "base", "list", "none"] = Field(
        default="base",
        description=(
            "List (strikethrough) price sent: same = the sale price; base = the base price; "
            "list = the card's list price; none = no list price. Never below the sale price: "
            "a lower figure is replaced by the sale price (Trendyol and n11 refuse it)."
        ),
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.percent is not None and self.amount is not None:
            raise ValueError("give the flat margin as percent or amount, not both")
        if self.bands and (self.percent is not None or self.amount is not None):
            raise ValueError("give either bands or a flat percent/amount, not both")
        if self.floor is not None and self.ceiling is not None and self.floor > self.ceiling:
            raise ValueError(f"floor {self.floor} is above ceiling {self.ceiling}")
        return self

    @field_validator("bands")
    @classmethod
    def _bands_in_order(cls, bands: list[Band]) -> list[Band]:
        _check_bands(bands)
        return bands

    def margin_for(self, base: Decimal) -> tuple[str, Margin]:
        """The margin that applies to a base price, and its label (the band's range)."""
        if not self.bands:
            return "margin", Margin(percent=self.percent, amount=self.amount)
        low = Decimal(0)
        for band in self.bands:
            if band.below is None or base < band.below:
                upper = "" if band.below is None else _plain(band.below)
                return f"band {_plain(low)}–{upper}", band
            low = band.below
        raise AssertionError("validated bands end with an unbounded band")  # pragma: no cover


def _check_bands(bands: Sequence[Band]) -> None:
    if not bands:
        return
    previous = Decimal(0)
    for number, band in enumerate(bands, start=1):
        last = number == len(bands)
        if band.below is None and not last:
            raise ValueError(
                f"band {number} has no upper bound but is not the last band; only the last "
                "band may leave `below` out"
            )
        if band.below is not None and last:
            raise ValueError(
                f"the last band (band {number}, below {band.below}) must have no upper bound "
                "(below: null) so every price falls in a band"
            )
        if band.below is not None:
            if band.below <= previous:
                raise ValueError(
                    f"bands must be sorted by `below` without overlap: band {number} "
                    f"(below {band.below}) does not come after {previous}"
                )
            previous = band.below


class BasePrices(BaseModel):
    """One card's candidate base prices; ``None`` when the card or the ERP has none."""

    model_config = _STRICT

    erp: BaseAmount | None = Field(default=None, description="The ERP's price for the card.")
    list: BaseAmount | None = Field(default=None, description="The card's list price.")
    sale: BaseAmount | None = Field(default=None, description="The card's sale price.")


class Quote(BaseModel):
    """The price a rule gives for one card on one channel, with every step that made it."""

    model_config = _STRICT

    sale_price: Annotated[Decimal, _as_str] | None = Field(
        description="Sale price to push; null: push no price (see `reason`)."
    )
    list_price: Annotated[Decimal, _as_str] | None = Field(
        description="List (strikethrough) price to push; null: none."
    )
    base: Annotated[Decimal, _as_str] | None = Field(description="The base price used (kuruş).")
    steps: list[str] = Field(description="How the price was made, one line per step.")
    reason: str | None = Field(default=None, description="Why no price is pushed.")


def quote(rule: PricingRule, prices: BasePrices) -> Quote:
    """Apply ``rule`` to one card's ``prices``; see the module docstring for the order."""
    raw = getattr(prices, rule.base)
    if raw is None:
        reason = f"no {rule.base} price for this card: no price is pushed"
        return Quote(sale_price=None, list_price=None, base=None, steps=[reason], reason=reason)
    base = kurus(raw)
    steps = [f"base {rule.base} {base}"]
    if base <= 0:
        return _refused(base, steps, f"the {rule.base} price is {base}: no price is pushed")

    label, margin = rule.margin_for(base)
    price = margin.apply(base)
    steps.append(f"{label}: {margin.describe()} → {price}")
    if price <= 0:
        return _refused(base, steps, f"the margin leaves {price}: no price is pushed")

    if rule.rounding.kind != "none":
        price = rule.rounding.apply(price)
        steps.append(f"rounded {rule.rounding.describe()} → {price}")
    if rule.floor is not None and price < rule.floor:
        price = rule.floor
        steps.append(f"floor {rule.floor} → {price}")
    if rule.ceiling is not None and price > rule.ceiling:
        price = rule.ceiling
        steps.append(f"ceiling {rule.ceiling} → {price}")
    if price <= 0:
        return _refused(base, steps, f"rounding leaves {price}: no price is pushed")

    list_price = _list_price(rule, prices, base, price, steps)
    return Quote(sale_price=price, list_price=list_price, base=base, steps=steps)


def _list_price(
    rule: PricingRule, prices: BasePrices, base: Decimal, sale: Decimal, steps: list[str]
) -> Decimal | None:
    if rule.list_price == "none":
        steps.append("list price: none sent")
        return None
    if rule.list_price == "same":
        steps.append(f"list price = sale price {sale}")
        return sale
    if rule.list_price == "base":
        wanted: Decimal | None = base
        source = f"base {rule.base}"
    else:
        wanted = None if prices.list is None else kurus(prices.list)
        source = "card list"
    if wanted is None:
        steps.append(f"list price: the card has none → sale price {sale}")
        return sale
    if wanted < sale:
        steps.append(
            f"list price {source} {wanted} is below the sale price → {sale} "
            "(channels refuse a list price below the sale price)"
        )
        return sale
    steps.append(f"list price {source} {wanted}")
    return wanted


def _refused(base: Decimal, steps: list[str], reason: str) -> Quote:
    steps.append(reason)
    return Quote(sale_price=None, list_price=None, base=base, steps=steps, reason=reason)


def band_drops(rule: PricingRule) -> list[str]:
    """Band edges where a higher base price gets a lower price than the kuruş below it.

    Bands make a rule non-monotone when a band's margin at its top gives more than the next
    band's margin at its bottom ("0–100: +25 %, 100–: +15 %" sells 99.99 at 124.99 but 100.00
    at 115.00). Each edge is checked on the full rule (rounding, floor and ceiling included);
    a preview can show these as warnings. An empty list means the rule is monotone.
    """
    drops: list[str] = []
    for band in rule.bands:
        if band.below is None:
            break
        edge = band.below
        before = quote(rule, BasePrices.model_validate({rule.base: edge - KURUS})).sale_price
        after = quote(rule, BasePrices.model_validate({rule.base: edge})).sale_price
        if before is not None and (after is None or after < before):
            drops.append(
                f"at {_plain(edge)}: base {edge - KURUS} gives {before}, "
                f"base {edge} gives {after if after is not None else 'no price'}"
            )
    return drops


def _signed(value: Decimal) -> str:
    return f"+{value}" if value >= 0 else str(value)


def _plain(value: Decimal) -> str:
    """A bound without trailing zeros: 100, 99.9."""
    return format(value.normalize(), "f")
