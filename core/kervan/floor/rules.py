"""Picking rules: ordered data, the first rule that matches an order assigns it (issue 22).

A rule's conditions are all optional and all must hold; an empty list means "any". A rule
assigns to one picker (a user id) or to a picker group (named in the rule set). Saving a rule
set reports, without refusing it:

- **shadowed**: a later rule that can never match, because an earlier rule matches every order
  it would (the earlier rule's conditions each contain the later one's);
- **overlap**: two rules with different targets that some order could match both of; the
  earlier one wins, which is often not what whoever wrote the later one meant.

Both checks are exact for the condition kinds below (sets intersect or contain, ranges
intersect or contain); product/category conditions match when *any* line matches, so two rules
on different products still overlap (an order may hold both), and are reported as such.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from .facts import OrderFacts

Kind = Literal["shadowed", "overlap"]


#: a bound of a range: a number (the schema says so, so a client never sends a string the
#: model would refuse)
Bound = Annotated[Decimal, WithJsonSchema({"type": "number"})]


class Range(BaseModel):
    """Inclusive bounds, either may be open."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min: Bound | None = None
    max: Bound | None = None

    def holds(self, value: Decimal) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def contains(self, other: Range) -> bool:
        low = self.min is None or (other.min is not None and other.min >= self.min)
        high = self.max is None or (other.max is not None and other.max <= self.max)
        return low and high

    def meets(self, other: Range) -> bool:
        lows = [v for v in (self.min, other.min) if v is not None]
        highs = [v for v in (self.max, other.max) if v is not None]
        return not lows or not highs or max(lows) <= min(highs)


class PickRule(BaseModel):
    """One rule. Conditions left empty match every order."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    name: str = Field(min_length=1, max_length=100, pattern=r"^[\x21-\x7e][\x20-\x7e]*$")
    connections: list[str] = Field(default_factory=list, max_length=100)
    sources: list[str] = Field(default_factory=list, max_length=100, description="marketplaces")
    cities: list[str] = Field(default_factory=list, max_length=100, description="il")
    districts: list[str] = Field(default_factory=list, max_length=500, description="ilçe")
    countries: list[str] = Field(default_factory=list, max_length=250)
    desi: Range = Field(default_factory=Range)
    package_count: Range = Field(default_factory=Range)
    products: list[str] = Field(default_factory=list, max_length=1000, description="barcodes")
    categories: list[str] = Field(default_factory=list, max_length=1000)
    ship_within_hours: int | None = Field(
        default=None, ge=0, le=24 * 30, description="ship-by deadline at most this far away"
    )
    picker: str | None = Field(default=None, max_length=100, description="a user id")
    group: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _one_target(self) -> PickRule:
        if (self.picker is None) == (self.group is None):
            raise ValueError("a rule assigns to exactly one of picker or group")
        return self

    @property
    def target(self) -> str:
        return f"picker:{self.picker}" if self.picker else f"group:{self.group}"

    def matches(self, order: OrderFacts, now: datetime) -> bool:
        def within(values: list[str], value: str) -> bool:
            return not values or _fold(value) in {_fold(v) for v in values}

        barcodes = {line.barcode for line in order.lines}
        categories = {_fold(line.category) for line in order.lines if line.category}
        return (
            within(self.connections, order.connection_id)
            and within(self.sources, order.source)
            and within(self.cities, order.city)
            and within(self.districts, order.district)
            and within(self.countries, order.country)
            and self.desi.holds(order.desi)
            and self.package_count.holds(Decimal(order.package_count))
            and (not self.products or bool(barcodes & set(self.products)))
            and (not self.categories or bool(categories & {_fold(c) for c in self.categories}))
            and (
                self.ship_within_hours is None
                or (
                    order.ship_by is not None
                    and order.ship_by - now <= timedelta(hours=self.ship_within_hours)
                )
            )
        )


class RuleSet(BaseModel):
    """The tenant's rules in order, and who is in each picker group."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    rules: list[PickRule] = Field(default_factory=list, max_length=500)
    groups: dict[str, list[str]] = Field(default_factory=dict, description="group → user ids")
    #: where an order no rule matches goes (None: it waits for a rule or a supervisor)
    fallback_group: str | None = None

    @model_validator(mode="after")
    def _names_unique(self) -> RuleSet:
        dup = [n for n, c in Counter(r.name for r in self.rules).items() if c > 1]
        if dup:
            raise ValueError(f"rule names must be unique; repeated: {', '.join(sorted(dup))}")
        return self

    def assign(self, order: OrderFacts, now: datetime) -> tuple[str | None, str | None]:
        """``(rule name, target)`` of the first rule that matches; the fallback otherwise."""
        for rule in self.rules:
            if rule.matches(order, now):
                return rule.name, rule.target
        return None, (f"group:{self.fallback_group}" if self.fallback_group else None)

    def members(self, target: str) -> list[str]:
        kind, _, name = target.partition(":")
        return [name] if kind == "picker" else list(self.groups.get(name, []))


