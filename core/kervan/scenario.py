"""A demo/test scenario that every first-party sandbox can seed itself from.

The core describes *what* the world looks like (orders, which buyers are registered e-Fatura
users, which packages the marketplace cancels, stock on hand) in domain terms; each sandbox
translates that into its own remote's state through ``Sandbox.seed_scenario(scenario)``. This
keeps ``kervan demo`` free of any plugin import.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .domain import Order, Party, ProductCard


@dataclass
class Scenario:
    seller: Party
    #: orders as the marketplace will report them (state is ignored)
    orders: list[Order] = field(default_factory=list)
    #: tax id → PK alias of buyers registered for e-Fatura
    registered: dict[str, str] = field(default_factory=dict)
    #: the seller's own GB alias and the PK alias it receives at
    seller_aliases: tuple[str, str] = (
        "urn:mail:defaultgb@kervan.demo",
        "urn:mail:defaultpk@kervan.demo",
    )
    #: package ids the marketplace cancels after the first poll
    cancelled_package_ids: set[str] = field(default_factory=set)
    products: list[ProductCard] = field(default_factory=list)
    #: product id → units on hand
    stock: dict[str, int] = field(default_factory=dict)