class Conflict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind
    rule: str = Field(description="the later rule")
    by: str = Field(description="the earlier rule that wins")
    message: str


def _fold(text: str) -> str:
    """Case-insensitive for Turkish names (İ/ı fold like the letters a person means)."""
    return text.replace("İ", "i").replace("I", "ı").lower()


def _sets(a: list[str], b: list[str], fold: bool = True) -> tuple[bool, bool]:
    """(a contains b, a meets b) for "any" lists: empty means everything."""
    fa = {_fold(x) if fold else x for x in a}
    fb = {_fold(x) if fold else x for x in b}
    contains = not fa or (bool(fb) and fb <= fa)
    meets = not fa or not fb or bool(fa & fb)
    return contains, meets


def _lines_any(a: list[str], b: list[str]) -> tuple[bool, bool]:
    """Product/category conditions hold when any line matches: B ⊆ A means every order B
    matches, A does too; any two non-empty conditions can meet in one order of many lines."""
    contains, _ = _sets(a, b)
    return contains, True


def _ship(a: int | None, b: int | None) -> tuple[bool, bool]:
    return (a is None or (b is not None and b <= a)), True


def relation(earlier: PickRule, later: PickRule) -> tuple[bool, bool]:
    """(every order ``later`` matches, ``earlier`` matches too; some order matches both)."""
    parts = [
        _sets(earlier.connections, later.connections, fold=False),
        _sets(earlier.sources, later.sources, fold=False),
        _sets(earlier.cities, later.cities),
        _sets(earlier.districts, later.districts),
        _sets(earlier.countries, later.countries),
        (earlier.desi.contains(later.desi), earlier.desi.meets(later.desi)),
        (
            earlier.package_count.contains(later.package_count),
            earlier.package_count.meets(later.package_count),
        ),
        _lines_any(earlier.products, later.products),
        _lines_any(earlier.categories, later.categories),
        _ship(earlier.ship_within_hours, later.ship_within_hours),
    ]
    return all(c for c, _ in parts), all(m for _, m in parts)


def conflicts(rules: RuleSet) -> list[Conflict]:
    """Shadowed rules and overlaps between rules with different targets, in rule order."""
    out: list[Conflict] = []
    for j, later in enumerate(rules.rules):
        for earlier in rules.rules[:j]:
            covered, meets = relation(earlier, later)
            if covered:
                out.append(
                    Conflict(
                        kind="shadowed",
                        rule=later.name,
                        by=earlier.name,
                        message=f"rule {later.name!r} never applies: every order it matches "
                        f"is taken by the earlier rule {earlier.name!r}",
                    )
                )
                break
            if meets and earlier.target != later.target:
                out.append(
                    Conflict(
                        kind="overlap",
                        rule=later.name,
                        by=earlier.name,
                        message=f"an order can match both {earlier.name!r} and {later.name!r}; "
                        f"{earlier.name!r} comes first and takes it",
                    )
                )
    return out


class DryRunRow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: str | None
    target: str | None
    orders: int
    items: int


def dry_run(rules: RuleSet, orders: list[OrderFacts], now: datetime) -> list[DryRunRow]:
    """What ``rules`` would have done with ``orders``: per (rule, target), orders and items;
    ``rule`` None is the fallback or "no rule matched" (``target`` None)."""
    counts: dict[tuple[str | None, str | None], list[int]] = {}
    for order in orders:
        key = rules.assign(order, now)
        row = counts.setdefault(key, [0, 0])
        row[0] += 1
        row[1] += order.items
    order_of = {r.name: i for i, r in enumerate(rules.rules)}
    keys = sorted(counts, key=lambda k: (order_of.get(k[0] or "", len(order_of)), k[1] or ""))
    return [
        DryRunRow(rule=k[0], target=k[1], orders=counts[k][0], items=counts[k][1]) for k in keys
    ]
